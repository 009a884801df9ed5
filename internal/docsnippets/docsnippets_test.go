package docsnippets

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// knownImports maps the package names a fragment may use to their import
// paths. Complete files list their own imports.
var knownImports = map[string]string{
	// Standard library.
	"context":   "context",
	"errors":    "errors",
	"fmt":       "fmt",
	"io":        "io",
	"json":      "encoding/json",
	"log":       "log",
	"slog":      "log/slog",
	"http":      "net/http",
	"httptest":  "net/http/httptest",
	"cookiejar": "net/http/cookiejar",
	"url":       "net/url",
	"os":        "os",
	"slices":    "slices",
	"strconv":   "strconv",
	"strings":   "strings",
	"sync":      "sync",
	"testing":   "testing",
	"time":      "time",

	// Gin, sessions, OAuth and databases.
	"gin":      "github.com/gin-gonic/gin",
	"sessions": "github.com/gin-contrib/sessions",
	"cookie":   "github.com/gin-contrib/sessions/cookie",
	"redis":    "github.com/gin-contrib/sessions/redis",
	"redigo":   "github.com/gomodule/redigo/redis",
	"oauth2":   "golang.org/x/oauth2",
	"gorm":     "gorm.io/gorm",
	"postgres": "gorm.io/driver/postgres",
	"mysql":    "gorm.io/driver/mysql",
	"sqlite":   "github.com/glebarez/sqlite",

	// This module.
	"ginoauth":     "github.com/ginoauth/ginoauth",
	"ginoauthtest": "github.com/ginoauth/ginoauth/ginoauthtest",
	"memory":       "github.com/ginoauth/ginoauth/backends/memory",
	"null":         "github.com/ginoauth/ginoauth/backends/null",
	"gormstore":    "github.com/ginoauth/ginoauth/backends/gormstore",
	"storagetest":  "github.com/ginoauth/ginoauth/backends/storagetest",
	"redislock":    "github.com/ginoauth/ginoauth/backends/redislock",
	"oidc":         "github.com/ginoauth/ginoauth/providers/oidc",
	"github":       "github.com/ginoauth/ginoauth/providers/github",
	"google":       "github.com/ginoauth/ginoauth/providers/google",
	"gitlab":       "github.com/ginoauth/ginoauth/providers/gitlab",
	"azure":        "github.com/ginoauth/ginoauth/providers/azure",
	"discord":      "github.com/ginoauth/ginoauth/providers/discord",
	"slack":        "github.com/ginoauth/ginoauth/providers/slack",
	"twitter":      "github.com/ginoauth/ginoauth/providers/twitter",
	"jira":         "github.com/ginoauth/ginoauth/providers/jira",
	"okta":         "github.com/ginoauth/ginoauth/providers/okta",
	"keycloak":     "github.com/ginoauth/ginoauth/providers/keycloak",
	"strava":       "github.com/ginoauth/ginoauth/providers/strava",
	"dropbox":      "github.com/ginoauth/ginoauth/providers/dropbox",
	"zoho":         "github.com/ginoauth/ginoauth/providers/zoho",
}

// snippet is one ```go block of a guide.
type snippet struct {
	root     string // module root, for line directives
	file     string // "docs/quickstart.md"
	line     int    // line of the block's first code line
	code     string
	samePkg  bool // compile with the previous block
	complete bool // has its own package clause
}

const samePackageMarker = "<!-- docsnippets: same package -->"

// repoRoot is the module root: two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Clean(filepath.Join(wd, "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from %s: %v", wd, err)
	}
	return root
}

// extract returns the ```go blocks of one Markdown file.
func extract(rel string, data []byte) ([]snippet, error) {
	var (
		out     []snippet
		in      bool
		cur     snippet
		buf     strings.Builder
		prev    string
		lineNo  int
		fenceRe = regexp.MustCompile("^(\\s*)(```+|~~~+)\\s*(\\S*)")
		fence   string
		isGo    bool
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		m := fenceRe.FindStringSubmatch(line)
		switch {
		case !in && m != nil:
			if m[1] != "" {
				return nil, fmt.Errorf("%s:%d: indented code fence; start fences at column 1", rel, lineNo)
			}
			in, fence, isGo = true, m[2], m[3] == "go"
			if isGo {
				cur = snippet{file: rel, line: lineNo + 1, samePkg: strings.TrimSpace(prev) == samePackageMarker}
				buf.Reset()
			}
		case in && m != nil && m[2] == fence && m[3] == "":
			in = false
			if isGo {
				cur.code = buf.String()
				cur.complete = hasPackageClause(cur.code)
				out = append(out, cur)
			}
		case in && isGo:
			buf.WriteString(line)
			buf.WriteByte('\n')
		}
		prev = line
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if in {
		return nil, fmt.Errorf("%s: unterminated code fence", rel)
	}
	return out, nil
}

func hasPackageClause(code string) bool {
	for _, l := range strings.Split(code, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "//") {
			continue
		}
		return strings.HasPrefix(l, "package ")
	}
	return false
}

var mainRe = regexp.MustCompile(`(?m)^func main\(\)`)

var testFuncRe = regexp.MustCompile(`(?m)^func (Test|Benchmark|Example|Fuzz)[A-Z_]?\w*\(`)

// render turns a snippet into a Go source file whose line directives point
// back at the Markdown.
//
// A fragment gets an empty main function when addMain is set.
func render(s snippet, addMain bool) (src []byte, pkgName string, err error) {
	directive := fmt.Sprintf("//line %s:%d\n", filepath.Join(s.root, filepath.FromSlash(s.file)), s.line)
	fset := token.NewFileSet()
	if s.complete {
		f, err := parser.ParseFile(fset, "", s.code, parser.PackageClauseOnly)
		if err != nil {
			return nil, "", err
		}
		return []byte(directive + s.code), f.Name.Name, nil
	}
	f, err := parser.ParseFile(fset, "", "package main\n"+s.code, parser.ParseComments)
	if err != nil {
		return nil, "", fmt.Errorf("a fragment must be top-level declarations: %w", err)
	}
	used, declared := map[string]bool{}, declaredNames(f)
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && !declared[id.Name] {
				used[id.Name] = true
			}
		}
		return true
	})
	var b strings.Builder
	b.WriteString("package main\n\n")
	var names []string
	for name := range used {
		if _, ok := knownImports[name]; ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		path := knownImports[name]
		if pathBase(path) == name {
			fmt.Fprintf(&b, "import %q\n", path)
		} else {
			fmt.Fprintf(&b, "import %s %q\n", name, path)
		}
	}
	b.WriteString("\n")
	b.WriteString(directive)
	b.WriteString(s.code)
	if addMain {
		b.WriteString("\nfunc main() {}\n")
	}
	return []byte(b.String()), "main", nil
}

// declaredNames returns every name f declares anywhere (functions, types,
// variables, parameters, fields), so that a local variable called "url" is
// not mistaken for the package.
func declaredNames(f *ast.File) map[string]bool {
	names := map[string]bool{}
	add := func(ids ...*ast.Ident) {
		for _, id := range ids {
			if id != nil {
				names[id.Name] = true
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			add(n.Name)
		case *ast.TypeSpec:
			add(n.Name)
		case *ast.ValueSpec:
			add(n.Names...)
		case *ast.Field:
			add(n.Names...)
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, e := range n.Lhs {
					if id, ok := e.(*ast.Ident); ok {
						add(id)
					}
				}
			}
		case *ast.RangeStmt:
			if n.Tok == token.DEFINE {
				for _, e := range []ast.Expr{n.Key, n.Value} {
					if id, ok := e.(*ast.Ident); ok {
						add(id)
					}
				}
			}
		}
		return true
	})
	return names
}

func pathBase(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}
