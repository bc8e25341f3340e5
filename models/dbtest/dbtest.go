// Package dbtest gives tests a real MongoDB database: one embedded FerretDB
// per test binary, a fresh database per test.
package dbtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/blogapi/blogapi/models"
)

var (
	mu       sync.Mutex
	embedded *models.Embedded
	client   *mongo.Client
	dir      string
	seq      atomic.Int64
)

// Main runs the package's tests and then stops the embedded database. Call
// it from TestMain: `func TestMain(m *testing.M) { dbtest.Main(m) }`. m is
// a *testing.M, or a wrapper whose Run adds checks after the tests (the
// root package's contract coverage) and returns the exit code.
func Main(m interface{ Run() int }) {
	code := m.Run()
	mu.Lock()
	if client != nil {
		_ = client.Disconnect(context.Background())
	}
	if embedded != nil {
		embedded.Close()
	}
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
	mu.Unlock()
	os.Exit(code)
}

// URI starts the package's embedded database on first use and returns its
// mongodb:// address.
func URI(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if embedded == nil {
		d, err := os.MkdirTemp("", "blogapi-dbtest-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		if os.Getenv("DBTEST_LOG") != "" {
			quiet = slog.New(slog.NewTextHandler(os.Stderr, nil))
		}
		e, err := models.StartEmbedded(context.Background(), d, "127.0.0.1:0", quiet)
		if err != nil {
			t.Fatal(err)
		}
		embedded = e
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := models.Connect(ctx, e.URI(), nil)
		if err != nil {
			t.Fatal(err)
		}
		client = c
	}
	return embedded.URI()
}

// New returns a database of its own for this test, on the shared client.
func New(t testing.TB) *mongo.Database {
	t.Helper()
	URI(t)
	db := client.Database(newName())
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	return db
}

// NewObserved returns a fresh database for this test on a client of its
// own whose commands are reported to observe (models.Connect): for tests
// that count or time database commands. The client is disconnected and
// the database dropped when the test ends.
func NewObserved(t testing.TB, observe models.CommandObserver) *mongo.Database {
	t.Helper()
	uri := URI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := models.Connect(ctx, uri, observe)
	if err != nil {
		t.Fatal(err)
	}
	db := c.Database(newName())
	t.Cleanup(func() {
		_ = db.Drop(context.Background())
		_ = c.Disconnect(context.Background())
	})
	return db
}

// newName is a database name no other test of this test binary has had.
func newName() string { return fmt.Sprintf("t%d_%d", os.Getpid()%100000, seq.Add(1)) }
