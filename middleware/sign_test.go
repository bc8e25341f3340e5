package middleware_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/signing"
)

const (
	signKey    = "fwCWYMqmRINlRtMp"
	signSecret = "G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh"
	signMax    = 1024 // max body bytes of the test engine
)

var signNow = time.UnixMilli(1_700_000_000_000)

// signEngine is a real gin engine with the error renderer, Sign (bodies of
// at most signMax bytes), Replay and a handler that echoes the body it received
// (and checks GetBody agrees).
func signEngine(t *testing.T, policy response.StatusPolicy) *gin.Engine {
	t.Helper()
	return signEngineMax(t, policy, signMax)
}

// signEngineMax is signEngine with bodies of at most maxBody bytes.
func signEngineMax(t *testing.T, policy response.StatusPolicy, maxBody int64) *gin.Engine {
	t.Helper()
	signer := newTestSigner(t, "web")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	gin.SetMode(gin.TestMode)
	e := gin.New()
	e.Use(response.Renderer{Logger: logger, Policy: policy}.Errors())
	r := response.Renderer{Logger: logger, Policy: policy}
	g := e.Group("/blogapi", middleware.Sign(r, signer, maxBody), middleware.Replay(r, signer))
	echo := func(c *gin.Context) {
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			t.Errorf("handler read: %v", err)
		}
		again, err := c.Request.GetBody()
		if err != nil {
			t.Errorf("GetBody: %v", err)
		}
		second, _ := io.ReadAll(again)
		c.Header("X-Get-Body-Same", strconv.FormatBool(bytes.Equal(body, second)))
		c.Header("X-Content-Length", strconv.FormatInt(c.Request.ContentLength, 10))
		c.Data(http.StatusOK, "application/octet-stream", body)
	}
	g.POST("/echo", echo)
	g.GET("/echo", echo)
	return e
}

// newTestSigner knows one app, name, with signKey and signSecret, on a
// clock stopped at signNow, with replay records in a fresh database.
func newTestSigner(t *testing.T, name string) *signing.Signer {
	t.Helper()
	store := dbtest.New(t).Replays
	store.Now = func() time.Time { return signNow }
	return signing.NewSigner(signing.Config{
		Apps: []signing.App{{Name: name, Key: signKey, Secret: signSecret}},
		Now:  func() time.Time { return signNow },
	}, replayStore{store})
}

// replayStore is the database's replay records as the signer takes them
// (as internal/app wires them).
type replayStore struct{ store *models.ReplayStore }

func (r replayStore) Record(ctx context.Context, key string, expiresAt time.Time) error {
	err := r.store.Record(ctx, key, expiresAt)
	if errors.Is(err, models.ErrDuplicate) {
		return signing.ErrReplayed
	}
	return err
}

// signQuery signs a request the way a client does: the token is the md5 of
// the canonical string of every parameter it sends (query and body).
func signQuery(t *testing.T, pairs [][2]string, contentType string, body []byte) string {
	t.Helper()
	v := make([]string, len(pairs))
	for i, kv := range pairs {
		v[i] = url.QueryEscape(kv[0]) + "=" + url.QueryEscape(kv[1])
	}
	q := strings.Join(v, "&")
	p, err := signing.Parse(q, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	return q + "&token=" + p.Sign(signSecret)
}

func signFields() [][2]string {
	return [][2]string{{"auth_key", signKey}, {"timestamp", strconv.FormatInt(signNow.UnixMilli(), 10)}}
}

func TestSignBodyReachesHandlerUnchanged(t *testing.T) {
	e := signEngine(t, response.StatusMirror)

	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	_ = w.WriteField("nick", "小灰")
	fw, _ := w.CreateFormFile("avatar", "a.png")
	_, _ = fw.Write([]byte("\x89PNG\r\n\x1a\n\x00\xff binary"))
	_ = w.Close()

	// A form whose signing fields travel in the body itself.
	formFields := "account=test&nick=%E5%B0%8F+%E7%81%B0&auth_key=" + signKey + "&timestamp=" + strconv.FormatInt(signNow.UnixMilli(), 10)
	formToken := signQuery(t, nil, "application/x-www-form-urlencoded", []byte(formFields))
	formToken = formToken[strings.LastIndex(formToken, "=")+1:]

	cases := []struct {
		name, contentType, body string
		query                   bool // signing fields in the query
	}{
		{"json", "application/json", "{ \"account\" : \"test\",\n \"level\": 1.50, \"tags\": [\"a\", \"b\"] }", true},
		{"form, fields in body", "application/x-www-form-urlencoded", formFields + "&token=" + formToken, false},
		{"multipart", w.FormDataContentType(), mp.String(), true},
		{"unsigned content type", "text/plain", "anything at all", true},
		{"empty", "", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target := "/blogapi/echo"
			if tc.query {
				// Each case signs differently, so none is a replay of another.
				pairs := append(signFields(), [2]string{"case", tc.name})
				target += "?" + signQuery(t, pairs, tc.contentType, []byte(tc.body))
			}
			req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if got := rec.Body.String(); got != tc.body {
				t.Fatalf("handler got %q, want %q", got, tc.body)
			}
			if rec.Header().Get("X-Get-Body-Same") != "true" {
				t.Error("GetBody returned other bytes")
			}
			if got, want := rec.Header().Get("X-Content-Length"), strconv.Itoa(len(tc.body)); got != want {
				t.Errorf("ContentLength = %s, want %s", got, want)
			}
		})
	}
}

func decodeSignEnvelope(t *testing.T, body []byte) response.Envelope {
	t.Helper()
	var env response.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("not an envelope: %q", body)
	}
	return env
}

func TestSignErrorsAsEnvelope(t *testing.T) {
	ts := strconv.FormatInt(signNow.UnixMilli(), 10)
	good := signQuery(t, signFields(), "", nil)
	tok := good[strings.LastIndex(good, "=")+1:]
	old := signQuery(t, [][2]string{{"auth_key", signKey}, {"timestamp", strconv.FormatInt(signNow.Add(-time.Hour).UnixMilli(), 10)}}, "", nil)
	cases := []struct {
		name, method, query, contentType, body string
		code                                   int
		msg                                    string
		standard                               int // HTTP status under response.http_status: standard
	}{
		{"token missing", "GET", "auth_key=" + signKey + "&timestamp=" + ts, "", "", 511, "signature token is missing", 401},
		{"auth_key missing", "GET", "timestamp=" + ts + "&token=" + tok, "", "", 512, "auth_key is missing", 401},
		{"auth_key unknown", "GET", "auth_key=x&timestamp=" + ts + "&token=" + tok, "", "", 512, "auth_key is unknown", 401},
		{"timestamp missing", "GET", "auth_key=" + signKey + "&token=" + tok, "", "", 400, "timestamp is missing", 400},
		{"timestamp expired", "GET", old, "", "", 513, "signature has expired: timestamp is outside the allowed window", 401},
		{"signature wrong", "GET", strings.Replace(good, tok, strings.Repeat("0", 32), 1), "", "", 514, "signature verification failed", 401},
		{"body changed after signing", "POST", signQuery(t, signFields(), "application/json", []byte(`{"a":1}`)), "application/json", `{"a":2}`, 514, "", 401},
		{"malformed JSON", "POST", good, "application/json", `{"a":`, 400, "malformed JSON body", 400},
		{"JSON not an object", "POST", good, "application/json", `[1]`, 400, "body must be a JSON object", 400},
		{"invalid UTF-8 query", "GET", good + "&x=%ff", "", "", 400, "request is not valid UTF-8", 400},
		{"too many parameters", "GET", good + strings.Repeat("&a=1", signing.MaxParams), "", "", 400, "too many parameters", 400},
		{"body too large", "POST", good, "text/plain", strings.Repeat("x", signMax+1), 413, "request body is too large", 413},
	}
	for _, policy := range []response.StatusPolicy{response.StatusMirror, response.StatusStandard} {
		e := signEngine(t, policy)
		for _, tc := range cases {
			t.Run(string(policy)+"/"+tc.name, func(t *testing.T) {
				req := httptest.NewRequest(tc.method, "/blogapi/echo?"+tc.query, strings.NewReader(tc.body))
				if tc.contentType != "" {
					req.Header.Set("Content-Type", tc.contentType)
				}
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, req)
				wantStatus := tc.code
				if policy == response.StatusStandard {
					wantStatus = tc.standard
				}
				if rec.Code != wantStatus {
					t.Fatalf("status %d, want %d: %s", rec.Code, wantStatus, rec.Body)
				}
				env := decodeSignEnvelope(t, rec.Body.Bytes())
				if env.Code != tc.code || (tc.msg != "" && env.Msg != tc.msg) {
					t.Fatalf("envelope %+v, want %d %q", env, tc.code, tc.msg)
				}
			})
		}
	}
}

func TestSignReplay(t *testing.T) {
	e := signEngine(t, response.StatusMirror)
	body := `{"account":"test"}`
	q := signQuery(t, signFields(), "application/json", []byte(body))
	send := func(method string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/blogapi/echo?"+q, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	for i, want := range []int{200, 201, 201} {
		rec := send(http.MethodPost)
		if rec.Code != want {
			t.Fatalf("POST %d: status %d, want %d: %s", i, rec.Code, want, rec.Body)
		}
		if want == 201 {
			if env := decodeSignEnvelope(t, rec.Body.Bytes()); env.Code != 201 || env.Msg != "duplicate submission" {
				t.Fatalf("envelope %+v", env)
			}
		}
	}
	// sign.replay defaults to mutating: a GET may repeat.
	for range 2 {
		if rec := send(http.MethodGet); rec.Code != 200 {
			t.Fatalf("GET: status %d: %s", rec.Code, rec.Body)
		}
	}
}

func TestSignBodyLimit(t *testing.T) {
	e := signEngine(t, response.StatusMirror)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	cases := []struct {
		name    string
		size    int
		chunked bool
		status  int
	}{
		{"at the limit", signMax, false, 200},
		{"one byte over", signMax + 1, false, 413},
		{"chunked at the limit", signMax, true, 200},
		{"chunked over the limit", 64 * signMax, true, 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := bytes.Repeat([]byte("x"), tc.size)
			var body io.Reader = bytes.NewReader(payload)
			if tc.chunked {
				// A reader of unknown length: the client sends it chunked,
				// without Content-Length.
				body = io.MultiReader(bytes.NewReader(payload))
			}
			q := signQuery(t, append(signFields(), [2]string{"case", tc.name}), "", nil)
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/blogapi/echo?"+q, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "text/plain")
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			got, _ := io.ReadAll(res.Body)
			if tc.chunked && res.Request.ContentLength != -1 && res.Request.ContentLength != 0 {
				t.Fatalf("request was sent with Content-Length %d", res.Request.ContentLength)
			}
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.200s", res.StatusCode, tc.status, got)
			}
			if tc.status == 200 && !bytes.Equal(got, payload) {
				t.Fatal("body changed on the way")
			}
			if tc.status == 413 {
				if env := decodeSignEnvelope(t, got); env.Code != 413 || env.Msg != "request body is too large" {
					t.Fatalf("envelope %+v", env)
				}
			}
		})
	}
}

// TestSignParameterFlood sends unsigned bodies that are cheap to send and
// were costly to parse (a 1 MiB "a&a&…" form is half a million
// parameters): each is a 400 from Sign, before any signature check, with
// bodies up to the default server.max_body_bytes (1 MiB, the README).
func TestSignParameterFlood(t *testing.T) {
	const maxBody = 1 << 20
	e := signEngineMax(t, response.StatusMirror, maxBody)

	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	for i := range signing.MaxParams + 1 {
		_ = w.WriteField("f"+strconv.Itoa(i), "1")
	}
	_ = w.Close()
	members := make([]string, signing.MaxParams+1)
	for i := range members {
		members[i] = `"m` + strconv.Itoa(i) + `":1`
	}

	cases := []struct {
		name, contentType, body, msg string
	}{
		{"form a&a&… of 1 MiB", "application/x-www-form-urlencoded", strings.Repeat("a&", maxBody/2), "too many parameters"},
		{"multipart fields", w.FormDataContentType(), mp.String(), "too many parameters"},
		{"JSON members", "application/json", "{" + strings.Join(members, ",") + "}", "too many parameters"},
		{"JSON nesting", "application/json", `{"a":` + strings.Repeat("[", maxBody-8) + "]}", "JSON body is nested too deeply"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.body) > maxBody {
				t.Fatalf("body of %d bytes is over the limit", len(tc.body))
			}
			req := httptest.NewRequest(http.MethodPost, "/blogapi/echo", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %.200s", rec.Code, rec.Body)
			}
			if env := decodeSignEnvelope(t, rec.Body.Bytes()); env.Code != 400 || env.Msg != tc.msg {
				t.Fatalf("envelope %+v, want 400 %q", env, tc.msg)
			}
		})
	}
}

// TestSignAppLogged: the request log names the app whose signature a
// request carried (sign.apps[].name), and no app when it was refused.
func TestSignAppLogged(t *testing.T) {
	signer := newTestSigner(t, "admin-dashboard")
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	gin.SetMode(gin.TestMode)
	e := gin.New()
	e.Use(middleware.RequestLog(logger, nil, nil), response.Renderer{Logger: logger, Policy: response.StatusMirror}.Errors())
	e.Group("/blogapi", middleware.Sign(response.Renderer{Logger: logger, Policy: response.StatusMirror}, signer, signMax)).
		GET("/echo", func(c *gin.Context) { c.Status(http.StatusNoContent) })

	// signed over a parameter it then does not send: a mismatch (514)
	forged := strings.Replace(signQuery(t, append(signFields(), [2]string{"a", "1"}), "", nil), "&a=1", "", 1)
	for _, tc := range []struct {
		name, query, app string
		status           int
	}{
		{"signed", signQuery(t, signFields(), "", nil), "admin-dashboard", http.StatusNoContent},
		{"bad signature", forged, "", 514},
	} {
		logs.Reset()
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/blogapi/echo?"+tc.query, nil))
		if w.Code != tc.status {
			t.Fatalf("%s: status %d, want %d: %s", tc.name, w.Code, tc.status, w.Body)
		}
		var line struct {
			Msg string  `json:"msg"`
			App *string `json:"app"`
		}
		if err := json.Unmarshal(logs.Bytes(), &line); err != nil || line.Msg != "request" || line.App == nil {
			t.Fatalf("%s: request line %q (%v)", tc.name, logs.String(), err)
		}
		if *line.App != tc.app {
			t.Errorf("%s: app %q, want %q", tc.name, *line.App, tc.app)
		}
	}
}

// TestReplayNamesTheSession: Replay after Auth records the signature for
// the caller's session, so one signed request is accepted once per session
// and never for a caller whose access token failed.
func TestReplayNamesTheSession(t *testing.T) {
	signer := newTestSigner(t, "web")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := response.Renderer{Logger: logger, Policy: response.StatusMirror}
	// Access token "good-X" is session X; anything else fails.
	authenticate := func(_ context.Context, token string) (auth.Principal, error) {
		sid, ok := strings.CutPrefix(token, "good-")
		if !ok {
			return auth.Principal{}, auth.ErrTokenInvalid
		}
		return auth.Principal{Claims: &auth.Claims{SessionID: sid}}, nil
	}
	gin.SetMode(gin.TestMode)
	e := gin.New()
	e.Use(r.Errors())
	signed := e.Group("/blogapi", middleware.Sign(r, signer, signMax))
	signed.POST("/logout", middleware.Auth(r, authenticate), middleware.Replay(r, signer), func(c *gin.Context) { c.Status(http.StatusOK) })
	signed.POST("/login", middleware.Replay(r, signer), func(c *gin.Context) { c.Status(http.StatusOK) })

	// One signature, parameterless: every caller in this millisecond signs alike.
	q := signQuery(t, signFields(), "", nil)
	send := func(path, token string) int {
		req := httptest.NewRequest(http.MethodPost, path+"?"+q, nil)
		if token != "" {
			req.Header.Set("access-token", token)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Code
	}
	for i, step := range []struct {
		path, token string
		want        int
	}{
		{"/blogapi/logout", "bad", 521},    // fails Auth: nothing recorded
		{"/blogapi/logout", "", 401},       // no access token: nothing recorded
		{"/blogapi/logout", "good-a", 200}, // session a
		{"/blogapi/logout", "good-b", 200}, // session b, same signature
		{"/blogapi/logout", "good-a", 201}, // session a again: a replay
		{"/blogapi/login", "good-c", 200},  // another route: another request
		{"/blogapi/login", "good-d", 201},  // no Auth there: the session is not read
	} {
		if got := send(step.path, step.token); got != step.want {
			t.Fatalf("step %d (%s, %q): status %d, want %d", i, step.path, step.token, got, step.want)
		}
	}
}

// TestReplayWithoutSign: Replay on a route Sign did not verify is a wiring
// mistake, answered 500 rather than let through unchecked.
func TestReplayWithoutSign(t *testing.T) {
	signer := newTestSigner(t, "web")
	r := response.Renderer{Logger: slog.New(slog.DiscardHandler), Policy: response.StatusMirror}
	gin.SetMode(gin.TestMode)
	e := gin.New()
	e.Use(r.Errors())
	e.POST("/x", middleware.Replay(r, signer), func(c *gin.Context) { c.Status(http.StatusOK) })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
}
