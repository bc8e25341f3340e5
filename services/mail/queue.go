package mail

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Job prepares one mail off the request path: it returns the message
// and true, or false when there is nothing to send. An error is logged.
type Job func(ctx context.Context) (Message, bool, error)

// Queue prepares and sends mail off the request path, so that a slow
// SMTP server cannot hold a request and a request's cost does not depend on
// whether it leads to a mail (forgot-password answers alike, at about the
// same cost, whether or not the address exists: docs/decisions.md). Jobs wait in
// memory (at most 256): Close runs what is queued within its deadline; a
// crash loses it, and the user asks again (resend, forgot).
type Queue struct {
	mailer  Mailer
	logger  *slog.Logger
	ch      chan Job
	pending sync.WaitGroup
	done    chan struct{}
	timeout time.Duration
	// mu guards closed: enqueues hold it shared, Close exclusively, so no
	// job is sent on the closed channel.
	mu     sync.RWMutex
	closed bool
}

// enqueueWait bounds how long a request waits for room in a full queue.
const enqueueWait = 2 * time.Second

// NewQueue starts one worker over mailer; each job, preparation and
// send together, is bounded by 30 s. Stop it with Close.
func NewQueue(mailer Mailer, logger *slog.Logger) *Queue {
	q := &Queue{mailer: mailer, logger: logger, ch: make(chan Job, 256), done: make(chan struct{}), timeout: 30 * time.Second}
	go q.run()
	return q
}

func (q *Queue) run() {
	defer close(q.done)
	for job := range q.ch {
		q.do(job)
		q.pending.Done()
	}
}

func (q *Queue) do(job Job) {
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
	defer cancel()
	m, send, err := job(ctx)
	if err != nil {
		q.logger.Error("mail not prepared", "err", err.Error())
		return
	}
	if !send {
		return
	}
	if err := q.mailer.Send(ctx, m); err != nil {
		// The address is personal data: log the subject only.
		q.logger.Error("mail not sent", "subject", m.Subject, "err", err.Error())
	}
}

// Enqueue queues the sending of m (see EnqueueJob).
func (q *Queue) Enqueue(ctx context.Context, m Message) {
	q.EnqueueJob(ctx, func(context.Context) (Message, bool, error) { return m, true, nil })
}

// EnqueueJob queues job. When the queue is full (the mailer is down or
// slow) it waits for room at most 2 s or until ctx ends, then drops the job
// with an error log: a request is never held longer. After Close, jobs are
// dropped the same way.
func (q *Queue) EnqueueJob(ctx context.Context, job Job) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.logger.Error("mail queue closed; mail dropped")
		return
	}
	q.pending.Add(1)
	wait := time.NewTimer(enqueueWait)
	defer wait.Stop()
	select {
	case q.ch <- job:
	case <-ctx.Done():
		q.pending.Done()
		q.logger.Error("mail queue full; mail dropped")
	case <-wait.C:
		q.pending.Done()
		q.logger.Error("mail queue full; mail dropped")
	}
}

// Wait blocks until every queued job has run.
func (q *Queue) Wait() { q.pending.Wait() }

// Close stops accepting jobs and runs the queued ones until ctx ends; what
// is left then is lost (logged). It returns ctx's error in that case.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
		q.logger.Error("mail queue not drained before shutdown; queued mail lost", "queued", len(q.ch))
		return ctx.Err()
	}
}
