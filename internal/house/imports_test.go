package house

import (
	"path/filepath"
	"runtime"
	"testing"
)

// TestImportRules fails on every import of the module that breaks a rule of
// docs/architecture.md, naming the file and the import.
func TestImportRules(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	module, pkgs, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("loaded %d packages from %s; want the whole module", len(pkgs), root)
	}
	for _, v := range Check(module, pkgs) {
		t.Error(v)
	}
}

// TestCheckFindsEachRule feeds Check one made-up package per rule and wants
// exactly that rule's violation, so TestImportRules cannot pass by checking
// nothing.
func TestCheckFindsEachRule(t *testing.T) {
	const mod = "example.com/blog"
	tests := []struct {
		name, dir, imp string
		want           bool
	}{
		{"store imports a service", "models", mod + "/services/auth", true},
		{"service imports the store", "services/auth", mod + "/models", false},
		{"middleware imports controllers", "middleware", mod + "/controllers", true},
		{"controllers import the response package", "controllers", mod + "/controllers/response", false},
		{"response imports controllers", "controllers/response", mod + "/controllers", true},
		{"routes import internal/app", "routes", mod + "/internal/app", true},
		{"gin in a service", "services/content", "github.com/gin-gonic/gin", true},
		{"gin contrib in models", "models", "github.com/gin-contrib/cors", true},
		{"gin in middleware", "middleware", "github.com/gin-gonic/gin", false},
		{"driver in a service", "services/content", "go.mongodb.org/mongo-driver/v2/bson", true},
		{"FerretDB in internal/app", "internal/app", "github.com/FerretDB/FerretDB/ferretdb", true},
		{"driver in models/dbtest", "models/dbtest", "go.mongodb.org/mongo-driver/v2/mongo", false},
		{"config in middleware", "middleware", mod + "/config", true},
		{"config in internal/app", "internal/app", mod + "/config", false},
		{"config in main", "", mod + "/config", false},
		{"third-party package in signing", "services/signing", "github.com/google/uuid", true},
		{"signing on the standard library", "services/signing", "crypto/md5", false},
		{"signing imports the shared domain errors", "services/signing", mod + "/services", false},
		{"controllers import models", "controllers", mod + "/models", true},
		{"middleware imports a store helper", "middleware", mod + "/models/dbtest", true},
		{"internal/app imports models", "internal/app", mod + "/models", false},
		{"sign tool imports signing", "clients/sign", mod + "/services/signing", false},
		{"sign tool imports models", "clients/sign", mod + "/models", true},
		{"package with no layer", "tools", "fmt", true},
	}
	// A lean package is refused what its allowed imports link below them.
	heavyPkgs := []Package{
		{Dir: "clients/sign", Imports: map[string][]string{mod + "/services/signing": {"main.go"}}},
		{Dir: "services/signing", Imports: map[string][]string{"crypto/md5": {"sign.go"}, mod + "/services": {"sign.go"}}},
		{Dir: "services", Imports: map[string][]string{"go.uber.org/zap": {"errors.go"}}},
	}
	if got := Check(mod, heavyPkgs); len(got) != 2 {
		t.Errorf("a third-party import below services/signing: %v, want a violation for clients/sign and services/signing", got)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(mod, []Package{{Dir: tt.dir, Imports: map[string][]string{tt.imp: {"x.go"}}}})
			if tt.want && len(got) == 0 {
				t.Fatalf("%s importing %s: no violation, want one", tt.dir, tt.imp)
			}
			if !tt.want && len(got) != 0 {
				t.Fatalf("%s importing %s: %v, want none", tt.dir, tt.imp, got)
			}
			for _, v := range got {
				if v.Package != tt.dir || v.Import != tt.imp || v.File != "x.go" || v.Rule == "" {
					t.Errorf("violation %+v does not name the package, file, import and rule", v)
				}
			}
		})
	}
}
