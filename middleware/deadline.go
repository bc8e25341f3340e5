package middleware

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
)

// Deadline ends the context of each request d after it started (d <= 0:
// never; its cause is response.ErrRequestDeadline), so a request that waits on a hung dependency lets go of what it
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
		t := time.AfterFunc(d, func() { cancel(response.ErrRequestDeadline) })
		defer func() {
			t.Stop()
			cancel(nil)
		}()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}
