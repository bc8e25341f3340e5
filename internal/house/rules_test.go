package house

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Layers gives each package of the module (by path relative to the module
// root, matched by the longest prefix) its rank; "" is the root package main.
var Layers = map[string]int{
	"models":               0,
	"config":               0,
	"docs":                 0,
	"services":             1,
	"controllers/response": 2,
	"middleware":           3,
	"controllers":          4,
	"routes":               5,
	"internal/metrics":     5,
	"internal/app":         6,
	"internal/apitest":     7,
	"internal/house":       7,
	"e2e":                  8,
	"bench":                8,
	"clients":              8,
	"":                     9,
}

// HTTP lists the packages (by prefix) that may import gin.
var HTTP = []string{"controllers", "middleware", "routes", "internal/metrics", "internal/app", "internal/apitest", "e2e", "bench"}

// ConfigUsers lists the packages (by prefix) that may import config: the
// composition root, main, and the harnesses that build a configuration as
// main does.
var ConfigUsers = []string{"internal/app", "internal/apitest", "e2e", "bench", ""}

// Lean lists the packages whose imports are confined to the standard library
// plus the module packages named.
var Lean = map[string][]string{
	"services/signing": {"services"},
	"clients/sign":     {"services/signing", "services"},
}

// StoreUsers lists the packages (by prefix) that may import models: the
// services, the metrics adapters, the composition root and the harnesses.
// The HTTP layer reaches the stores through a service.
var StoreUsers = []string{"models", "services", "internal/metrics", "internal/app", "internal/apitest", "e2e", "bench"}

// Package is one package's non-test imports, by the file importing each.
type Package struct {
	Dir     string              // relative to the module root, "" for the root
	Imports map[string][]string // import path -> files (base names)
}

// Violation is one import that breaks a rule.
type Violation struct {
	Package, File, Import, Rule string
}

func (v Violation) String() string {
	pkg := v.Package
	if pkg == "" {
		pkg = "(root)"
	}
	return fmt.Sprintf("%s/%s imports %s: %s", pkg, v.File, v.Import, v.Rule)
}

// Load parses the imports of every package under root (the module root,
// whose go.mod names module), skipping testdata, hidden folders, node_modules
// and _test.go files.
func Load(root string) (module string, pkgs []Package, err error) {
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", nil, err
	}
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			module = f[1]
		}
	}
	if module == "" {
		return "", nil, fmt.Errorf("house: no module line in %s", filepath.Join(root, "go.mod"))
	}
	byDir := map[string]*Package{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		rel = filepath.ToSlash(rel)
		if rel == "." {
			rel = ""
		}
		pkg := byDir[rel]
		if pkg == nil {
			pkg = &Package{Dir: rel, Imports: map[string][]string{}}
			byDir[rel] = pkg
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			pkg.Imports[ip] = append(pkg.Imports[ip], name)
		}
		return nil
	})
	for _, p := range byDir {
		pkgs = append(pkgs, *p)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Dir < pkgs[j].Dir })
	return module, pkgs, err
}

// Check returns every import of pkgs that breaks a rule, module being the
// module path that prefixes the packages' own imports.
func Check(module string, pkgs []Package) []Violation {
	var out []Violation
	byDir := map[string]Package{}
	for _, p := range pkgs {
		byDir[p.Dir] = p
	}
	for _, p := range pkgs {
		rank, known := rankOf(p.Dir)
		for _, ip := range sortedKeys(p.Imports) {
			file := p.Imports[ip][0]
			add := func(rule string) { out = append(out, Violation{p.Dir, file, ip, rule}) }
			own, isOwn := strings.CutPrefix(ip, module+"/")
			if ip == module {
				own, isOwn = "", true
			}
			switch {
			case !known:
				add("the package has no layer in docs/architecture.md")
			case isOwn:
				if r, ok := rankOf(own); ok && r > rank {
					add(fmt.Sprintf("a layer-%d package imports layer %d above it", rank, r))
				}
				if (own == "models" || strings.HasPrefix(own, "models/")) && !under(p.Dir, StoreUsers) {
					add("models is reached through a service, not from the HTTP layer")
				}
				if own == "config" && !under(p.Dir, ConfigUsers) {
					add("config is read by internal/app only; pass typed values")
				}
			case isGin(ip) && !under(p.Dir, HTTP):
				add("gin outside the HTTP packages")
			case isDriver(ip) && !under(p.Dir, []string{"models"}):
				add("the MongoDB driver or FerretDB outside models")
			}
			if allowed, lean := Lean[p.Dir]; lean && !isStd(ip) {
				if !isOwn || !contains(allowed, own) {
					add("this package imports only the standard library" + leanSuffix(allowed))
				} else if bad := heavy(module, own, allowed, byDir); bad != "" {
					add("it links " + bad + " through " + own + "; keep this package on the standard library")
				}
			}
		}
	}
	return out
}

// heavy returns the first import outside the standard library and allowed
// found below the module package dir, or "".
func heavy(module, dir string, allowed []string, byDir map[string]Package) string {
	for _, ip := range sortedKeys(byDir[dir].Imports) {
		if isStd(ip) {
			continue
		}
		own, isOwn := strings.CutPrefix(ip, module+"/")
		if !isOwn || !contains(allowed, own) {
			return ip
		}
		if bad := heavy(module, own, allowed, byDir); bad != "" {
			return bad
		}
	}
	return ""
}

func leanSuffix(allowed []string) string {
	if len(allowed) == 0 {
		return ""
	}
	return " and " + strings.Join(allowed, ", ")
}

// rankOf is the rank of the longest prefix of dir in Layers.
func rankOf(dir string) (int, bool) {
	for d := dir; ; d = path.Dir(d) {
		if d == "." || d == "/" {
			d = ""
		}
		if r, ok := Layers[d]; ok && (d != "" || dir == "") {
			return r, true
		}
		if d == "" {
			return 0, false
		}
	}
}

// under reports whether dir is one of prefixes or below one ("" matches the
// root package only).
func under(dir string, prefixes []string) bool {
	for _, p := range prefixes {
		if dir == p || (p != "" && strings.HasPrefix(dir, p+"/")) {
			return true
		}
	}
	return false
}

func isGin(ip string) bool {
	return strings.HasPrefix(ip, "github.com/gin-gonic/") || strings.HasPrefix(ip, "github.com/gin-contrib/")
}

func isDriver(ip string) bool {
	return strings.HasPrefix(ip, "go.mongodb.org/") || strings.HasPrefix(ip, "github.com/FerretDB/")
}

// isStd reports whether ip is a standard-library path: no dot in its first
// element.
func isStd(ip string) bool {
	first, _, _ := strings.Cut(ip, "/")
	return !strings.Contains(first, ".")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
