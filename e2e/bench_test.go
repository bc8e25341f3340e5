package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/internal/app"
)

// BenchmarkRouter is GET /blogapi/user/center through the whole router —
// request id and log, signature check, JWT and session check against the
// embedded database, user lookup, envelope — against a bare Gin engine
// answering a small envelope, in the same run (docs/operations.md): one request at a
// time (serial) and from GOMAXPROCS goroutines at once (parallel, the
// throughput a load harness would see, without the network).
func BenchmarkRouter(b *testing.B) {
	signed, target, token := signedCenter(b)
	bare := gin.New()
	bare.GET("/blogapi/user/center", func(c *gin.Context) {
		response.OK(c, gin.H{"account": "bench", "email": "bench@example.com"})
	})
	for _, h := range []struct {
		name    string
		handler http.Handler
	}{{"signed-jwt", signed}, {"bare-gin", bare}} {
		serve := func() error {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.Header.Set("access-token", token)
			w := httptest.NewRecorder()
			h.handler.ServeHTTP(w, req)
			if w.Code != 200 {
				return fmt.Errorf("%s: %d %s", h.name, w.Code, w.Body)
			}
			return nil
		}
		b.Run(h.name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := serve(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(h.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					// b.Fatal may only be called from the benchmark's own
					// goroutine, not RunParallel's.
					if err := serve(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// signedCenter starts an app over a fresh database with one logged-in
// user and returns its handler, a signed /blogapi/user/center target
// (GET: no replay check, so it can be sent again) and the access token.
func signedCenter(b *testing.B) (http.Handler, string, string) {
	clk := apitest.NewClock()
	cfg := apitest.Config(b)
	cfg.Captcha.Enabled = false
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Metrics on, as by default in production: the chain measured is the
	// one served.
	a, err := app.New(context.Background(), cfg, apitest.NewDB(b, clk), logger, clk.Now, app.NewMetrics(cfg, logger))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	srv := httptest.NewServer(a.Handler)
	b.Cleanup(srv.Close)
	c := apitest.NewClient(b, srv.URL, clk)
	if r := c.Call(http.MethodPost, "/blogapi/reg", map[string]string{"account": "bench", "password": apitest.MD5Hex("pw"), "email": "bench@example.com"}); r.Code != 200 {
		b.Fatalf("register: %s", r.Body)
	}
	d := login(b, c, "bench", "pw")
	ts := strconv.FormatInt(clk.Now().UnixMilli(), 10)
	q := url.Values{"auth_key": {apitest.Key}, "timestamp": {ts}, "token": {apitest.Sign(map[string]string{"timestamp": ts}, apitest.Secret)}}
	return a.Handler, "/blogapi/user/center?" + q.Encode(), d.Token
}

// BenchmarkForgotPassword compares POST /blogapi/password/forgot for an
// address that exists and one that does not (docs/security.md: "about the
// same cost"). Captchas and rate limits are off; the mail work runs in the
// queue, drained outside the timer after each request.
func BenchmarkForgotPassword(b *testing.B) {
	clk := apitest.NewClock()
	cfg := apitest.Config(b)
	cfg.Captcha.Enabled = false
	cfg.RateLimit.ForgotPassword = config.Rate{}
	db := apitest.NewDB(b, clk)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg, db, logger, clk.Now, app.NewMetrics(cfg, logger))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	c := apitest.NewClient(b, srv.URL, clk)
	if r := c.Call(http.MethodPost, "/blogapi/reg", map[string]string{"account": "known", "password": apitest.MD5Hex("pw"), "email": "known@example.com"}); r.Code != 200 {
		b.Fatalf("register: %s", r.Body)
	}
	a.Mail.Wait()
	for _, email := range []string{"known@example.com", "unknown@example.com"} {
		b.Run(strings.SplitN(email, "@", 2)[0], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := c.SignedRawJSON(http.MethodPost, "/blogapi/password/forgot", `{"email":"`+email+`"}`)
				req.URL.Scheme, req.URL.Host, req.RequestURI = "", "", req.URL.RequestURI()
				w := httptest.NewRecorder()
				a.Handler.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("forgot: %d %s", w.Code, w.Body)
				}
				// The queued work is not the request's: let it finish
				// outside the timer so it does not slow the next request.
				b.StopTimer()
				a.Mail.Wait()
				b.StartTimer()
			}
		})
	}
}
