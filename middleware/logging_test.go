package middleware_test

import (
	"bytes"
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

// TestRecoveryAndRequestLog: a panic becomes a 500 envelope saying only
// "internal error", logged with its stack and request id; every request
// gets one log line without its query string or headers.
func TestRecoveryAndRequestLog(t *testing.T) {
	gin.SetMode(gin.TestMode)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	r := response.Renderer{Logger: logger, Policy: response.StatusMirror}
	e := gin.New()
	e.Use(middleware.RequestLog(logger, nil, nil), middleware.Recovery(r), r.Errors())
	e.GET("/boom", func(c *gin.Context) { panic("secret internal detail") })
	e.GET("/fail", func(c *gin.Context) { _ = c.Error(errSentinel) })
	e.GET("/ok", func(c *gin.Context) { response.OK(c, nil) })

	cases := []struct {
		path, reqID string
		status      int
		msg         string
	}{
		{"/boom?token=abc123", "client-id-1", 500, "internal error"},
		{"/fail", "", 500, "internal error"},
		{"/ok?password=hunter2", "bad id with spaces", 200, "success"},
	}
	for _, tc := range cases {
		logs.Reset()
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.Header.Set("access-token", "jwt-secret-value")
		if tc.reqID != "" {
			req.Header.Set(middleware.HeaderRequestID, tc.reqID)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		var env response.Envelope
		if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || w.Code != tc.status || env.Msg != tc.msg {
			t.Fatalf("%s: %d %s", tc.path, w.Code, w.Body)
		}
		id := w.Header().Get(middleware.HeaderRequestID)
		switch {
		case tc.reqID == "client-id-1" && id != tc.reqID:
			t.Errorf("%s: client request id not kept: %q", tc.path, id)
		case tc.reqID != "client-id-1" && len(id) != 32:
			t.Errorf("%s: generated request id %q", tc.path, id)
		}
		out := logs.String()
		for _, secret := range []string{"abc123", "hunter2", "jwt-secret-value"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s: %q reached the log: %s", tc.path, secret, out)
			}
		}
		if strings.Contains(w.Body.String(), "secret internal detail") || strings.Contains(w.Body.String(), "sentinel") {
			t.Errorf("%s: internal text in the answer: %s", tc.path, w.Body)
		}
		if !strings.Contains(out, `"db_commands":0,`) {
			t.Errorf("%s: request line without its database command count: %s", tc.path, out)
		}
		if !strings.Contains(out, `"request_id":"`+id+`"`) || !strings.Contains(out, `"msg":"request"`) {
			t.Errorf("%s: request line without the request id: %s", tc.path, out)
		}
		if tc.path == "/boom?token=abc123" && (!strings.Contains(out, "panic recovered") || !strings.Contains(out, "goroutine")) {
			t.Errorf("panic not logged with its stack: %s", out)
		}
	}
}

var errSentinel = errorString("sentinel driver failure")

type errorString string

func (e errorString) Error() string { return string(e) }
