package apitest

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/docs"
)

// The contract tests hold docs/openapi.yaml to the code: the
// description is valid, it describes exactly the routes Gin registers, and
// every response an integration test receives through (*Client).send
// validates against its operation.

// contract is the description, parsed, validated and routed once per test
// binary.
type Contract struct {
	Doc    *openapi3.T
	Router routers.Router
}

var loadContract = sync.OnceValues(func() (*Contract, error) {
	// The mail links' pages for browsers (docs/openapi.yaml: text/html,
	// described as strings).
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
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
	return &Contract{Doc: doc, Router: router}, nil
})

func MustContract(t testing.TB) *Contract {
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
// as the mirror status their code stands for (docs/routes.md).
var instancePolicies sync.Map

// CheckContract fails t with the validator's message when a response does
// not match the description.
func CheckContract(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if err := MustContract(t).Check(req, status, header, body); err != nil {
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
func (ct *Contract) Check(req *http.Request, status int, header http.Header, body []byte) error {
	req = routedAs(req)
	route, _, err := ct.Router.FindRoute(req)
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

// routedAs is req with the path the router routes it by: repeated slashes
// and dot segments removed, a trailing slash kept (gin's RemoveExtraSlash,
// routes.Engine).
func routedAs(req *http.Request) *http.Request {
	clean := path.Clean("/" + req.URL.Path)
	if strings.HasSuffix(req.URL.Path, "/") && clean != "/" {
		clean += "/"
	}
	if clean == req.URL.Path {
		return req
	}
	r := req.Clone(req.Context())
	r.URL.Path, r.URL.RawPath = clean, ""
	return r
}

// checkEnvelope validates body against the Error schema (the envelope of a
// failure); with sameCode its code must equal the HTTP status.
func (ct *Contract) checkEnvelope(status int, body []byte, sameCode bool) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	if err := ct.Doc.Components.Schemas["Error"].Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails()); err != nil {
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
	for _, op := range DescribedOperations(ct.Doc) {
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

// DescribedOperations lists the description's operations as "METHOD /path".
func DescribedOperations(doc *openapi3.T) []string {
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	slices.Sort(ops)
	return ops
}
