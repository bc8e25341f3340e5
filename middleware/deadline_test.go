package middleware_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/middleware"
)

// TestDeadline: a request's context ends d after it started, with
// ErrRequestDeadline as its cause, and carries no deadline of its own (the
// database driver's per-operation timeout applies only to contexts without
// one).
func TestDeadline(t *testing.T) {
	gin.SetMode(gin.TestMode)
	e := gin.New()
	const d = 50 * time.Millisecond
	e.Use(middleware.Deadline(d))
	var (
		hasDeadline bool
		cause       error
		waited      time.Duration
	)
	e.GET("/hang", func(c *gin.Context) {
		ctx := c.Request.Context()
		_, hasDeadline = ctx.Deadline()
		start := time.Now()
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
		waited, cause = time.Since(start), context.Cause(ctx)
		c.Status(http.StatusServiceUnavailable)
	})
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/hang", nil))
	if hasDeadline {
		t.Error("the request context has a deadline: it would replace the driver's operation timeout")
	}
	if !errors.Is(cause, response.ErrRequestDeadline) {
		t.Errorf("cause %v, want ErrRequestDeadline", cause)
	}
	if waited > time.Second {
		t.Errorf("the hung handler waited %v, want about %v", waited, d)
	}
}
