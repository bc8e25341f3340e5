package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/internal/app"
	"github.com/blogapi/blogapi/internal/metrics"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	dbtest.Main(contractRun{m})
}

const (
	testKey    = "test-app-key"
	testSecret = "test-app-secret-0123456789"
)

// clock is the settable clock shared by the server and the test client.
type clock = dbtest.Clock

func newClock() *clock { return dbtest.NewClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)) }

func testConfig(t testing.TB) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Server.Mode = "debug"
	cfg.Sign.Apps = []config.App{{Name: "test", Key: testKey, Secret: testSecret}}
	cfg.JWT.Secret = "test-jwt-secret-0123456789abcdef0123456789"
	cfg.Data.Dir = t.TempDir()
	cfg.Log.Level = "error"
	// Generous limits: the flows below come from one IP; TestRateLimits
	// sets tight ones.
	generous := config.Rate{Count: 1000, Period: time.Minute}
	cfg.RateLimit = config.RateLimit{
		Captcha: generous, CheckUsername: generous, Register: generous, ForgotPassword: generous, VerifyResend: generous,
	}
	return cfg
}

// newDB is a fresh database for this test whose stores read clk.
func newDB(t testing.TB, clk *clock) *models.DB {
	t.Helper()
	return dbtest.Open(t, models.Options{Now: clk.Now})
}

// instance is one API server over a database, on a real listener.
type instance struct {
	app *app.App
	srv *httptest.Server
	db  *models.DB
}

func startInstance(t *testing.T, cfg config.Config, db *models.DB, clk *clock) *instance {
	t.Helper()
	return startInstanceWith(t, cfg, db, clk, app.NewMetrics(cfg, slog.New(slog.NewTextHandler(io.Discard, nil))))
}

// startInstanceWith is startInstance with the metrics m (nil: none), e.g.
// the ones db's client times its commands into.
func startInstanceWith(t *testing.T, cfg config.Config, db *models.DB, clk *clock, m *metrics.Metrics) *instance {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg, db, logger, clk.Now, m)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	srv := httptest.NewServer(a.Handler)
	addr := srv.Listener.Addr().String()
	instancePolicies.Store(addr, response.StatusPolicy(cfg.Response.HTTPStatus))
	t.Cleanup(func() {
		instancePolicies.Delete(addr)
		srv.Close()
		a.Close()
	})
	return &instance{app: a, srv: srv, db: db}
}

// client signs requests the way the SPA does (SPEC §3), independently of
// the server's signing code: flat parameters only.
type client struct {
	t      testing.TB
	base   string
	http   *http.Client
	clock  *clock
	key    string
	secret string
	// header is sent with every request (e.g. access-token).
	header http.Header
	lastTS int64
}

// timestamp is the clock in ms, strictly increasing per client as a real
// client's is: two calls with the same parameters must not sign alike.
func (c *client) timestamp() string {
	ts := c.clock.Now().UnixMilli()
	if ts <= c.lastTS {
		ts = c.lastTS + 1
	}
	c.lastTS = ts
	return strconv.FormatInt(ts, 10)
}

func newClient(t testing.TB, base string, clk *clock) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar}, clock: clk, key: testKey, secret: testSecret, header: http.Header{}}
}

// reply is a decoded envelope plus the HTTP response.
type reply struct {
	Status int
	Code   int                   `json:"code"`
	Msg    string                `json:"msg"`
	Data   json.RawMessage       `json:"data"`
	Errors []response.FieldError `json:"errors"`
	Header http.Header
	Body   []byte
}

func (r reply) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// sign returns md5 of the values of params ordered by name, then secret.
func sign(params map[string]string, secret string) string {
	names := make([]string, 0, len(params))
	for n := range params {
		if n != "token" && n != "auth_key" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(params[n])
	}
	b.WriteString(secret)
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// signedQuery is auth_key, a fresh timestamp and the token over the
// timestamp and params (which the caller places in the query or the body).
func (c *client) signedQuery(params map[string]string) url.Values {
	all := map[string]string{"timestamp": c.timestamp()}
	for k, v := range params {
		all[k] = v
	}
	return url.Values{"auth_key": {c.key}, "timestamp": {all["timestamp"]}, "token": {sign(all, c.secret)}}
}

// call sends a signed request: params go to the query string for GET and
// to a JSON object body otherwise; auth_key, timestamp and token go to
// the query string.
func (c *client) call(method, path string, params map[string]string) reply {
	c.t.Helper()
	return c.callWith(method, path, params, nil)
}

func (c *client) callWith(method, path string, params map[string]string, hdr http.Header) reply {
	c.t.Helper()
	return c.send(c.request(method, path, params, hdr))
}

// request is the signed request call sends (see call), with hdr's headers
// on top of the client's.
func (c *client) request(method, path string, params map[string]string, hdr http.Header) *http.Request {
	c.t.Helper()
	q := c.signedQuery(params)
	var body io.Reader
	if method == http.MethodGet {
		for k, v := range params {
			q.Set(k, v)
		}
	} else {
		if params == nil {
			params = map[string]string{}
		}
		b, _ := json.Marshal(params)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path+"?"+q.Encode(), body)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return req
}

// send sends a request as given (already signed or deliberately not) and
// checks the response against docs/openapi.yaml (contract_test.go).
func (c *client) send(req *http.Request) reply {
	c.t.Helper()
	r, err := c.trySend(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// trySend is send for other goroutines than the test's (which must not
// call Fatal): a request that cannot be sent or an answer that is no
// envelope is an error; the contract check reports with Errorf as in send.
func (c *client) trySend(req *http.Request) (reply, error) {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// resp.Request is the request that was answered, redirects followed.
	checkContract(c.t, resp.Request, resp.StatusCode, resp.Header, b)
	r := reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &r); err != nil {
			return reply{}, fmt.Errorf("%s %s: body is not an envelope: %q", req.Method, req.URL.Path, b)
		}
	}
	return r, nil
}

// signedForm is params with auth_key, a fresh timestamp and the token over
// them: a form body carrying the signature and the data together, as the
// seed's clients send it.
func (c *client) signedForm(params map[string]string) url.Values {
	form := c.signedQuery(params)
	for k, v := range params {
		form.Set(k, v)
	}
	return form
}

// postForm sends form as an application/x-www-form-urlencoded POST body.
func (c *client) postForm(path string, form url.Values) reply {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.send(req)
}

// signedRaw builds a request whose body (of contentType) and query are
// signed over all of extra (which the caller also placed in body or query).
func (c *client) signedRaw(method, path, contentType string, body []byte, signed map[string]string) *http.Request {
	c.t.Helper()
	q := c.signedQuery(signed)
	req, err := http.NewRequest(method, c.base+path+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	return req
}

func expect(t testing.TB, r reply, code int, what string) {
	t.Helper()
	if r.Code != code || r.Status != code {
		t.Fatalf("%s: got status %d code %d msg %q body %s; want %d", what, r.Status, r.Code, r.Msg, r.Body, code)
	}
}

// captchaAnswer fetches a captcha and reads its answer from the store, as
// a test may (SPEC §6 keeps the answer out of the markup).
func (c *client) captcha(inst *instance) (id, answer string) {
	c.t.Helper()
	r := c.call(http.MethodGet, "/blogapi/service/captcha", nil)
	expect(c.t, r, 200, "captcha")
	id = r.Header.Get("X-Captcha-Id")
	if id == "" {
		c.t.Fatal("no X-Captcha-Id")
	}
	got, err := inst.db.Captchas.Peek(context.Background(), id)
	if err != nil {
		c.t.Fatalf("captcha %s not in store: %v", id, err)
	}
	return id, got.Answer
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// signedRawJSON signs a literal JSON object body: top-level strings as
// their value, null as "", anything else as its compact literal text.
func (c *client) signedRawJSON(method, path, body string) *http.Request {
	c.t.Helper()
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &members); err != nil {
		c.t.Fatal(err)
	}
	signed := map[string]string{}
	for k, raw := range members {
		var s string
		switch {
		case json.Unmarshal(raw, &s) == nil:
			signed[k] = s
		case string(raw) == "null":
			signed[k] = ""
		default:
			var buf bytes.Buffer
			_ = json.Compact(&buf, raw)
			signed[k] = buf.String()
		}
	}
	return c.signedRaw(method, path, "application/json", []byte(body), signed)
}

// withHeader adds h to req.
func withHeader(req *http.Request, h http.Header) *http.Request {
	for k, v := range h {
		req.Header[k] = v
	}
	return req
}
