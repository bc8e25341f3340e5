package models

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestWriteGateOneAtATime: of 20 concurrent writes behind one gate, one
// runs at a time and all of them run; without a gate they overlap.
func TestWriteGateOneAtATime(t *testing.T) {
	for _, tc := range []struct {
		name    string
		gate    writeGate
		maxWant func(int32) bool
	}{
		{"gate", make(writeGate, 1), func(n int32) bool { return n == 1 }},
		{"no gate", nil, func(n int32) bool { return n > 1 }},
	} {
		var inside, most, done atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := gated(context.Background(), tc.gate, func() (int, error) {
					n := inside.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					time.Sleep(2 * time.Millisecond)
					inside.Add(-1)
					done.Add(1)
					return 0, nil
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if !tc.maxWant(most.Load()) || done.Load() != 20 {
			t.Errorf("%s: %d writes at once at most, %d done", tc.name, most.Load(), done.Load())
		}
	}
}

// TestWriteGateDeadline: a write that cannot enter the gate before its
// context ends answers the context's error and writes nothing, for the
// plain writes and the findAndModify family alike, on the embedded
// database; once the gate is free the same writes go through.
func TestWriteGateDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := embeddedDatabase(t, ctx, t.TempDir(), "blogapi_gate")
	coll := db.Collection("gate")

	if err := db.gate.enter(ctx); err != nil { // another write holds the gate
		t.Fatal(err)
	}
	short, stop := context.WithTimeout(ctx, 50*time.Millisecond)
	defer stop()
	if _, err := coll.InsertOne(short, bson.D{{Key: "_id", Value: "a"}}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("InsertOne behind a held gate: %v, want the deadline", err)
	}
	res := coll.FindOneAndUpdate(short, bson.D{{Key: "_id", Value: "b"}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}})
	if err := res.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("FindOneAndUpdate behind a held gate: %v, want the deadline", err)
	}
	db.gate.leave()
	if n, err := coll.CountDocuments(ctx, bson.D{}); err != nil || n != 0 {
		t.Fatalf("after the refused writes: %d documents, %v; want none", n, err)
	}

	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}}); err != nil {
		t.Fatalf("InsertOne with the gate free: %v", err)
	}
	var doc struct {
		ID string `bson:"_id"`
	}
	if err := coll.FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&doc); err != nil || doc.ID != "a" {
		t.Fatalf("FindOneAndDelete with the gate free: %+v %v", doc, err)
	}
}

// embeddedDatabase starts an embedded FerretDB in dir for the test and
// answers database name on it, behind a write gate as Open makes it; both
// end with the test.
func embeddedDatabase(t *testing.T, ctx context.Context, dir, name string) *database {
	t.Helper()
	e, err := startEmbedded(ctx, dir, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	client, err := connect(ctx, e.uri, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	return &database{Database: client.Database(name), gate: make(writeGate, 1)}
}
