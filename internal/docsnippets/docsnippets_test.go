package docsnippets

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
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

// TestSnippets type-checks every Go block of docs/*.md.
func TestSnippets(t *testing.T) {
	root := repoRoot(t)
	mds, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(mds) == 0 {
		t.Fatal("no guides found in docs/")
	}
	var all []snippet
	for _, md := range mds {
		data, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		rel := filepath.ToSlash(filepath.Join("docs", filepath.Base(md)))
		s, err := extract(rel, data)
		if err != nil {
			t.Fatal(err)
		}
		for i := range s {
			s[i].root = root
		}
		all = append(all, s...)
	}
	if len(all) == 0 {
		t.Fatal("no ```go blocks found in docs/*.md")
	}

	// gofmt: the guides show formatted code.
	for _, s := range all {
		got, err := format.Source([]byte(s.code))
		if err != nil {
			t.Errorf("%s:%d: does not parse: %v", s.file, s.line, err)
			continue
		}
		if !bytes.Equal(got, []byte(s.code)) {
			t.Errorf("%s:%d: block is not gofmt-formatted; gofmt gives:\n%s", s.file, s.line, got)
		}
	}

	// One package directory per block (or per group of same-package
	// blocks), all in a build overlay under this package's testdata
	// directory, which "./..." patterns skip. The directories must exist
	// (go vet runs in them); the files exist only in the overlay.
	// The directories keep stable names, so that go's build and test caches
	// work across runs, and are left in place (empty, so invisible to git)
	// because a concurrent run may be using them.
	// The generated sources are named by their content in the user's
	// cache directory, so that unchanged blocks keep their paths too.
	tmp := t.TempDir()
	srcDir := tmp
	if d, err := os.UserCacheDir(); err == nil {
		srcDir = filepath.Join(d, "ginoauth-docsnippets")
		if err := os.MkdirAll(srcDir, 0o755); err != nil {
			srcDir = tmp
		}
	}
	pkgRoot := filepath.Join(root, "internal", "docsnippets", "testdata", "snippets")
	overlay := map[string]string{}
	var pkgs, testPkgs []string
	dir, pkgName, fileNo := "", "", 0
	// A group of same-package blocks gets one main function, in its first
	// block, unless one of them declares main.
	needsMain := make([]bool, len(all))
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].samePkg {
			j++
		}
		hasMain := false
		for _, s := range all[i:j] {
			hasMain = hasMain || mainRe.MatchString(s.code)
		}
		needsMain[i] = !hasMain && !all[i].complete
		i = j
	}
	for i, s := range all {
		src, name, err := render(s, needsMain[i])
		if err != nil {
			t.Errorf("%s:%d: %v", s.file, s.line, err)
			continue
		}
		if s.samePkg && dir != "" {
			if name != pkgName {
				t.Errorf("%s:%d: marked %q but declares package %s, not %s", s.file, s.line, samePackageMarker, name, pkgName)
				continue
			}
			fileNo++
		} else {
			base := strings.TrimSuffix(filepath.Base(s.file), ".md")
			pkg := fmt.Sprintf("%s_%03d", strings.ReplaceAll(base, "-", "_"), i)
			dir, pkgName, fileNo = filepath.Join(pkgRoot, pkg), name, 0
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			pkgs = append(pkgs, "./"+pkg)
		}
		fname := fmt.Sprintf("block%d.go", fileNo)
		if testFuncRe.MatchString(s.code) {
			fname = fmt.Sprintf("block%d_test.go", fileNo)
			if p := pkgs[len(pkgs)-1]; !slices.Contains(testPkgs, p) {
				testPkgs = append(testPkgs, p)
			}
		}
		real, err := writeSource(srcDir, fname, src)
		if err != nil {
			t.Fatal(err)
		}
		overlay[filepath.Join(dir, fname)] = real
	}
	if t.Failed() {
		return
	}
	ov, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		t.Fatal(err)
	}
	ovPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		t.Fatal(err)
	}
	// go vet checks every block; go test runs the blocks' tests. They run
	// at the same time.
	start := time.Now()
	goCmd, err := goTool()
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		out []byte
		err error
		d   time.Duration
	}
	run := func(args ...string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			cmd := exec.Command(goCmd, args...)
			cmd.Dir = pkgRoot
			out, err := cmd.CombinedOutput()
			ch <- result{out, err, time.Since(start)}
		}()
		return ch
	}
	vet := run(append([]string{"vet", "-overlay", ovPath}, pkgs...)...)
	var tests <-chan result
	if len(testPkgs) > 0 {
		tests = run(append([]string{"test", "-vet=off", "-overlay", ovPath}, testPkgs...)...)
	}
	v := <-vet
	if v.err != nil {
		t.Errorf("%d Go blocks in docs/*.md; go vet failed (%v). Positions are Markdown file:line:\n%s",
			len(all), v.err, cleanVetOutput(root, string(v.out)))
	} else {
		t.Logf("%d Go blocks in %d guides compile and pass go vet (%v)", len(all), len(mds), v.d.Round(time.Millisecond))
	}
	if tests == nil {
		return
	}
	r := <-tests
	if r.err != nil {
		t.Errorf("the tests shown in docs/*.md fail (%v). Positions are Markdown file:line:\n%s", r.err, cleanVetOutput(root, string(r.out)))
		return
	}
	t.Logf("the tests shown in docs/*.md pass (%d packages, %v)", len(testPkgs), r.d.Round(time.Millisecond))
}

// goTool finds the go command: the one of the GOROOT that "go test" runs
// the test under, or the first on PATH.
func goTool() (string, error) {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return exec.LookPath("go")
}

// writeSource writes src to dir under a name made of its content's hash
// (keeping name's suffix, _test.go or .go), atomically, and returns the path.
func writeSource(dir, name string, src []byte) (string, error) {
	sum := sha256.Sum256(src)
	suffix := ".go"
	if strings.HasSuffix(name, "_test.go") {
		suffix = "_test.go"
	}
	path := filepath.Join(dir, hex.EncodeToString(sum[:12])+suffix)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	f, err := os.CreateTemp(dir, "tmp-*")
	if err != nil {
		return "", err
	}
	_, werr := f.Write(src)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		os.Remove(f.Name())
		return "", errors.Join(werr, cerr)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return path, nil
}

// cleanVetOutput drops the "# package" headers, which name generated
// directories, and makes the docs/ paths relative to the module root.
func cleanVetOutput(root, s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "# ") || l == "" {
			continue
		}
		b.WriteString("\t" + strings.ReplaceAll(l, root+string(filepath.Separator), "") + "\n")
	}
	return b.String()
}

func TestExtract(t *testing.T) {
	md := "# T\n\n```go\npackage main\n\nfunc main() {}\n```\n\ntext\n\n" +
		samePackageMarker + "\n```go\nfunc f() {}\n```\n\n```sh\ngo run .\n```\n\n````go\nvar x = 1\n````\n"
	got, err := extract("docs/t.md", []byte(md))
	if err != nil {
		t.Fatal(err)
	}
	want := []snippet{
		{file: "docs/t.md", line: 4, code: "package main\n\nfunc main() {}\n", complete: true},
		{file: "docs/t.md", line: 13, code: "func f() {}\n", samePkg: true},
		{file: "docs/t.md", line: 21, code: "var x = 1\n"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d blocks, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("block %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := extract("docs/t.md", []byte("```go\nfunc f() {}\n")); err == nil {
		t.Error("unterminated fence: got nil error, want one")
	}
}

func TestRender(t *testing.T) {
	src, name, err := render(snippet{root: "/r", file: "docs/t.md", line: 7, code: "func handler(c *gin.Context) {\n\t_ = ginoauth.ErrNoToken\n\tc.Status(http.StatusOK)\n}\n"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if name != "main" {
		t.Errorf("package: got %q, want main", name)
	}
	for _, want := range []string{
		`import "github.com/gin-gonic/gin"`,
		`import "github.com/ginoauth/ginoauth"`,
		`import "net/http"`,
		"//line " + filepath.Join("/r", "docs", "t.md") + ":7\nfunc handler",
		"func main() {}",
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("rendered fragment lacks %q:\n%s", want, src)
		}
	}
	if strings.Contains(string(src), `"context"`) {
		t.Errorf("rendered fragment imports an unused package:\n%s", src)
	}
	if _, _, err := render(snippet{file: "docs/t.md", line: 1, code: "x := 1\n"}, true); err == nil {
		t.Error("statement fragment: got nil error, want one")
	}
}

// TestErrorKinds checks the error kind table in docs/hooks.md against the
// Kind constants of the root package and their statuses.
func TestErrorKinds(t *testing.T) {
	root := repoRoot(t)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(root, "errors.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "hooks.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if len(vs.Names) != 1 || len(vs.Values) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Kind") {
				continue
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok {
				continue
			}
			kind := strings.Trim(lit.Value, `"`)
			n++
			status := (&ginoauth.Error{Kind: ginoauth.ErrorKind(kind)}).Status()
			row := fmt.Sprintf("| `%s` | %d |", kind, status)
			if !strings.Contains(string(doc), row) {
				t.Errorf("docs/hooks.md lacks the row %q for %s", row, vs.Names[0].Name)
			}
		}
	}
	if n < 10 {
		t.Fatalf("found %d Kind constants in errors.go, want at least 10", n)
	}
}

var (
	mdLinkRe  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRe = regexp.MustCompile(`(?m)^#{1,6} +(.+)$`)
)

// anchor is GitHub's anchor for a heading: lower case, punctuation
// dropped, spaces made hyphens.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestLinks checks that the guides' relative links point at files that
// exist, and at headings that exist in them.
func TestLinks(t *testing.T) {
	root := repoRoot(t)
	mds, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) (map[string]bool, error) {
		if a, ok := anchors[path]; ok {
			return a, nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		a := map[string]bool{}
		inFence := false
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "```") {
				inFence = !inFence
			}
			if m := headingRe.FindStringSubmatch(line); m != nil && !inFence {
				a[anchor(m[1])] = true
			}
		}
		anchors[path] = a
		return a, nil
	}
	for _, md := range mds {
		data, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range strings.Split(string(data), "\n") {
			for _, m := range mdLinkRe.FindAllStringSubmatch(line, -1) {
				link := m[1]
				if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
					continue
				}
				file, frag, _ := strings.Cut(link, "#")
				target := md
				if file != "" {
					target = filepath.Join(filepath.Dir(md), filepath.FromSlash(file))
				}
				where := fmt.Sprintf("docs/%s:%d", filepath.Base(md), n+1)
				if _, err := os.Stat(target); err != nil {
					t.Errorf("%s: link %q: %v", where, link, err)
					continue
				}
				if frag == "" || !strings.HasSuffix(target, ".md") {
					continue
				}
				a, err := anchorsOf(target)
				if err != nil {
					t.Fatal(err)
				}
				if !a[frag] {
					t.Errorf("%s: link %q: no heading with anchor #%s", where, link, frag)
				}
			}
		}
	}
}
