package response

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/services"
)

// Keys of the values the renderer shares with the request log.
const (
	ctxRequestID = "blogapi.request_id"
	ctxCode      = "blogapi.code"
)

// SetRequestID records the request's id (middleware.RequestLog) for the
// renderer's log lines.
func SetRequestID(c *gin.Context, id string) { c.Set(ctxRequestID, id) }

// RequestID is the id of the current request ("" outside
// middleware.RequestLog).
func RequestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// Code is the envelope code the renderer wrote for an error, if it wrote
// one (a success is written by OK with code 200 and HTTP status 200).
func Code(c *gin.Context) (int, bool) {
	v, ok := c.Get(ctxCode)
	if !ok {
		return 0, false
	}
	code, ok := v.(int)
	return code, ok
}

// OK answers data in a success envelope.
func OK(c *gin.Context, data any) { c.JSON(http.StatusOK, Success(data)) }

// Error records err for the renderer (Renderer.Errors) to answer once the
// handler returns.
func Error(c *gin.Context, err error) { _ = c.Error(err) }

// Renderer answers errors with the envelope: code and message from the
// table (Of), the HTTP status under Policy (response.http_status), errors
// outside the table logged with the request id.
type Renderer struct {
	Logger *slog.Logger
	Policy StatusPolicy
}

// Errors renders the last error a handler recorded with Error (or
// c.Error), unless the handler already wrote a response.
func (r Renderer) Errors() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		r.Abort(c, c.Errors.Last().Err)
	}
}

// Abort answers err as the envelope and stops the chain; middleware that
// refuses a request before its handler runs calls it. A
// *services.RetryLater in err's chain sets Retry-After (whole seconds,
// rounded up).
func (r Renderer) Abort(c *gin.Context, err error) {
	env, known := lookup(err)
	switch {
	case !known:
		r.Logger.ErrorContext(c.Request.Context(), "internal error",
			"request_id", RequestID(c), "err", err.Error())
	case env.Code == CodeInternal || env.Code >= 500 && !bare(err):
		r.Logger.ErrorContext(c.Request.Context(), "request failed",
			"request_id", RequestID(c), "code", env.Code, "err", err.Error())
	}
	var later *services.RetryLater
	if errors.As(err, &later) && later.RetryAfter > 0 {
		secs := int64((later.RetryAfter + time.Second - 1) / time.Second)
		c.Header("Retry-After", strconv.FormatInt(secs, 10))
	}
	c.Set(ctxCode, env.Code)
	c.AbortWithStatusJSON(r.Policy.HTTPStatus(env.Code), env)
}

// bare reports whether err is a table sentinel itself, or one only wrapped
// in a RetryLater or FieldError: an expected refusal with no cause worth a
// log line (a busy server's 503).
func bare(err error) bool {
	for {
		switch e := err.(type) {
		case *services.RetryLater:
			err = e.Err
		case *services.FieldError:
			err = e.Err
		default:
			for _, r := range table {
				if r.err == err {
					return true
				}
			}
			return false
		}
	}
}

// NotFound answers unknown routes with a 404 envelope (engine.NoRoute).
func NotFound(c *gin.Context) { Error(c, ErrNoRoute) }

// MethodNotAllowed answers a known path with the wrong method with a 405
// envelope (engine.NoMethod).
func MethodNotAllowed(c *gin.Context) { Error(c, ErrMethodNotAllowed) }
