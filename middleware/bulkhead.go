package middleware

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

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
// Waiting requests are admitted in two classes, each in arrival order:
// every priority request (a login carrying a captcha answer, see
// Handler) before any other. So a real user who answered the captcha during
// a login flood waits for the hash in progress, not for the flood's
// attempts queued before the flood guard tripped (docs/security.md, "Login
// flood"). Safe for concurrent use; share one Bulkhead between the routes
// that share the CPUs. (golang.org/x/sync/semaphore admits in one FIFO
// order only, hence the two lists here.)
type Bulkhead struct {
	maxWait time.Duration
	queue   int // waiters allowed in each class

	mu   sync.Mutex
	free int // slots not taken
	// waiters of each class (priorityClass, normalClass), oldest first:
	// *waiter elements.
	waiters [2]list.List
	// onWait, when set (tests only), runs when a request starts waiting.
	onWait func()
}

// Classes of waiters, in the order they are admitted.
const (
	priorityClass = iota
	normalClass
)

// waiter is a request waiting for a slot. granted is closed when release
// hands it the slot.
type waiter struct {
	granted chan struct{}
}

// NewBulkhead admits at most slots requests at once (at least 1) and lets
// at most queue more of each class wait (0: none wait), each for at most
// maxWait (0: as long as its client waits). Keep maxWait well under
// server.write_timeout: a request admitted after that would spend its slot
// on an answer the server can no longer send.
func NewBulkhead(slots, queue int, maxWait time.Duration) *Bulkhead {
	return &Bulkhead{free: max(slots, 1), queue: max(queue, 0), maxWait: maxWait}
}

// errBusy sheds a request the bulkhead cannot take: 503 with Retry-After,
// not logged (a flood would flood the log too).
func errBusy() error { return &services.RetryLater{Err: services.ErrBusy, RetryAfter: time.Second} }

// Handler runs the rest of the chain in a slot. With every slot taken it
// waits for one, unless queue requests of its class already wait: then,
// when the wait passes maxWait, or when the client goes away while
// waiting, it answers 503 "server is busy; try again later" with
// Retry-After: 1 and the handler never runs. A request for which priority
// (nil: none) reports true waits in the priority class: it is admitted
// before every request of the other class, whenever that one came.
func (b *Bulkhead) Handler(r response.Renderer, priority func(*gin.Context) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		class := normalClass
		if priority != nil && priority(c) {
			class = priorityClass
		}
		if err := b.acquire(c.Request.Context(), class); err != nil {
			r.Abort(c, err)
			return
		}
		defer b.release()
		c.Next()
	}
}

// Waiting is the number of requests waiting for a slot now.
func (b *Bulkhead) Waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiters[priorityClass].Len() + b.waiters[normalClass].Len()
}

// acquire takes a slot for a request of class, waiting as Handler says.
func (b *Bulkhead) acquire(ctx context.Context, class int) error {
	b.mu.Lock()
	// A free slot goes to whoever comes, unless someone admitted before
	// this request waits: all of the priority class, and for a normal
	// request the normal class too.
	ahead := b.waiters[priorityClass].Len()
	if class == normalClass {
		ahead += b.waiters[normalClass].Len()
	}
	if b.free > 0 && ahead == 0 {
		b.free--
		b.mu.Unlock()
		return nil
	}
	if b.waiters[class].Len() >= b.queue {
		b.mu.Unlock()
		return errBusy()
	}
	w := &waiter{granted: make(chan struct{})}
	elem := b.waiters[class].PushBack(w)
	b.mu.Unlock()
	if b.onWait != nil {
		b.onWait()
	}

	var timeout <-chan time.Time
	if b.maxWait > 0 {
		t := time.NewTimer(b.maxWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-w.granted:
		return nil
	case <-ctx.Done():
	case <-timeout:
	}
	b.mu.Lock()
	select {
	case <-w.granted:
		// Handed the slot as the wait ended: pass it on.
		b.mu.Unlock()
		b.release()
	default:
		b.waiters[class].Remove(elem)
		b.mu.Unlock()
	}
	return errBusy()
}

// release gives the slot to the first waiter of the first class that has
// one, or frees it.
func (b *Bulkhead) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for class := range b.waiters {
		if front := b.waiters[class].Front(); front != nil {
			b.waiters[class].Remove(front)
			close(front.Value.(*waiter).granted)
			return
		}
	}
	b.free++
}
