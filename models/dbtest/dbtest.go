// Package dbtest gives tests a real MongoDB database through models.Open:
// one embedded FerretDB per test binary, a fresh database per test.
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
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/blogapi/blogapi/models"
)

// The test binary's embedded server (opened on first use, closed by Main)
// and the raw client of Collection.
var (
	mu   sync.Mutex
	root *models.DB
	raw  *mongo.Client
	dir  string
	seq  atomic.Int64
)

// Main runs the package's tests and then stops the embedded database. Call
// it from TestMain: `func TestMain(m *testing.M) { dbtest.Main(m) }`. m is
// a *testing.M, or a wrapper whose Run adds checks after the tests (the
// root package's contract coverage) and returns the exit code.
func Main(m interface{ Run() int }) {
	code := m.Run()
	mu.Lock()
	if raw != nil {
		_ = raw.Disconnect(context.Background())
	}
	if root != nil {
		root.Close()
	}
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
	mu.Unlock()
	os.Exit(code)
}

// logger discards, unless DBTEST_LOG is set: then it writes to stderr.
func logger() *slog.Logger {
	if os.Getenv("DBTEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// server opens the test binary's embedded server on first use. The caller
// holds mu.
func server(t testing.TB) *models.DB {
	t.Helper()
	if root == nil {
		d, err := os.MkdirTemp("", "blogapi-dbtest-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		db, err := models.Open(ctx, models.Options{Dir: d, Database: "dbtest", EngineLogger: logger(), Logger: logger()})
		if err != nil {
			t.Fatal(err)
		}
		root = db
	}
	return root
}

// New returns a database of its own for this test, opened as the server
// opens its own (models.Open: collections, indexes, the expiry sweep), on
// the real clock. It is dropped and closed when the test ends.
func New(t testing.TB) *models.DB {
	t.Helper()
	return Open(t, models.Options{})
}

// Open is New with o's Now (the stores' clock), Observe (every finished
// command, for tests that count or time them), Logger and SweepInterval.
// o.Database is the test's own, fresh name; the server fields of o must be
// empty.
func Open(t testing.TB, o models.Options) *models.DB {
	t.Helper()
	mu.Lock()
	srv := server(t)
	mu.Unlock()
	if o.Database != "" {
		t.Fatalf("dbtest.Open: Database %q: each test gets a fresh one", o.Database)
	}
	o.Database = newName()
	if o.Logger == nil {
		o.Logger = logger()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := srv.OpenDatabase(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = db.Drop(context.Background())
		db.Close()
	})
	return db
}

// Reopen opens db's database again, as a second server instance over the
// same database would (models.DB.OpenDatabase), with o's Now, Observe,
// Logger and SweepInterval. It is closed when the test ends.
func Reopen(t testing.TB, db *models.DB, o models.Options) *models.DB {
	t.Helper()
	mu.Lock()
	srv := server(t)
	mu.Unlock()
	o.Database = db.Name()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	again, err := srv.OpenDatabase(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(again.Close)
	return again
}

// Collection is the collection name of db for reading or changing
// documents directly, as an operator's tool would (on a client of its own,
// closed by Main).
func Collection(t testing.TB, db *models.DB, name string) *mongo.Collection {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if raw == nil {
		c, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + server(t).EmbeddedAddr() + "/"))
		if err != nil {
			t.Fatal(err)
		}
		raw = c
	}
	return raw.Database(db.Name()).Collection(name)
}

// newName is a database name no other test of this test binary has had.
func newName() string { return fmt.Sprintf("t%d_%d", os.Getpid()%100000, seq.Add(1)) }
