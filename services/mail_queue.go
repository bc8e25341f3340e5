package services

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// MailQueue sends mail off the request path, so that a request's cost does
// not depend on whether it sent mail (issue 3: forgot-password answers the
// same whether or not the address exists) and a slow SMTP server cannot
// hold a request. Messages wait in memory: on shutdown Close delivers what
// is queued (bounded by its context); a crash loses them, and the user asks
// again (resend, forgot).
type MailQueue struct {
	mailer  Mailer
	logger  *slog.Logger
	ch      chan Message
	pending sync.WaitGroup
	done    chan struct{}
	timeout time.Duration
}

// NewMailQueue starts one sender goroutine over mailer; each send is
// bounded by 30 s. Stop it with Close.
func NewMailQueue(mailer Mailer, logger *slog.Logger) *MailQueue {
	q := &MailQueue{mailer: mailer, logger: logger, ch: make(chan Message, 256), done: make(chan struct{}), timeout: 30 * time.Second}
	go q.run()
	return q
}

func (q *MailQueue) run() {
	defer close(q.done)
	for m := range q.ch {
		ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
		if err := q.mailer.Send(ctx, m); err != nil {
			// The address is personal data: log the subject only.
			q.logger.Error("mail not sent", "subject", m.Subject, "err", err.Error())
		}
		cancel()
		q.pending.Done()
	}
}

// Enqueue queues m. When the queue is full (256 messages) it waits for
// room until ctx ends, then drops m with an error log.
func (q *MailQueue) Enqueue(ctx context.Context, m Message) {
	q.pending.Add(1)
	select {
	case q.ch <- m:
	case <-ctx.Done():
		q.pending.Done()
		q.logger.Error("mail queue full; message dropped", "subject", m.Subject)
	}
}

// Wait blocks until every queued message has been handed to the mailer.
func (q *MailQueue) Wait() { q.pending.Wait() }

// Close stops accepting messages and waits for the queued ones.
func (q *MailQueue) Close() {
	close(q.ch)
	<-q.done
}
