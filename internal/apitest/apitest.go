// Package apitest is the harness of the HTTP tests: an API server over a
// fresh embedded database (Start), a client that signs as a real client does
// (Client), the check of every response against docs/openapi.yaml (Check,
// contract.go) and the outbox reader.
package apitest

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

// Main runs a test package's tests (call it from TestMain) in gin's test
// mode over the shared embedded database, then, for a whole run, fails when
// an operation of docs/openapi.yaml never answered a validated response.
func Main(m *testing.M) {
	gin.SetMode(gin.TestMode)
	dbtest.Main(contractRun{m})
}

const (
	Key    = "test-app-key"
	Secret = "test-app-secret-0123456789"
)

// clock is the settable clock shared by the server and the test client.
type Clock = dbtest.Clock

func NewClock() *Clock { return dbtest.NewClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)) }

func Config(t testing.TB) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Server.Mode = "debug"
	cfg.Sign.Apps = []config.App{{Name: "test", Key: Key, Secret: Secret}}
	cfg.JWT.Secret = "test-jwt-secret-0123456789abcdef0123456789"
	cfg.Data.Dir = t.TempDir()
	cfg.Log.Level = "error"
	// Generous limits: the flows below come from one IP; TestRateLimits
	// sets tight ones.
	generous := config.Rate{Count: 1000, Period: time.Minute}
	// The brute-force tests were written for one threshold for the
	// account and the IP; TestLoginGuardIPThresholdOwnKey (services)
	// covers the default of 20 per IP.
	cfg.Security.LoginCaptchaAfterIP = cfg.Security.LoginCaptchaAfter
	cfg.RateLimit = config.RateLimit{
		Store:   config.RateStoreMemory,
		Captcha: generous, CheckUsername: generous, Register: generous, ForgotPassword: generous, VerifyResend: generous,
	}
	return cfg
}

// NewDB is a fresh database for this test whose stores read clk.
func NewDB(t testing.TB, clk *Clock) *models.DB {
	t.Helper()
	return dbtest.Open(t, models.Options{Now: clk.Now})
}

// instance is one API server over a database, on a real listener.
type Instance struct {
	App *app.App
	Srv *httptest.Server
	DB  *models.DB
}

func Start(t *testing.T, cfg config.Config, db *models.DB, clk *Clock) *Instance {
	t.Helper()
	return StartWith(t, cfg, db, clk, app.NewMetrics(cfg, slog.New(slog.NewTextHandler(io.Discard, nil))))
}

// StartWith is Start with the metrics m (nil: none), e.g.
// the ones db's client times its commands into.
func StartWith(t *testing.T, cfg config.Config, db *models.DB, clk *Clock, m *metrics.Metrics) *Instance {
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
	return &Instance{App: a, Srv: srv, DB: db}
}

// client signs requests the way the SPA does (docs/signing.md), independently of
// the server's signing code: flat parameters only.
type Client struct {
	t     testing.TB
	clock *Clock
	// Base is the server's URL; Key and Secret the signing app.
	Base, Key, Secret string
	HTTP              *http.Client
	// Header is sent with every request (e.g. access-token).
	Header http.Header
	// LastTS is the last timestamp signed (ms); the next one is later. A
	// test sets it to space concurrent clients apart.
	LastTS int64
}

// timestamp is the clock in ms, strictly increasing per client as a real
// client's is: two calls with the same parameters must not sign alike.
func (c *Client) Timestamp() string {
	ts := c.clock.Now().UnixMilli()
	if ts <= c.LastTS {
		ts = c.LastTS + 1
	}
	c.LastTS = ts
	return strconv.FormatInt(ts, 10)
}

func NewClient(t testing.TB, base string, clk *Clock) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, Base: base, HTTP: &http.Client{Jar: jar}, clock: clk, Key: Key, Secret: Secret, Header: http.Header{}}
}

// Reply is a decoded envelope plus the HTTP response.
type Reply struct {
	Status int
	Code   int                   `json:"code"`
	Msg    string                `json:"msg"`
	Data   json.RawMessage       `json:"data"`
	Errors []response.FieldError `json:"errors"`
	Header http.Header
	Body   []byte
}

func (r Reply) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// sign returns md5 of the values of params ordered by name, then secret.
func Sign(params map[string]string, secret string) string {
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
func (c *Client) SignedQuery(params map[string]string) url.Values {
	all := map[string]string{"timestamp": c.Timestamp()}
	for k, v := range params {
		all[k] = v
	}
	return url.Values{"auth_key": {c.Key}, "timestamp": {all["timestamp"]}, "token": {Sign(all, c.Secret)}}
}

// call sends a signed request: params go to the query string for GET and
// to a JSON object body otherwise; auth_key, timestamp and token go to
// the query string.
func (c *Client) Call(method, path string, params map[string]string) Reply {
	c.t.Helper()
	return c.CallWith(method, path, params, nil)
}

func (c *Client) CallWith(method, path string, params map[string]string, hdr http.Header) Reply {
	c.t.Helper()
	return c.Send(c.Request(method, path, params, hdr))
}

// request is the signed request call sends (see call), with hdr's headers
// on top of the client's.
func (c *Client) Request(method, path string, params map[string]string, hdr http.Header) *http.Request {
	c.t.Helper()
	q := c.SignedQuery(params)
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
	req, err := http.NewRequest(method, c.Base+path+"?"+q.Encode(), body)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return req
}

// send sends a request as given (already signed or deliberately not) and
// checks the response against docs/openapi.yaml (contract_test.go).
func (c *Client) Send(req *http.Request) Reply {
	c.t.Helper()
	r, err := c.TrySend(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// trySend is send for other goroutines than the test's (which must not
// call Fatal): a request that cannot be sent or an answer that is no
// envelope is an error; the contract check reports with Errorf as in send.
func (c *Client) TrySend(req *http.Request) (Reply, error) {
	c.t.Helper()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// resp.Request is the request that was answered, redirects followed.
	CheckContract(c.t, resp.Request, resp.StatusCode, resp.Header, b)
	r := Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &r); err != nil {
			return Reply{}, fmt.Errorf("%s %s: body is not an envelope: %q", req.Method, req.URL.Path, b)
		}
	}
	return r, nil
}

// signedForm is params with auth_key, a fresh timestamp and the token over
// them: a form body carrying the signature and the data together, as the
// seed's clients send it.
func (c *Client) SignedForm(params map[string]string) url.Values {
	form := c.SignedQuery(params)
	for k, v := range params {
		form.Set(k, v)
	}
	return form
}

// postForm sends form as an application/x-www-form-urlencoded POST body.
func (c *Client) PostForm(path string, form url.Values) Reply {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.Base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Send(req)
}

// signedRaw builds a request whose body (of contentType) and query are
// signed over all of extra (which the caller also placed in body or query).
func (c *Client) SignedRaw(method, path, contentType string, body []byte, signed map[string]string) *http.Request {
	c.t.Helper()
	q := c.SignedQuery(signed)
	req, err := http.NewRequest(method, c.Base+path+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	return req
}

func Expect(t testing.TB, r Reply, code int, what string) {
	t.Helper()
	if r.Code != code || r.Status != code {
		t.Fatalf("%s: got status %d code %d msg %q body %s; want %d", what, r.Status, r.Code, r.Msg, r.Body, code)
	}
}

// captchaAnswer fetches a captcha and reads its answer from the store, as
// a test may (docs/security.md keeps the answer out of the markup).
func (c *Client) Captcha(inst *Instance) (id, answer string) {
	c.t.Helper()
	r := c.Call(http.MethodGet, "/blogapi/service/captcha", map[string]string{"format": "json"})
	Expect(c.t, r, 200, "captcha")
	id = r.Header.Get("X-Captcha-Id")
	if id == "" {
		c.t.Fatal("no X-Captcha-Id")
	}
	got, err := inst.DB.Captchas.Peek(context.Background(), id)
	if err != nil {
		c.t.Fatalf("captcha %s not in store: %v", id, err)
	}
	return id, got.Answer
}

func MD5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// signedRawJSON signs a literal JSON object body: top-level strings as
// their value, null as "", anything else as its compact literal text.
func (c *Client) SignedRawJSON(method, path, body string) *http.Request {
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
	return c.SignedRaw(method, path, "application/json", []byte(body), signed)
}

// WithHeader adds h to req.
func WithHeader(req *http.Request, h http.Header) *http.Request {
	for k, v := range h {
		req.Header[k] = v
	}
	return req
}
