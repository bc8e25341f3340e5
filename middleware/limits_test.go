package middleware_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/middleware"
)

// TestHeaderLimits: a query string or headers over the API's limits are
// answered with the envelope (414, 431), below the server's own limit.
func TestHeaderLimits(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := response.Renderer{Logger: slog.New(slog.DiscardHandler), Policy: response.StatusMirror}
	e := gin.New()
	e.Use(middleware.HeaderLimits(r))
	e.GET("/a", func(c *gin.Context) { response.OK(c, nil) })
	cases := []struct {
		name   string
		query  string
		header string
		code   int
		msg    string
	}{
		{"small", "q=1", "", 200, "success"},
		{"query string at the limit", "q=" + strings.Repeat("x", middleware.MaxURIBytes-len("/a?q=")), "", 200, "success"},
		{"query string over the limit", "q=" + strings.Repeat("x", middleware.MaxURIBytes), "", 414, "request URI is too long"},
		{"headers over the limit", "q=1", strings.Repeat("y", middleware.MaxHeaderBytes), 431, "request headers are too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/a?"+tc.query, nil)
			if tc.header != "" {
				req.Header.Set("X-Big", tc.header)
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			var env response.Envelope
			if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
				t.Fatalf("HTTP %d, body %q: not an envelope: %v", w.Code, w.Body, err)
			}
			if w.Code != tc.code || env.Code != tc.code || env.Msg != tc.msg {
				t.Fatalf("HTTP %d %+v, want %d %q", w.Code, env, tc.code, tc.msg)
			}
		})
	}
}
