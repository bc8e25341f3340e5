package mail

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models/dbtest"
)

// TestMailQueue: jobs run in order off the caller's path; a job with
// nothing to send sends nothing; a failing job is logged without the
// address; Close runs what is queued.
func TestMailQueue(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	outbox := dbtest.New(t).Outbox
	q := NewQueue(NewLogMailer(logger, outbox, time.Now), logger)
	ctx := context.Background()

	msg := Message{To: "reader@example.com", Subject: "Hello", Text: "text body", HTML: "<p>html</p>"}
	q.Enqueue(ctx, msg)
	q.EnqueueJob(ctx, func(context.Context) (Message, bool, error) { return Message{}, false, nil })
	q.EnqueueJob(ctx, func(context.Context) (Message, bool, error) {
		return Message{}, false, errors.New("lookup failed")
	})
	second := msg
	second.Subject = "Second"
	q.EnqueueJob(ctx, func(context.Context) (Message, bool, error) { return second, true, nil })
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	list, err := outbox.List(ctx, "reader@example.com", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Subject != "Second" || list[1].Subject != "Hello" {
		t.Fatalf("outbox %+v; want Second then Hello", list)
	}
	if !strings.Contains(logs.String(), "mail not prepared") || !strings.Contains(logs.String(), "lookup failed") {
		t.Fatalf("failed job not logged: %s", logs.String())
	}
}

// TestMailQueueFull: with the queue full and the caller's context ended,
// the job is dropped (logged) instead of blocking the request.
func TestMailQueueFull(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	q := NewQueue(NewLogMailer(logger, nil, time.Now), logger)
	started, release := make(chan struct{}), make(chan struct{})
	q.EnqueueJob(context.Background(), func(context.Context) (Message, bool, error) {
		close(started)
		<-release
		return Message{}, false, nil
	})
	<-started                        // the worker holds the first job
	for i := 0; i < cap(q.ch); i++ { // and these fill the buffer
		q.EnqueueJob(context.Background(), func(context.Context) (Message, bool, error) { return Message{}, false, nil })
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q.EnqueueJob(ctx, func(context.Context) (Message, bool, error) { return Message{}, false, nil })
	if !strings.Contains(logs.String(), "mail queue full") {
		t.Fatalf("full queue not logged: %s", logs.String())
	}
	close(release)
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestMailQueueCloseBounded: Close gives up at its deadline, and a job
// enqueued after Close is dropped, not sent on a closed channel.
func TestMailQueueCloseBounded(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	q := NewQueue(NewLogMailer(logger, nil, time.Now), logger)
	release := make(chan struct{})
	defer close(release)
	q.EnqueueJob(context.Background(), func(context.Context) (Message, bool, error) {
		<-release
		return Message{}, false, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close with an ended context: %v", err)
	}
	q.Enqueue(context.Background(), Message{To: "a@example.com", Subject: "late", Text: "x"})
	if !strings.Contains(logs.String(), "mail queue closed; mail dropped") {
		t.Fatalf("late mail not dropped: %s", logs.String())
	}
}
