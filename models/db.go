package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// Embedded is a running in-process FerretDB (SPEC §8): the MongoDB wire
// protocol over SQLite files in a directory. It is meant for development and
// single-node use.
type Embedded struct {
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
}

// StartEmbedded starts FerretDB with its SQLite backend under dir (created
// when missing) and a TCP listener on listen ("127.0.0.1:0" picks a free
// port). logger receives FerretDB's own logs; pass one at a quiet level.
// Stop it with Close.
func StartEmbedded(ctx context.Context, dir, listen string, logger *slog.Logger) (*Embedded, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded database dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("embedded database dir: %w", err)
	}
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(abs) + "/",
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded database: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &Embedded{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		_ = f.Run(runCtx)
	}()
	// MongoDBURI blocks until the listener is up.
	e.uri = f.MongoDBURI()
	return e, nil
}

// URI is the mongodb:// address of the embedded server.
func (e *Embedded) URI() string { return e.uri }

// Close stops the server and waits until its files are closed.
func (e *Embedded) Close() {
	e.cancel()
	<-e.done
}

// Connect opens a client on uri and pings it (bounded by ctx). The client
// counts every command it starts in the CommandCounter of the command's
// context (WithCommandCounter) and, when observe is not nil, reports every
// finished command to it. The caller disconnects the client.
func Connect(ctx context.Context, uri string, observe CommandObserver) (*mongo.Client, error) {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(10 * time.Second).
		SetMonitor(commandMonitor(observe)))
	if err != nil {
		return nil, fmt.Errorf("connect to mongodb: %w", err)
	}
	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("ping mongodb: %w", err)
	}
	return client, nil
}

// Ping asks db's server whether it answers (the primary, bounded by ctx):
// the readiness check.
func Ping(ctx context.Context, db *mongo.Database) error {
	return db.Client().Ping(ctx, readpref.Primary())
}

// CommandObserver receives each database command a client from Connect
// finished: ctx is the context the command ran with, command the
// command's name as the driver reports it ("find", "insert",
// "findAndModify", "update", "delete"…), ok whether the server answered
// it without error, elapsed the round trip. It never sees the command's
// documents or filters. It is called on the caller's goroutine and must
// be quick.
type CommandObserver func(ctx context.Context, command string, ok bool, elapsed time.Duration)

// CommandCounter counts the database commands started with one context:
// one request's (see WithCommandCounter). Safe for concurrent use.
type CommandCounter struct{ n atomic.Int64 }

type commandCounterKey struct{}

// WithCommandCounter returns ctx carrying a new CommandCounter: every
// command a client from Connect starts with ctx, or a context derived
// from it, adds one (the round trips of a request, issue 5).
func WithCommandCounter(ctx context.Context) (context.Context, *CommandCounter) {
	c := new(CommandCounter)
	return context.WithValue(ctx, commandCounterKey{}, c), c
}

// CommandCounterFrom returns the counter WithCommandCounter put in ctx, or
// nil.
func CommandCounterFrom(ctx context.Context) *CommandCounter {
	c, _ := ctx.Value(commandCounterKey{}).(*CommandCounter)
	return c
}

// Count is the number of commands started so far.
func (c *CommandCounter) Count() int { return int(c.n.Load()) }

// commandMonitor counts started commands in their context's counter and
// reports finished ones to observe (nil: none). The driver reports
// application commands only: its heartbeats and connection handshakes are
// not commands here.
func commandMonitor(observe CommandObserver) *event.CommandMonitor {
	m := &event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			if c := CommandCounterFrom(ctx); c != nil {
				c.n.Add(1)
			}
		},
	}
	if observe != nil {
		m.Succeeded = func(ctx context.Context, e *event.CommandSucceededEvent) {
			observe(ctx, e.CommandName, true, e.Duration)
		}
		m.Failed = func(ctx context.Context, e *event.CommandFailedEvent) {
			observe(ctx, e.CommandName, false, e.Duration)
		}
	}
	return m
}

// Sentinel errors the stores return instead of driver errors.
var (
	ErrNotFound         = errors.New("not found")
	ErrDuplicateAccount = errors.New("account already registered")
	ErrDuplicateEmail   = errors.New("email already registered")
	ErrDuplicate        = errors.New("duplicate key")
)

// findOne decodes the document filter matches in coll; ErrNotFound when
// there is none.
func findOne[T any](ctx context.Context, coll *mongo.Collection, filter bson.D) (T, error) {
	var v T
	err := coll.FindOne(ctx, filter).Decode(&v)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return v, ErrNotFound
	}
	if err != nil {
		var zero T
		return zero, fmt.Errorf("find in %s: %w", coll.Name(), err)
	}
	return v, nil
}
