package middleware

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/models"
)

const (
	ctxRequestID = "blogapi.request_id"
	ctxCode      = "blogapi.code"
	// HeaderRequestID carries the request id in both directions.
	HeaderRequestID = "X-Request-Id"
)

// RequestID is the id of the current request ("" outside RequestLog).
func RequestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// RequestLog gives every request an id (a client's X-Request-Id of 1–64
// safe characters is kept, else 16 random bytes in hex), echoes it in the
// response header and logs one line per request: request id, method, route,
// status, envelope code, latency (ms) and client ip. The query string,
// headers and bodies are never logged: they carry tokens, passwords and
// captcha answers (SPEC §10).
func RequestLog(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := c.GetHeader(HeaderRequestID)
		if !validRequestID(id) {
			var b [16]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestID, id)
		c.Header(HeaderRequestID, id)
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		code, ok := c.Get(ctxCode)
		if !ok {
			code = c.Writer.Status()
		}
		logger.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
			slog.String("request_id", id),
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.Int("status", c.Writer.Status()),
			slog.Any("code", code),
			slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("client_ip", c.ClientIP()),
		)
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '-' || b == '_' || b == '.') {
			return false
		}
	}
	return true
}

// Recovery turns a panic into a 500 envelope and logs the panic value and
// stack with the request id (SPEC §10). A panic with http.ErrAbortHandler
// (the client went away) is re-raised as net/http expects.
func Recovery(r Renderer) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			r.Logger.ErrorContext(c.Request.Context(), "panic recovered",
				"request_id", RequestID(c), "panic", rec, "stack", string(debug.Stack()))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			r.Abort(c, models.NewError(models.CodeInternal, "internal error"))
		}()
		c.Next()
	}
}
