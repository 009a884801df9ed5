package docsnippets

import (
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
