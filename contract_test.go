package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers"
	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/docs"
)

// The contract tests hold docs/openapi.yaml to the code (issue 4): the
// description is valid, it describes exactly the routes Gin registers, and
// every response an integration test receives through (*client).send
// validates against its operation.

// contract is the description, parsed, validated and routed once per test
// binary.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(docs.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml does not load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml is not a valid OpenAPI description: %w", err)
	}
	// The tests' servers listen on random loopback ports, not at the
	// documented servers: operations are found by path alone.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml: %w", err)
	}
	return &contract{doc: doc, router: router}, nil
})

func mustContract(t testing.TB) *contract {
	t.Helper()
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// exercised holds the operations ("POST /blogapi/login") that answered at
// least one response which validated against the description.
var exercised = struct {
	sync.Mutex
	ops map[string]bool
}{ops: map[string]bool{}}

// instancePolicies maps a test server's host:port to its
// response.http_status, so responses of a `standard` instance are checked
// as the mirror status their code stands for (SPEC §2).
var instancePolicies sync.Map

// checkContract fails t with the validator's message when a response does
// not match the description.
func checkContract(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if err := mustContract(t).check(req, status, header, body); err != nil {
		t.Errorf("%s %s → %d does not match docs/openapi.yaml: %v\nbody: %.600s", req.Method, req.URL.Path, status, err, body)
	}
}

// check validates one response against the operation of its request, with
// openapi3filter.ValidateResponse: the status must be described, described
// headers present and of their schema, the content type described and the
// body of its schema. Requests are not validated: tests send bad ones on
// purpose.
//
// A request no operation matches must have been answered 404 (no such path)
// or 405 (no such method on the path) with a body of the Error schema and
// the same code. A CORS preflight (OPTIONS with
// Access-Control-Request-Method) is answered by the CORS middleware before
// routing and is not described; its body, if any, must be an Error
// envelope.
func (ct *contract) check(req *http.Request, status int, header http.Header, body []byte) error {
	route, _, err := ct.router.FindRoute(req)
	if err != nil {
		if req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != "" {
			if len(body) == 0 {
				return nil
			}
			return ct.checkEnvelope(status, body, false)
		}
		// The router returns fresh RouteErrors with the sentinels' reasons.
		var re *routers.RouteError
		errors.As(err, &re)
		switch {
		case re != nil && re.Reason == routers.ErrPathNotFound.Error() && status == http.StatusNotFound:
		case re != nil && re.Reason == routers.ErrMethodNotAllowed.Error() && status == http.StatusMethodNotAllowed:
		default:
			return fmt.Errorf("no operation describes the request (%v)", err)
		}
		return ct.checkEnvelope(status, body, true)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
		Status:                 describedStatus(req, status, body),
		Header:                 header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return err
	}
	exercised.Lock()
	exercised.ops[route.Method+" "+route.Path] = true
	exercised.Unlock()
	return nil
}

// checkEnvelope validates body against the Error schema (the envelope of a
// failure); with sameCode its code must equal the HTTP status.
func (ct *contract) checkEnvelope(status int, body []byte, sameCode bool) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	if err := ct.doc.Components.Schemas["Error"].Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails()); err != nil {
		return fmt.Errorf("body is not an Error envelope: %w", err)
	}
	var env struct{ Code int }
	_ = json.Unmarshal(body, &env)
	if sameCode && env.Code != status {
		return fmt.Errorf("envelope code %d differs from HTTP status %d", env.Code, status)
	}
	return nil
}

// describedStatus is the status a response is described under: the HTTP
// status itself, except from an instance with response.http_status
// standard, whose 401/409/500 carrying another code stand for that code.
func describedStatus(req *http.Request, status int, body []byte) int {
	if p, _ := instancePolicies.Load(req.URL.Host); p != response.StatusStandard {
		return status
	}
	var env struct{ Code int }
	if json.Unmarshal(body, &env) == nil && env.Code != status && response.StatusStandard.HTTPStatus(env.Code) == status {
		return env.Code
	}
	return status
}

// contractRun runs the package's tests, then fails the run when an
// operation of the description never answered a validated response, so the
// description cannot hold an operation no test checks. A run narrowed with
// -run, -skip or -list leaves tests out by design and is not judged.
type contractRun struct{ m *testing.M }

func (r contractRun) Run() int {
	code := r.m.Run()
	if code != 0 {
		return code
	}
	for _, name := range []string{"test.run", "test.skip", "test.list"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return code
		}
	}
	ct, err := loadContract()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	var missing []string
	exercised.Lock()
	for _, op := range describedOperations(ct.doc) {
		if !exercised.ops[op] {
			missing = append(missing, op)
		}
	}
	exercised.Unlock()
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: no test received a validated response from these operations of docs/openapi.yaml:\n\t%s\n",
			strings.Join(missing, "\n\t"))
		return 1
	}
	return code
}

// describedOperations lists the description's operations as "METHOD /path".
func describedOperations(doc *openapi3.T) []string {
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	slices.Sort(ops)
	return ops
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// TestContractValid: the description is an OpenAPI 3.0.3 document that
// loads and validates (kin-openapi's Validate, which also checks that
// operation ids are unique), and every operation has one.
func TestContractValid(t *testing.T) {
	ct := mustContract(t)
	if ct.doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q; want 3.0.3", ct.doc.OpenAPI)
	}
	for path, item := range ct.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
		}
	}
}

// signingParams are the parameter components of the signature (SPEC §3).
var signingParams = []string{"AuthKey", "Timestamp", "Token", "AuthKeyOrBody", "TimestampOrBody", "TokenOrBody"}

// TestContractSecurityAndSigning holds each operation's signing parameters
// and security requirement to the code: an operation that lists the
// signing parameters answers an unsigned request 511 and one that does not
// never does; an operation with a security requirement answers a signed
// request without an access token 401 "access token is missing", and one
// without a requirement never does.
func TestContractSecurityAndSigning(t *testing.T) {
	ct := mustContract(t)
	clk := newClock()
	inst := startInstance(t, testConfig(t), newDB(t, clk), clk)
	c := newClient(t, inst.srv.URL, clk)
	for path, item := range ct.doc.Paths.Map() {
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
			req, _ := http.NewRequest(method, inst.srv.URL+path, body)
			req.Header.Set("Content-Type", "application/json")
			r := c.send(req)
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
			r = c.call(method, path, params)
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
	ct := mustContract(t)
	clk := newClock()
	inst := startInstance(t, testConfig(t), newDB(t, clk), clk)
	engine, ok := inst.app.Handler.(*gin.Engine)
	if !ok {
		t.Fatalf("the app's handler is a %T, not the Gin engine", inst.app.Handler)
	}
	var registered []string
	for _, r := range engine.Routes() {
		registered = append(registered, r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}"))
	}
	slices.Sort(registered)
	described := describedOperations(ct.doc)
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
	ct := mustContract(t)
	user := `{"id":"65a1b2c3d4e5f60718293a4b","account":"alice","email":"alice@example.com","emailVerified":false,` +
		`"status":"pending","nick":"Alice","avatar":"","created":1700000000000,"type":"client","level":0,"lastLoginAt":0}`
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
			err := ct.check(tc.req, tc.status, tc.header, []byte(tc.body))
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
	want, err := os.ReadFile("docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	inst := startInstance(t, testConfig(t), newDB(t, clk), clk)
	c := newClient(t, inst.srv.URL, clk)

	req, _ := http.NewRequest(http.MethodGet, inst.srv.URL+"/openapi.yaml", nil) // no auth_key, timestamp or token
	r := c.send(req)
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

	req, _ = http.NewRequest(http.MethodGet, inst.srv.URL+"/openapi.yaml", nil)
	req.Header.Set("If-None-Match", etag)
	if r := c.send(req); r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Errorf("revalidation with the ETag: status %d, %d bytes; want 304 and no body", r.Status, len(r.Body))
	}
	req, _ = http.NewRequest(http.MethodGet, inst.srv.URL+"/openapi.yaml", nil)
	req.Header.Set("If-None-Match", `"stale"`)
	if r := c.send(req); r.Status != 200 || !bytes.Equal(r.Body, want) {
		t.Errorf("revalidation with another ETag: status %d, %d bytes; want 200 and the file", r.Status, len(r.Body))
	}
	req, _ = http.NewRequest(http.MethodGet, inst.srv.URL+"/openapi.yaml", nil)
	req.Header.Set("Range", "bytes=0-6")
	if r := c.send(req); r.Status != http.StatusPartialContent || string(r.Body) != string(want[:7]) {
		t.Errorf("range 0-6: status %d body %q; want 206 %q", r.Status, r.Body, want[:7])
	}
}
