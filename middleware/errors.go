// Package middleware holds the Gin middleware of the API: recovery, request
// id and logging, signature, JWT, CORS, rate limits, and the one error
// renderer that turns any error into the envelope.
package middleware

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/models"
)

// Errors renders the last error a handler added with c.Error as the
// envelope (SPEC §2), unless the handler already wrote a response. An
// *models.AppError is answered with its code and message; anything else is
// logged with the request id and answered as 500 "internal error". The HTTP
// status follows policy (response.http_status).
func Errors(logger *slog.Logger, policy models.StatusPolicy) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		Abort(c, logger, policy, c.Errors.Last().Err)
	}
}

// Abort writes err as the envelope and stops the chain. Middleware that
// fails before a handler runs calls it through the Errors renderer's logger
// and policy (see Renderer).
func Abort(c *gin.Context, logger *slog.Logger, policy models.StatusPolicy, err error) {
	env := models.Envelope{Code: models.CodeInternal, Msg: "internal error"}
	if ae, ok := models.AsAppError(err); ok {
		env = models.Envelope{Code: ae.Code, Msg: ae.Msg, Errors: ae.Fields}
		if ae.RetryAfter > 0 {
			secs := int64((ae.RetryAfter + time.Second - 1) / time.Second)
			c.Header("Retry-After", strconv.FormatInt(secs, 10))
		}
		if ae.Code >= 500 && ae.Cause != nil {
			logger.ErrorContext(c.Request.Context(), "request failed",
				"request_id", RequestID(c), "code", ae.Code, "err", ae.Cause.Error())
		}
	} else {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			env = models.Envelope{Code: models.CodeBodyTooLarge, Msg: "request body is too large"}
		} else {
			logger.ErrorContext(c.Request.Context(), "internal error",
				"request_id", RequestID(c), "err", err.Error())
		}
	}
	c.Set(ctxCode, env.Code)
	c.AbortWithStatusJSON(policy.HTTPStatus(env.Code), env)
}

// Renderer carries the logger and status policy middleware use to answer
// with an envelope before the handler runs.
type Renderer struct {
	Logger *slog.Logger
	Policy models.StatusPolicy
}

// Abort writes err as the envelope and stops the chain (see Abort).
func (r Renderer) Abort(c *gin.Context, err error) { Abort(c, r.Logger, r.Policy, err) }

// NotFound answers unknown routes with a 404 envelope (engine.NoRoute).
func NotFound(c *gin.Context) {
	_ = c.Error(models.NewError(models.CodeNotFound, "no such route"))
}

// MethodNotAllowed answers a known path with the wrong method with a 405
// envelope (engine.NoMethod).
func MethodNotAllowed(c *gin.Context) {
	_ = c.Error(models.NewError(models.CodeMethodNotAllow, "method not allowed on this route"))
}
