package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// BenchmarkRouterSignedJWT is GET /blogapi/user/center through the whole
// router: request id and log, signature check, JWT and session check
// against the embedded database, user lookup, envelope. Compare with
// BenchmarkRouterBareGin in the same run (SPEC §10).
func BenchmarkRouterSignedJWT(b *testing.B) {
	clk := newClock()
	cfg := testConfig(b)
	cfg.Captcha.Enabled = false
	db := dbtest.New(b)
	a, err := newApp(context.Background(), cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	c := newClient(b, srv.URL, clk)
	if r := c.call(http.MethodPost, "/blogapi/reg", map[string]string{"account": "bench", "password": md5hex("pw"), "email": "bench@example.com"}); r.Code != 200 {
		b.Fatalf("register: %s", r.Body)
	}
	r := c.call(http.MethodPost, "/blogapi/login", map[string]string{"account": "bench", "password": md5hex("pw")})
	var d loginData
	r.decode(b, &d)
	if d.Token == "" {
		b.Fatalf("login: %s", r.Body)
	}

	ts := strconv.FormatInt(clk.Now().UnixMilli(), 10)
	q := url.Values{"auth_key": {testKey}, "timestamp": {ts}, "token": {sign(map[string]string{"timestamp": ts}, testSecret)}}
	target := "/blogapi/user/center?" + q.Encode()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("access-token", d.Token)
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("center: %d %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("access-token", d.Token)
		w := httptest.NewRecorder()
		a.Handler.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("center: %d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkRouterBareGin is the baseline: a bare Gin engine answering a
// small envelope.
func BenchmarkRouterBareGin(b *testing.B) {
	e := gin.New()
	e.GET("/blogapi/user/center", func(c *gin.Context) {
		c.JSON(http.StatusOK, models.OK(gin.H{"account": "bench", "email": "bench@example.com"}))
	})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/blogapi/user/center?auth_key=k&timestamp=1&token=t", nil)
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkForgotPassword compares POST /blogapi/password/forgot for an
// address that exists and one that does not (issue 3: "about the same
// cost"). Captchas and rate limits are off; the mail work runs in the
// queue, drained after the timed loop.
func BenchmarkForgotPassword(b *testing.B) {
	clk := newClock()
	cfg := testConfig(b)
	cfg.Captcha.Enabled = false
	cfg.RateLimit.ForgotPassword = ""
	db := dbtest.New(b)
	a, err := newApp(context.Background(), cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	c := newClient(b, srv.URL, clk)
	if r := c.call(http.MethodPost, "/blogapi/reg", map[string]string{"account": "known", "password": md5hex("pw"), "email": "known@example.com"}); r.Code != 200 {
		b.Fatalf("register: %s", r.Body)
	}
	a.Mail.Wait()
	for _, email := range []string{"known@example.com", "unknown@example.com"} {
		b.Run(strings.SplitN(email, "@", 2)[0], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := c.signedRawJSON(http.MethodPost, "/blogapi/password/forgot", `{"email":"`+email+`"}`)
				req.URL.Scheme, req.URL.Host, req.RequestURI = "", "", req.URL.RequestURI()
				w := httptest.NewRecorder()
				a.Handler.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("forgot: %d %s", w.Code, w.Body)
				}
			}
			b.StopTimer()
			a.Mail.Wait()
		})
	}
}
