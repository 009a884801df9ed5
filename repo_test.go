package ginoauth_test

// Repository-wide checks: the import graph stays lean, and every exported
// identifier is documented the way go doc shows it.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportGraphIsLean checks the design rule that an app importing the
// root package and one provider compiles no GORM and no SQL driver.
func TestImportGraphIsLean(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, pkg := range []string{".", "./providers/github", "./providers/google", "./backends/memory"} {
		if _, err := os.Stat(filepath.Join(pkg)); err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, banned := range []string{"gorm.io/", "database/sql", "github.com/glebarez/", "modernc.org/sqlite", "github.com/jackc/", "github.com/go-sql-driver/"} {
				if strings.HasPrefix(dep, banned) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}

// TestLibraryModuleRequirements keeps the library module's go.mod to what
// its packages import: the example's, the GORM backend's, the benchmarks'
// and the interoperability tests' dependencies live in their own modules.
func TestLibraryModuleRequirements(t *testing.T) {
	data, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	direct := 0
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.Contains(f[0], ".") {
			continue
		}
		if !strings.Contains(line, "// indirect") {
			direct++
		}
		for _, banned := range []string{"gorm.io/", "github.com/glebarez/", "github.com/go-sql-driver/", "github.com/jackc/",
			"github.com/chromedp/", "github.com/zitadel/", "github.com/go-oauth2/", "github.com/markbates/goth", "github.com/mrjones/"} {
			if strings.HasPrefix(f[0], banned) {
				t.Errorf("go.mod requires %s, which only tests, the example or other modules use", f[0])
			}
		}
	}
	if direct > 10 {
		t.Errorf("go.mod has %d direct requirements, want at most 10", direct)
	}
}

// TestExportedIdentifiersAreDocumented requires a doc comment that starts
// with the identifier's name on every exported function, method, type,
// constant and variable of every package in the module (grouped constants
// may share their group's comment).
func TestExportedIdentifiersAreDocumented(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bench" || name == "internal") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			return nil
		}
		checkFileDocs(t, fset, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkFileDocs(t *testing.T, fset *token.FileSet, f *ast.File) {
	t.Helper()
	bad := func(pos token.Pos, name, why string) {
		t.Errorf("%s: %s %s", fset.Position(pos), name, why)
	}
	startsWith := func(doc *ast.CommentGroup, name string) bool {
		if doc == nil {
			return false
		}
		text := doc.Text()
		for _, prefix := range []string{"", "A ", "An ", "The "} {
			if strings.HasPrefix(text, prefix+name) {
				rest := text[len(prefix+name):]
				if rest == "" || !isIdentChar(rest[0]) {
					return true
				}
			}
		}
		return strings.HasPrefix(text, "Deprecated:")
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv != nil && !exportedRecv(d.Recv) {
				continue
			}
			if !startsWith(d.Doc, d.Name.Name) {
				bad(d.Pos(), d.Name.Name, "needs a doc comment starting with its name")
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					doc := s.Doc
					if doc == nil && len(d.Specs) == 1 {
						doc = d.Doc
					}
					if s.Name.IsExported() && !startsWith(doc, s.Name.Name) {
						bad(s.Pos(), s.Name.Name, "needs a doc comment starting with its name")
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if !n.IsExported() {
							continue
						}
						grouped := d.Lparen.IsValid() && d.Doc != nil
						if !startsWith(s.Doc, n.Name) && !(grouped && (s.Doc != nil || s.Comment != nil || d.Doc != nil)) &&
							!(len(d.Specs) == 1 && startsWith(d.Doc, n.Name)) {
							bad(n.Pos(), n.Name, "needs a doc comment (its own, or its group's)")
						}
					}
				}
			}
		}
	}
}

func exportedRecv(fl *ast.FieldList) bool {
	if len(fl.List) == 0 {
		return false
	}
	typ := fl.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if idx, ok := typ.(*ast.IndexExpr); ok {
		typ = idx.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
