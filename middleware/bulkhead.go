package middleware

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/semaphore"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services"
)

// Bulkhead bounds how many requests of the routes it guards run at once,
// and how many wait for their turn. It guards the credential routes, those
// that may hash a password (login, registration, profile update, password
// change and reset): besides the hash, a login looks the account up and
// counts the attempt, which on the embedded database costs about as much
// as the hash (a scan of the users, BENCHMARKS.md). Bounding the hash
// alone (the hasher's own slots) left that work unbounded, and a login
// flood starved every other request; bounding the whole request keeps a
// flood to the CPUs the slots give it (docs/security.md "a login flood cannot
// starve other requests").
//
// Waiting requests are admitted in arrival order. Safe for concurrent use;
// share one Bulkhead between the routes that share the CPUs.
type Bulkhead struct {
	sem     *semaphore.Weighted
	queue   int64
	maxWait time.Duration
	// waiting is the number of requests waiting for a slot now.
	waiting atomic.Int64
	// onWait, when set (tests only), runs when a request starts waiting.
	onWait func()
}

// NewBulkhead admits at most slots requests at once (at least 1) and lets
// at most queue more wait (0: none wait), each for at most maxWait (0: as
// long as its client waits). Keep maxWait well under server.write_timeout:
// a request admitted after that would spend its slot on an answer the
// server can no longer send.
func NewBulkhead(slots, queue int, maxWait time.Duration) *Bulkhead {
	return &Bulkhead{sem: semaphore.NewWeighted(int64(max(slots, 1))), queue: int64(max(queue, 0)), maxWait: maxWait}
}

// errBusy sheds a request the bulkhead cannot take: 503 with Retry-After,
// not logged (a flood would flood the log too).
func errBusy() error { return &services.RetryLater{Err: services.ErrBusy, RetryAfter: time.Second} }

// Handler runs the rest of the chain in a slot. With every slot taken it
// waits for one, unless queue requests already wait: then, when the wait
// passes maxWait, or when the client goes away while waiting, it answers
// 503 "server is busy; try again later" with Retry-After: 1 and the
// handler never runs.
func (b *Bulkhead) Handler(r response.Renderer) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !b.sem.TryAcquire(1) {
			if b.waiting.Add(1) > b.queue {
				b.waiting.Add(-1)
				r.Abort(c, errBusy())
				return
			}
			if b.onWait != nil {
				b.onWait()
			}
			ctx := c.Request.Context()
			if b.maxWait > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, b.maxWait)
				defer cancel()
			}
			err := b.sem.Acquire(ctx, 1)
			b.waiting.Add(-1)
			if err != nil {
				r.Abort(c, errBusy())
				return
			}
		}
		defer b.sem.Release(1)
		c.Next()
	}
}
