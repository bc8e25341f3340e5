// Package middleware holds the Gin middleware of the API: recovery, request
// id and logging, body limit, signature, JWT, CORS, rate limits and the
// bulkhead. Refusals are answered through controllers/response.
package middleware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
)

const (
	// ctxSignRejected marks a request the signature middleware refused.
	ctxSignRejected = "blogapi.sign_rejected"
	// ctxSignApp is the name (sign.apps[].name) of the app whose signature
	// the request carried.
	ctxSignApp = "blogapi.sign_app"
	// HeaderRequestID carries the request id in both directions.
	HeaderRequestID = "X-Request-Id"
)

// RouteUnmatched is the route of a request no route matched (404, 405):
// the URL itself is never logged or counted, it may carry ids or junk.
const RouteUnmatched = "unmatched"

// RequestRecord is a finished request as the request log and metrics see
// it. None of it is user data: Route is the route template
// ("/blogapi/user/center", never the URL) and Method one of the standard
// methods or "other".
type RequestRecord struct {
	Route  string
	Method string
	// Code is the envelope code (docs/routes.md), or the HTTP status when no
	// envelope was written (raw SVG captcha, CORS preflight).
	Code int
	// Elapsed is the time from the first middleware to the end of the
	// chain.
	Elapsed time.Duration
	// DBCommands is the number of database commands (round trips) the
	// request started, as its CommandCounter counted them.
	DBCommands int
	// SignRejected is true when the signature middleware refused the
	// request (Code says why: 511–514, 201, 400, 413, 503; docs/signing.md).
	SignRejected bool
}

// RequestObserver receives every finished request (internal/metrics
// counts them). It is called on the request's goroutine and must be
// quick.
type RequestObserver interface {
	ObserveRequest(RequestRecord)
}

// CommandCounter attaches a counter of database commands to a request's
// context and returns the context and a function reading the count so far
// (internal/app passes the database's own, models.WithCommandCounter).
type CommandCounter func(context.Context) (context.Context, func() int)

// RequestLog gives every request an id (a client's X-Request-Id of 1–64
// safe characters is kept, else 16 random bytes in hex), echoes it in the
// response header, counts the request's database commands with count
// (nil: none) and logs one line per request: request id,
// method, route, the signing app's name (sign.apps[].name; empty when the
// route is unsigned or the signature was refused), status, envelope code,
// latency (ms), database commands and client ip. The query string, headers and bodies are never logged: they
// carry tokens, passwords and captcha answers (docs/operations.md). When observer is
// not nil it receives the same facts as a RequestRecord.
func RequestLog(logger *slog.Logger, observer RequestObserver, count CommandCounter) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := c.GetHeader(HeaderRequestID)
		if !validRequestID(id) {
			var b [16]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		response.SetRequestID(c, id)
		c.Header(HeaderRequestID, id)
		commands := func() int { return 0 }
		if count != nil {
			var ctx context.Context
			ctx, commands = count(c.Request.Context())
			c.Request = c.Request.WithContext(ctx)
		}
		c.Next()
		rec := RequestRecord{
			Route:        c.FullPath(),
			Method:       methodLabel(c.Request.Method),
			Code:         c.Writer.Status(),
			Elapsed:      time.Since(start),
			DBCommands:   commands(),
			SignRejected: c.GetBool(ctxSignRejected),
		}
		if rec.Route == "" {
			rec.Route = RouteUnmatched
		}
		if code, ok := response.Code(c); ok {
			rec.Code = code
		}
		if observer != nil {
			observer.ObserveRequest(rec)
		}
		logger.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
			slog.String("request_id", id),
			slog.String("method", rec.Method),
			slog.String("route", rec.Route),
			slog.String("app", c.GetString(ctxSignApp)),
			slog.Int("status", c.Writer.Status()),
			slog.Int("code", rec.Code),
			slog.Float64("latency_ms", float64(rec.Elapsed.Microseconds())/1000),
			slog.Int("db_commands", rec.DBCommands),
			slog.String("client_ip", c.ClientIP()),
		)
	}
}

// methodLabel is method when it is one of the standard HTTP methods, else
// "other": a client picks the method, and it must not grow the label set.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
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
// stack with the request id (docs/operations.md). A panic with http.ErrAbortHandler
// (the client went away) is re-raised as net/http expects.
func Recovery(r response.Renderer) gin.HandlerFunc {
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
				"request_id", response.RequestID(c), "panic", rec, "stack", string(debug.Stack()))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			r.Abort(c, response.ErrPanic)
		}()
		c.Next()
	}
}
