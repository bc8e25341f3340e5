package middleware

import (
	"context"
	"errors"
	"time"

	"github.com/gin-gonic/gin"
)

// ErrRequestDeadline is the cause of a request context that Deadline
// ended.
var ErrRequestDeadline = errors.New("request ran past its deadline")

// Deadline ends the context of each request d after it started (d <= 0:
// never), so a request that waits on a hung dependency lets go of what it
// holds (a hashing slot, a database connection) before the server's write
// timeout cuts the connection. The context is cancelled by a timer rather
// than given a deadline: the database driver applies its own per-operation
// timeout (mongo.op_timeout) only to contexts without a deadline, and a
// deadline of d would replace it with d.
func Deadline(d time.Duration) gin.HandlerFunc {
	if d <= 0 {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		ctx, cancel := context.WithCancelCause(c.Request.Context())
		t := time.AfterFunc(d, func() { cancel(ErrRequestDeadline) })
		defer func() {
			t.Stop()
			cancel(nil)
		}()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}
