package middleware_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ulule/limiter/v3"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// limitedEngine serves GET /a and GET /b, each behind its own named limit
// of rate over one shared store, on an engine trusting proxies (nil: none).
func limitedEngine(t *testing.T, store limiter.Store, rate limiter.Rate, proxies []string, logs *bytes.Buffer, opts ...limiter.Option) *gin.Engine {
	t.Helper()
	gin.SetMode(gin.TestMode)
	if logs == nil {
		logs = new(bytes.Buffer)
	}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	r := response.Renderer{Logger: logger, Policy: response.StatusMirror}
	e := gin.New()
	if err := e.SetTrustedProxies(proxies); err != nil {
		t.Fatal(err)
	}
	e.Use(middleware.RequestLog(logger, nil, nil), r.Errors())
	lim := limiter.New(store, rate, opts...)
	ok := func(c *gin.Context) { response.OK(c, nil) }
	e.GET("/a", middleware.RateLimit(r, lim, "a", time.Now), ok)
	e.GET("/b", middleware.RateLimit(r, lim, "b", time.Now), ok)
	return e
}

func get(e *gin.Engine, path, remoteIP, forwardedFor string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = net.JoinHostPort(remoteIP, "40000")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	return w
}

// rateStores are the two rate_limit.store choices on the clock now.
func rateStores(t *testing.T, now func() time.Time) map[string]limiter.Store {
	return map[string]limiter.Store{
		"mongo":  dbtest.Open(t, models.Options{Now: now}).RateLimits,
		"memory": middleware.NewMemoryRateStore(100, now),
	}
}

func TestRateLimitAllowsThenRefuses(t *testing.T) {
	start := time.Now().Truncate(time.Minute) // windows are aligned on the minute
	for name, store := range rateStores(t, func() time.Time { return start }) {
		t.Run(name, func(t *testing.T) { testAllowsThenRefuses(t, store, start) })
	}
}

func testAllowsThenRefuses(t *testing.T, store limiter.Store, start time.Time) {
	e := limitedEngine(t, store, limiter.Rate{Limit: 3, Period: time.Minute}, nil, nil)
	const ip = "192.0.2.1"

	for i := range 3 {
		w := get(e, "/a", ip, "")
		if w.Code != http.StatusOK {
			t.Fatalf("request %d: HTTP %d %s", i+1, w.Code, w.Body)
		}
		if got := w.Header().Get(middleware.HeaderRateLimit); got != "3" {
			t.Errorf("request %d: %s = %q, want 3", i+1, middleware.HeaderRateLimit, got)
		}
		if got, want := w.Header().Get(middleware.HeaderRateRemaining), strconv.Itoa(2-i); got != want {
			t.Errorf("request %d: %s = %q, want %s", i+1, middleware.HeaderRateRemaining, got, want)
		}
		if got, want := w.Header().Get(middleware.HeaderRateReset), strconv.FormatInt(start.Add(time.Minute).Unix(), 10); got != want {
			t.Errorf("request %d: %s = %q, want %s", i+1, middleware.HeaderRateReset, got, want)
		}
	}

	w := get(e, "/a", ip, "")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("request 4: HTTP %d, want 429", w.Code)
	}
	var env response.Envelope
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatalf("body %s: %v", w.Body, err)
	}
	if env.Code != response.CodeTooManyRequests || env.Msg != "too many requests; retry later" || env.Data != nil {
		t.Fatalf("envelope %+v", env)
	}
	ra, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if err != nil || ra < 1 || ra > 60 {
		t.Fatalf("Retry-After %q: want whole seconds in 1..60", w.Header().Get("Retry-After"))
	}
	if got := w.Header().Get(middleware.HeaderRateRemaining); got != "0" {
		t.Errorf("refused: %s = %q, want 0", middleware.HeaderRateRemaining, got)
	}

	// Other clients and other limits are counted apart.
	if w := get(e, "/a", "192.0.2.2", ""); w.Code != http.StatusOK {
		t.Fatalf("another IP: HTTP %d", w.Code)
	}
	if w := get(e, "/b", ip, ""); w.Code != http.StatusOK {
		t.Fatalf("another limit, same IP: HTTP %d", w.Code)
	}
}

func TestRateLimitNewWindow(t *testing.T) {
	for name := range rateStores(t, time.Now) {
		t.Run(name, func(t *testing.T) {
			now := time.Now()
			clock := func() time.Time { return now }
			testNewWindow(t, rateStores(t, clock)[name], func(d time.Duration) { now = now.Add(d) })
		})
	}
}

func testNewWindow(t *testing.T, store limiter.Store, advance func(time.Duration)) {
	e := limitedEngine(t, store, limiter.Rate{Limit: 1, Period: time.Minute}, nil, nil)
	if w := get(e, "/a", "192.0.2.3", ""); w.Code != http.StatusOK {
		t.Fatalf("first: HTTP %d", w.Code)
	}
	if w := get(e, "/a", "192.0.2.3", ""); w.Code != http.StatusTooManyRequests {
		t.Fatalf("second: HTTP %d, want 429", w.Code)
	}
	advance(time.Minute)
	if w := get(e, "/a", "192.0.2.3", ""); w.Code != http.StatusOK {
		t.Fatalf("after the window: HTTP %d, want 200", w.Code)
	}
}

func TestRateLimitClientIP(t *testing.T) {
	cases := []struct {
		name    string
		proxies []string
		xff     [2]string // X-Forwarded-For of two requests from 127.0.0.1
		second  int       // status of the second (limit 1)
	}{
		{"no trusted proxy: X-Forwarded-For ignored", nil, [2]string{"203.0.113.1", "203.0.113.2"}, http.StatusTooManyRequests},
		{"trusted proxy: each forwarded client counted", []string{"127.0.0.1"}, [2]string{"203.0.113.1", "203.0.113.2"}, http.StatusOK},
		{"trusted proxy: same forwarded client limited", []string{"127.0.0.1"}, [2]string{"203.0.113.1", "203.0.113.1"}, http.StatusTooManyRequests},
		{"other proxy trusted: X-Forwarded-For ignored", []string{"10.0.0.0/8"}, [2]string{"203.0.113.1", "203.0.113.2"}, http.StatusTooManyRequests},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := dbtest.New(t).RateLimits
			e := limitedEngine(t, store, limiter.Rate{Limit: 1, Period: time.Minute}, tc.proxies, nil)
			if w := get(e, "/a", "127.0.0.1", tc.xff[0]); w.Code != http.StatusOK {
				t.Fatalf("first: HTTP %d", w.Code)
			}
			if w := get(e, "/a", "127.0.0.1", tc.xff[1]); w.Code != tc.second {
				t.Fatalf("second: HTTP %d, want %d", w.Code, tc.second)
			}
		})
	}
}

func TestRateLimitIPv6Mask(t *testing.T) {
	store := dbtest.New(t).RateLimits
	// No limiter masks: RateLimit counts a /64 as one client itself.
	e := limitedEngine(t, store, limiter.Rate{Limit: 1, Period: time.Minute}, nil, nil)
	if w := get(e, "/a", "2001:db8:1:2::1", ""); w.Code != http.StatusOK {
		t.Fatalf("first: HTTP %d", w.Code)
	}
	if w := get(e, "/a", "2001:db8:1:2:ffff::9", ""); w.Code != http.StatusTooManyRequests {
		t.Fatalf("same /64: HTTP %d, want 429", w.Code)
	}
	if w := get(e, "/a", "2001:db8:1:3::1", ""); w.Code != http.StatusOK {
		t.Fatalf("another /64: HTTP %d, want 200", w.Code)
	}
}

func TestRateLimitFailsOpen(t *testing.T) {
	down := dbtest.New(t)
	down.Close()
	var logs bytes.Buffer
	store := down.RateLimits
	e := limitedEngine(t, store, limiter.Rate{Limit: 1, Period: time.Minute}, nil, &logs)

	for i := range 2 {
		w := get(e, "/a", "192.0.2.9", "")
		if w.Code != http.StatusOK {
			t.Fatalf("request %d with the store down: HTTP %d, want 200", i+1, w.Code)
		}
		if got := w.Header().Get(middleware.HeaderRateLimit); got != "" {
			t.Errorf("no count, yet %s = %q", middleware.HeaderRateLimit, got)
		}
		id := w.Header().Get(middleware.HeaderRequestID)
		var warned bool
		for line := range strings.Lines(logs.String()) {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["level"] == "WARN" && rec["request_id"] == id {
				warned = true
			}
		}
		if !warned {
			t.Fatalf("request %d: no warning with request id %q in the log:\n%s", i+1, id, logs.String())
		}
	}
}

func TestRateLimitNilLimiter(t *testing.T) {
	e := gin.New()
	r := response.Renderer{Logger: slog.New(slog.DiscardHandler), Policy: response.StatusMirror}
	e.GET("/", middleware.RateLimit(r, nil, "off", time.Now), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	for range 3 {
		if w := get(e, "/", "192.0.2.1", ""); w.Code != http.StatusNoContent {
			t.Fatalf("no limiter: HTTP %d", w.Code)
		}
	}
}
