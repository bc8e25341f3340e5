package response

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/signing"
)

// TestRenderer: the renderer answers the table's code and message under
// the status policy, sets Retry-After from a RetryLater, and logs with the
// request id what is unknown or carries a cause, never an expected refusal.
func TestRenderer(t *testing.T) {
	tests := []struct {
		name       string
		policy     StatusPolicy
		err        error
		status     int
		body       string
		retryAfter string
		logged     bool
	}{
		{"sentinel", StatusMirror, signing.ErrSignatureInvalid, 514, `{"code":514,"msg":"signature verification failed"}`, "", false},
		{"standard policy", StatusStandard, signing.ErrSignatureInvalid, 401, `{"code":514,"msg":"signature verification failed"}`, "", false},
		{"field", StatusMirror, services.Invalid("nick", "must not be empty"), 400,
			`{"code":400,"msg":"nick must not be empty","errors":[{"field":"nick","msg":"nick must not be empty"}]}`, "", false},
		{"retry later", StatusMirror, &services.RetryLater{Err: ErrRateLimited, RetryAfter: 1500 * time.Millisecond}, 429,
			`{"code":429,"msg":"too many requests; retry later"}`, "2", false},
		{"busy, no cause", StatusMirror, &services.RetryLater{Err: services.ErrBusy, RetryAfter: time.Second}, 503,
			`{"code":503,"msg":"server is busy; try again later"}`, "1", false},
		{"unavailable with a cause", StatusMirror, services.Unavailable(errors.New("dial tcp: refused")), 503,
			`{"code":503,"msg":"database unavailable"}`, "5", true}, // services.UnavailableRetry
		{"unknown", StatusMirror, fmt.Errorf("decode: %w", errors.New("secret detail")), 500,
			`{"code":500,"msg":"internal error"}`, "", true},
	}
	gin.SetMode(gin.ReleaseMode)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			r := Renderer{Logger: slog.New(slog.NewTextHandler(&log, nil)), Policy: tt.policy}
			e := gin.New()
			e.Use(func(c *gin.Context) { SetRequestID(c, "req-1"); c.Next() }, r.Errors())
			e.GET("/", func(c *gin.Context) { Error(c, tt.err) })
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			if w.Code != tt.status || strings.TrimSpace(w.Body.String()) != tt.body || w.Header().Get("Retry-After") != tt.retryAfter {
				t.Fatalf("answer %d %s Retry-After %q; want %d %s %q", w.Code, w.Body, w.Header().Get("Retry-After"),
					tt.status, tt.body, tt.retryAfter)
			}
			logged := strings.Contains(log.String(), "request_id=req-1")
			if logged != tt.logged {
				t.Fatalf("logged = %v, want %v: %q", logged, tt.logged, log.String())
			}
			if tt.logged && !strings.Contains(log.String(), tt.err.Error()) {
				t.Fatalf("the log line lacks the error: %q", log.String())
			}
		})
	}
}
