package services

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// MailJob prepares one mail off the request path: it returns the message
// and true, or false when there is nothing to send. An error is logged.
type MailJob func(ctx context.Context) (Message, bool, error)

// MailQueue prepares and sends mail off the request path, so that a slow
// SMTP server cannot hold a request and a request's cost does not depend on
// whether it leads to a mail (issue 3: forgot-password answers alike, at
// about the same cost, whether or not the address exists). Jobs wait in
// memory (at most 256): Close runs what is queued; a crash loses it, and the
// user asks again (resend, forgot).
type MailQueue struct {
	mailer  Mailer
	logger  *slog.Logger
	ch      chan MailJob
	pending sync.WaitGroup
	done    chan struct{}
	timeout time.Duration
}

// NewMailQueue starts one worker over mailer; each job, preparation and
// send together, is bounded by 30 s. Stop it with Close.
func NewMailQueue(mailer Mailer, logger *slog.Logger) *MailQueue {
	q := &MailQueue{mailer: mailer, logger: logger, ch: make(chan MailJob, 256), done: make(chan struct{}), timeout: 30 * time.Second}
	go q.run()
	return q
}

func (q *MailQueue) run() {
	defer close(q.done)
	for job := range q.ch {
		q.do(job)
		q.pending.Done()
	}
}

func (q *MailQueue) do(job MailJob) {
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
func (q *MailQueue) Enqueue(ctx context.Context, m Message) {
	q.EnqueueJob(ctx, func(context.Context) (Message, bool, error) { return m, true, nil })
}

// EnqueueJob queues job. When the queue is full it waits for room until
// ctx ends, then drops the job with an error log. Not after Close.
func (q *MailQueue) EnqueueJob(ctx context.Context, job MailJob) {
	q.pending.Add(1)
	select {
	case q.ch <- job:
	case <-ctx.Done():
		q.pending.Done()
		q.logger.Error("mail queue full; mail dropped")
	}
}

// Wait blocks until every queued job has run.
func (q *MailQueue) Wait() { q.pending.Wait() }

// Close stops accepting jobs and waits for the queued ones.
func (q *MailQueue) Close() {
	close(q.ch)
	<-q.done
}
