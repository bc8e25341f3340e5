package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers"
	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/internal/apitest"
)

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// TestContractValid: the description is an OpenAPI 3.0.3 document that
// loads and validates (kin-openapi's Validate, which also checks that
// operation ids are unique), and every operation has one.
func TestContractValid(t *testing.T) {
	ct := apitest.MustContract(t)
	if ct.Doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q; want 3.0.3", ct.Doc.OpenAPI)
	}
	for path, item := range ct.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
		}
	}
}

// signingParams are the parameter components of the signature (docs/signing.md).
var signingParams = []string{"AuthKey", "Timestamp", "Token", "AuthKeyOrBody", "TimestampOrBody", "TokenOrBody"}

// TestContractSecurityAndSigning holds each operation's signing parameters
// and security requirement to the code: an operation that lists the
// signing parameters answers an unsigned request 511 and one that does not
// never does; an operation with a security requirement answers a signed
// request without an access token 401 "access token is missing", and one
// without a requirement never does.
func TestContractSecurityAndSigning(t *testing.T) {
	ct := apitest.MustContract(t)
	clk := apitest.NewClock()
	inst := apitest.Start(t, apitest.Config(t), apitest.NewDB(t, clk), clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	for path, item := range ct.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			var signed int
			for _, p := range op.Parameters {
				if slices.Contains(signingParams, strings.TrimPrefix(p.Ref, "#/components/parameters/")) {
					signed++
				}
			}
			if signed != 0 && signed != 3 {
				t.Errorf("%s %s lists %d of the 3 signing parameters", method, path, signed)
			}
			var body io.Reader
			if method != http.MethodGet {
				body = strings.NewReader("{}")
			}
			req, _ := http.NewRequest(method, inst.Srv.URL+path, body)
			req.Header.Set("Content-Type", "application/json")
			r := c.Send(req)
			if (signed == 3) != (r.Code == response.CodeSignMissing) {
				t.Errorf("%s %s: unsigned request answered %d %q; signing parameters described: %v", method, path, r.Code, r.Msg, signed == 3)
			}
			if signed == 0 {
				continue
			}
			var params map[string]string
			if method != http.MethodGet {
				params = map[string]string{}
			}
			secured := op.Security != nil && len(*op.Security) > 0
			r = c.Call(method, path, params)
			if refused := r.Code == response.CodeUnauthorized && r.Msg == "access token is missing"; refused != secured {
				t.Errorf("%s %s: signed request without an access token answered %d %q; security requirement described: %v",
					method, path, r.Code, r.Msg, secured)
			}
		}
	}
}

// TestContractRoutes: every route Gin registers is described with its
// method, and every described operation is registered.
func TestContractRoutes(t *testing.T) {
	ct := apitest.MustContract(t)
	clk := apitest.NewClock()
	inst := apitest.Start(t, apitest.Config(t), apitest.NewDB(t, clk), clk)
	engine, ok := inst.App.Handler.(*gin.Engine)
	if !ok {
		t.Fatalf("the app's handler is a %T, not the Gin engine", inst.App.Handler)
	}
	var registered []string
	for _, r := range engine.Routes() {
		registered = append(registered, r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}"))
	}
	slices.Sort(registered)
	described := apitest.DescribedOperations(ct.Doc)
	for _, op := range registered {
		if !slices.Contains(described, op) {
			t.Errorf("route %s is registered but not described in docs/openapi.yaml", op)
		}
	}
	for _, op := range described {
		if !slices.Contains(registered, op) {
			t.Errorf("docs/openapi.yaml describes %s, which is not registered", op)
		}
	}
	if len(registered) == 0 {
		t.Fatal("no routes registered")
	}
}

// TestContractCatchesWrongResponses: the response check fails on what the
// description rules out, so a passing integration test means something.
func TestContractCatchesWrongResponses(t *testing.T) {
	ct := apitest.MustContract(t)
	user := `{"id":"65a1b2c3d4e5f60718293a4b","account":"alice","email":"alice@example.com","emailVerified":false,` +
		`"status":"pending","nick":"Alice","avatar":"","cover":"","summary":"","web":"","phone":"","created":1700000000000,"type":"client","level":0,"lastLoginAt":0,"lastLogin":0}`
	ok := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Request-Id": {"abc"}}
	get := func(path string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1"+path, nil)
		return req
	}
	preflight := func() *http.Request {
		req, _ := http.NewRequest(http.MethodOptions, "http://127.0.0.1:1/blogapi/login", nil)
		req.Header.Set("Origin", "http://localhost:5173")
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		return req
	}
	cases := []struct {
		name   string
		req    *http.Request
		status int
		header http.Header
		body   string
		want   string // in the error; "" means valid
	}{
		{"valid user", get("/blogapi/user/center"), 200, ok, `{"code":200,"msg":"success","data":` + user + `}`, ""},
		{"field missing", get("/blogapi/user/center"), 200, ok,
			`{"code":200,"msg":"success","data":` + strings.Replace(user, `"email":"alice@example.com",`, "", 1) + `}`, "email"},
		{"extra field", get("/blogapi/user/center"), 200, ok,
			`{"code":200,"msg":"success","data":` + strings.Replace(user, `"level":0`, `"level":0,"passwordHash":"x"`, 1) + `}`, "passwordHash"},
		{"wrong type", get("/blogapi/user/center"), 200, ok,
			`{"code":200,"msg":"success","data":` + strings.Replace(user, `"level":0`, `"level":"0"`, 1) + `}`, "level"},
		{"wrong data shape", get("/blogapi/user/center"), 200, ok, `{"code":200,"msg":"success","data":{}}`, `"/data/id": property "id" is missing`},
		{"code differs from status", get("/blogapi/user/center"), 401, ok, `{"code":400,"msg":"no"}`, `"/code": value is not one of the allowed values [401]`},
		{"status not described", get("/blogapi/user/center"), 409, ok, `{"code":409,"msg":"taken"}`, "status is not supported"},
		{"no request id", get("/blogapi/user/center"), 401, http.Header{"Content-Type": {"application/json"}}, `{"code":401,"msg":"no"}`, "X-Request-Id"},
		{"undescribed content type", get("/blogapi/user/center"), 401, http.Header{"Content-Type": {"text/html"}, "X-Request-Id": {"a"}}, `<p>`, "text/html"},
		{"data on an error", get("/blogapi/user/center"), 401, ok, `{"code":401,"msg":"no","data":{}}`, "data"},
		{"429 without Retry-After", get("/blogapi/service/captcha"), 429, ok, `{"code":429,"msg":"slow down"}`, "Retry-After"},
		{"captcha without id", get("/blogapi/service/captcha"), 200,
			http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"a"}, "Cache-Control": {"no-store"}, "Set-Cookie": {"captcha_id=" + strings.Repeat("a", 27) + "; Path=/blogapi"}},
			`{"code":200,"msg":"success","data":"<svg />"}`, "X-Captcha-Id"},
		{"unknown path, 404 envelope", get("/nope"), 404, ok, `{"code":404,"msg":"no such route"}`, ""},
		{"unknown path, not 404", get("/nope"), 200, ok, `{"code":200,"msg":"success","data":{}}`, "no operation"},
		{"unknown path, not an envelope", get("/nope"), 404, ok, `{"error":"not found"}`, "Error envelope"},
		{"CORS preflight, empty", preflight(), 204, http.Header{"X-Request-Id": {"a"}}, ``, ""},
		{"CORS preflight, not an envelope", preflight(), 403, ok, `forbidden`, "not JSON"},
		{"wrong method, 405 with another code", &http.Request{Method: http.MethodDelete, URL: get("/healthz").URL, Header: http.Header{}}, 405, ok,
			`{"code":404,"msg":"no"}`, "differs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ct.Check(tc.req, tc.status, tc.header, []byte(tc.body))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid response refused: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("response accepted; want an error about %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %v; want one about %q", err, tc.want)
			}
		})
	}
}

// TestOpenAPIServed: GET /openapi.yaml answers the file's bytes, unsigned,
// as application/yaml with an ETag that revalidates.
func TestOpenAPIServed(t *testing.T) {
	want, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clk := apitest.NewClock()
	inst := apitest.Start(t, apitest.Config(t), apitest.NewDB(t, clk), clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)

	req, _ := http.NewRequest(http.MethodGet, inst.Srv.URL+"/openapi.yaml", nil) // no auth_key, timestamp or token
	r := c.Send(req)
	if r.Status != 200 || !bytes.Equal(r.Body, want) {
		t.Fatalf("GET /openapi.yaml: status %d, %d bytes; want 200 and the %d bytes of docs/openapi.yaml", r.Status, len(r.Body), len(want))
	}
	if ct := r.Header.Get("Content-Type"); ct != controllers.DocsContentType {
		t.Errorf("Content-Type %q; want %q", ct, controllers.DocsContentType)
	}
	if cc := r.Header.Get("Cache-Control"); cc != controllers.DocsCacheControl {
		t.Errorf("Cache-Control %q; want %q", cc, controllers.DocsCacheControl)
	}
	etag := r.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	req, _ = http.NewRequest(http.MethodGet, inst.Srv.URL+"/openapi.yaml", nil)
	req.Header.Set("If-None-Match", etag)
	if r := c.Send(req); r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Errorf("revalidation with the ETag: status %d, %d bytes; want 304 and no body", r.Status, len(r.Body))
	}
	req, _ = http.NewRequest(http.MethodGet, inst.Srv.URL+"/openapi.yaml", nil)
	req.Header.Set("If-None-Match", `"stale"`)
	if r := c.Send(req); r.Status != 200 || !bytes.Equal(r.Body, want) {
		t.Errorf("revalidation with another ETag: status %d, %d bytes; want 200 and the file", r.Status, len(r.Body))
	}
	req, _ = http.NewRequest(http.MethodGet, inst.Srv.URL+"/openapi.yaml", nil)
	req.Header.Set("Range", "bytes=0-6")
	if r := c.Send(req); r.Status != http.StatusPartialContent || string(r.Body) != string(want[:7]) {
		t.Errorf("range 0-6: status %d body %q; want 206 %q", r.Status, r.Body, want[:7])
	}
}
