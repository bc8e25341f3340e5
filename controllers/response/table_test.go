package response

import (
	"bufio"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/captcha"
	"github.com/blogapi/blogapi/services/media"
	"github.com/blogapi/blogapi/services/signing"
)

// TestEveryErrorHasARow: every exported Err* variable of type error in the
// services, middleware and controllers packages (subpackages included)
// appears in table.go, so no domain error reaches a client as an
// unexplained 500. It reads the sources, as a newcomer would. Store
// sentinels (models) have no row: one reaching the table is a bug of the
// service that let it through, answered 500.
func TestEveryErrorHasARow(t *testing.T) {
	root, module := moduleRoot(t)
	declared := map[string]string{} // "import/path.ErrX" → file:line
	for _, dir := range []string{"services", "middleware", "controllers"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			pkg := module + "/" + filepath.ToSlash(rel)
			for name, pos := range exportedErrors(t, path) {
				declared[pkg+"."+name] = pos
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(declared) < 50 {
		t.Fatalf("found only %d sentinels: is the walk reading the right tree (%s)?", len(declared), root)
	}
	rows := tableKeys(t, module+"/controllers/response")
	for name, pos := range declared {
		if !rows[name] {
			t.Errorf("%s (%s) has no row in controllers/response/table.go", name, pos)
		}
	}
	for name := range rows {
		if _, ok := declared[name]; !ok {
			t.Errorf("table.go has a row for %s, which the walk did not find", name)
		}
	}
}

// TestTableRows: one row per error, every row a message, and one message
// per row but the deliberate "internal error".
func TestTableRows(t *testing.T) {
	errs := map[error]bool{}
	msgs := map[string]error{}
	for _, r := range table {
		if r.err == nil || r.msg == "" || r.code < 200 || r.code > 599 {
			t.Errorf("row %+v: nil error, empty message or bad code", r)
		}
		if errs[r.err] {
			t.Errorf("two rows for %v", r.err)
		}
		errs[r.err] = true
		if other, dup := msgs[r.msg]; dup && r.msg != internal {
			t.Errorf("message %q is the answer to both %v and %v", r.msg, other, r.err)
		}
		msgs[r.msg] = r.err
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		want  Envelope
		known bool
	}{
		{"sentinel", auth.ErrTokenMissing, Envelope{Code: 401, Msg: "access token is missing"}, true},
		{"wrapped sentinel", fmt.Errorf("%w: dial tcp: refused", services.ErrUnavailable),
			Envelope{Code: 503, Msg: "database unavailable"}, true},
		{"row with a field", account.ErrEmailTaken, Envelope{Code: 409, Msg: "email is already registered",
			Errors: []FieldError{{Field: "email", Msg: "email is already registered"}}}, true},
		{"field error", services.Invalid("nick", "must be at most 32 characters"), Envelope{Code: 400,
			Msg: "nick must be at most 32 characters", Errors: []FieldError{{Field: "nick", Msg: "nick must be at most 32 characters"}}}, true},
		{"field error over a row", &services.FieldError{Field: "new_email", Err: account.ErrEmailTaken},
			Envelope{Code: 409, Msg: "email is already registered",
				Errors: []FieldError{{Field: "new_email", Msg: "email is already registered"}}}, true},
		{"a reason a client acts on", fmt.Errorf("login: %w", captcha.ErrRequired), Envelope{Code: 400, Msg: "captcha required",
			Errors: []FieldError{{Field: "captcha", Msg: "captcha required", Reason: ReasonCaptchaRequired}}}, true},
		{"no reason for a wrong answer to the same field", captcha.ErrWrong, Envelope{Code: 400, Msg: "captcha is wrong; fetch a new captcha",
			Errors: []FieldError{{Field: "captcha", Msg: "captcha is wrong; fetch a new captcha"}}}, true},
		{"retry later", &services.RetryLater{Err: ErrRateLimited, RetryAfter: time.Second},
			Envelope{Code: 429, Msg: "too many requests; retry later"}, true},
		{"duplicate member", &signing.DuplicateMemberError{Name: "a"}, Envelope{Code: 400, Msg: `duplicate JSON member "a"`}, true},
		{"long duplicate member", &signing.DuplicateMemberError{Name: strings.Repeat("é", 40)},
			Envelope{Code: 400, Msg: `duplicate JSON member "` + strings.Repeat("é", 32) + `…"`}, true},
		{"body limit", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 1}), Envelope{Code: 413, Msg: "request body is too large"}, true},
		{"status refusal with the admin's reason", &account.StatusRefusal{Err: account.ErrAccountFrozen, Reason: "spam links"},
			Envelope{Code: 403, Msg: "account is frozen: spam links"}, true},
		{"storage outage", &services.RetryLater{Err: fmt.Errorf("%w: dial tcp: refused", media.ErrStorageUnavailable), RetryAfter: time.Second},
			Envelope{Code: 503, Msg: "storage unavailable; try again later"}, true},
		{"database outage", fmt.Errorf("%w: server selection timeout", services.ErrUnavailable), Envelope{Code: 503, Msg: "database unavailable"}, true},
		{"unknown", errors.New("mongo: connection pool closed"), Envelope{Code: 500, Msg: "internal error"}, false},
		{"store error a service let through", fmt.Errorf("x: %w", errors.Join(errors.New("a"), services.ErrBusy)),
			Envelope{Code: 503, Msg: "server is busy; try again later"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known := lookup(tt.err)
			if known != tt.known || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("lookup(%v) = %+v, %v; want %+v, %v", tt.err, got, known, tt.want, tt.known)
			}
		})
	}
}

// moduleRoot is the directory of go.mod above the test and the module path.
func moduleRoot(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m, ok := strings.CutPrefix(sc.Text(), "module "); ok {
					return dir, strings.TrimSpace(m)
				}
			}
			t.Fatal("go.mod has no module line")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// exportedErrors are the package-level exported variables named Err* of a
// file whose type is error: declared as error, or initialised from
// errors.New or fmt.Errorf.
func exportedErrors(t *testing.T, path string) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !name.IsExported() || !strings.HasPrefix(name.Name, "Err") {
					continue
				}
				isError := false
				if id, ok := vs.Type.(*ast.Ident); ok {
					isError = id.Name == "error"
				} else if vs.Type == nil && i < len(vs.Values) {
					isError = isErrorCall(vs.Values[i])
				}
				if !isError {
					t.Errorf("%s: %s is named as an error but is not declared as one (type error, errors.New or fmt.Errorf)",
						fset.Position(name.Pos()), name.Name)
					continue
				}
				found[name.Name] = fset.Position(name.Pos()).String()
			}
		}
	}
	return found
}

func isErrorCall(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && (pkg.Name == "errors" && sel.Sel.Name == "New" || pkg.Name == "fmt" && sel.Sel.Name == "Errorf")
}

// tableKeys are the errors of table.go's rows, as "import/path.Name".
func tableKeys(t *testing.T, self string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "table.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]string{}
	for _, im := range f.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		name := path[strings.LastIndexByte(path, '/')+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = path
	}
	keys := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "table" {
			return true
		}
		for _, elt := range vs.Values[0].(*ast.CompositeLit).Elts {
			switch e := elt.(*ast.CompositeLit).Elts[0].(type) {
			case *ast.SelectorExpr:
				keys[imports[e.X.(*ast.Ident).Name]+"."+e.Sel.Name] = true
			case *ast.Ident:
				keys[self+"."+e.Name] = true
			default:
				t.Fatalf("%s: a row's error is neither a name nor pkg.Name", fset.Position(e.Pos()))
			}
		}
		return false
	})
	if len(keys) != len(table) {
		t.Fatalf("read %d rows of table.go, the table has %d", len(keys), len(table))
	}
	return keys
}
