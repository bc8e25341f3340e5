package models

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// counterDoc is one key's count in one time window. The window number is
// part of the _id ("<key>:<window>"), so every read and write of a counter
// filters on exactly {_id: v}: the one filter the embedded FerretDB serves
// from an index (docs/operations.md, "The embedded database"). ExpiresAt is the window's end; the
// expiry sweep of Open deletes ended windows.
type counterDoc struct {
	ID        string    `bson:"_id"`
	Count     int64     `bson:"count"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

// window is one fixed time window of a counter: [Start, End). Windows of a
// period are aligned on the Unix epoch, so every instance agrees on them
// without asking the database.
type window struct {
	n          int64
	Start, End time.Time
}

// windowAt is the window of length period that holds now.
func windowAt(now time.Time, period time.Duration) window {
	n := now.UnixNano() / int64(period)
	start := time.Unix(0, n*int64(period)).In(now.Location())
	return window{n: n, Start: start, End: start.Add(period)}
}

// id is the _id of key's counter in w.
func (w window) id(key string) string { return key + ":" + strconv.FormatInt(w.n, 10) }

// counter keeps windowed counters in one collection: one document per key
// and window, one $inc upsert on {_id} per hit, expiry checked in Go.
//
// On MongoDB each upsert is atomic, so any number of instances share a
// counter exactly. FerretDB v1.24 (the embedded database) runs an $inc as a
// read then a whole-document write without isolation (20 concurrent $inc on
// one document ended at 46 of 200), and concurrent upserts of one new _id
// return duplicate-key errors: the striped in-process locks make one
// process's updates of a key exact, and an upsert that loses the race to
// another process's insert is retried once. Several processes sharing one
// FerretDB can still lose counts under contention, which the single-node
// embedded database accepts (docs/operations.md, "The embedded database").
type counter struct {
	coll  *collection
	locks *keyLocks
}

func newCounter(coll *collection) counter {
	return counter{coll: coll, locks: new(keyLocks)}
}

// add adds n to key's counter in the window of period holding now and
// returns the count after it and the window.
func (c counter) add(ctx context.Context, key string, n int64, now time.Time, period time.Duration) (int64, window, error) {
	w := windowAt(now, period)
	id := w.id(key)
	defer c.locks.lock(id)()
	count, err := c.inc(ctx, id, n, w.End)
	if isDuplicateKey(err) {
		// Another process inserted the window between our upsert's read
		// and its insert: the document exists now.
		count, err = c.inc(ctx, id, n, w.End)
	}
	if err == nil && count < n {
		// The count was below zero (see settle): raise it to this hit.
		// $max is atomic, so a concurrent hit elsewhere is not undone.
		_, err = c.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$max", Value: bson.D{{Key: "count", Value: n}}}})
		count = n
	}
	if err != nil {
		return 0, w, err
	}
	return count, w, nil
}

// inc is the $inc upsert of one counter document; it returns the count
// after it.
func (c counter) inc(ctx context.Context, id string, n int64, end time.Time) (int64, error) {
	var doc counterDoc
	err := c.coll.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: id}},
		bson.D{
			{Key: "$inc", Value: bson.D{{Key: "count", Value: n}}},
			{Key: "$setOnInsert", Value: bson.D{{Key: "expiresAt", Value: end}}},
		},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After),
	).Decode(&doc)
	return doc.Count, err
}

// current returns key's count in the window of period holding now (0 when
// it has none) and the window.
func (c counter) current(ctx context.Context, key string, now time.Time, period time.Duration) (int64, window, error) {
	w := windowAt(now, period)
	doc, err := findOne[counterDoc](ctx, c.coll, bson.D{{Key: "_id", Value: w.id(key)}})
	switch {
	case errors.Is(err, ErrNotFound):
		return 0, w, nil
	case err != nil:
		return 0, w, err
	case !doc.ExpiresAt.After(now):
		return 0, w, nil // ended, not yet swept
	}
	return max(doc.Count, 0), w, nil
}

// settle sets the counters of clear to zero and takes one back from the
// counters of decr, in the windows of period holding now, with one bulk
// write: one round trip however many keys. A key without a counter in the
// window is left alone. A count taken below zero (a decrement without an
// increment before it in the window) reads as zero, and the next add
// raises it to what that add counts.
func (c counter) settle(ctx context.Context, now time.Time, period time.Duration, clear, decr []string) error {
	if len(clear)+len(decr) == 0 {
		return nil
	}
	w := windowAt(now, period)
	ids := make([]string, 0, len(clear)+len(decr))
	models := make([]mongo.WriteModel, 0, len(clear)+len(decr))
	for _, key := range clear {
		id := w.id(key)
		ids = append(ids, id)
		// A $set rather than a delete: updates and deletes are separate
		// commands, and settle is one.
		models = append(models, mongo.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: id}}).
			SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "count", Value: 0}}}}))
	}
	for _, key := range decr {
		id := w.id(key)
		ids = append(ids, id)
		models = append(models, mongo.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: id}}).
			SetUpdate(bson.D{{Key: "$inc", Value: bson.D{{Key: "count", Value: -1}}}}))
	}
	defer c.locks.lock(ids...)()
	if _, err := c.coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
		return fmt.Errorf("settle counters: %w", err)
	}
	return nil
}

// keyLocks serialises updates of one key within this process (see
// counter). Keys hash onto a fixed set of mutexes, so unrelated keys
// rarely wait on each other and memory stays bounded.
type keyLocks struct{ mu [lockStripes]sync.Mutex }

const lockStripes = 64

// lockAll locks every mutex (an update of an unknown set of documents, such
// as ending all sessions of a user) and returns their unlock.
func (l *keyLocks) lockAll() func() {
	for i := range l.mu {
		l.mu[i].Lock()
	}
	return func() {
		for i := range l.mu {
			l.mu[i].Unlock()
		}
	}
}

// lock locks the mutexes of keys, in index order so that two callers
// locking overlapping sets cannot deadlock, and returns their unlock.
func (l *keyLocks) lock(keys ...string) func() {
	var held [lockStripes]bool
	for _, key := range keys {
		h := fnv.New32a()
		_, _ = h.Write([]byte(key))
		held[h.Sum32()%lockStripes] = true
	}
	for i := range held {
		if held[i] {
			l.mu[i].Lock()
		}
	}
	return func() {
		for i := range held {
			if held[i] {
				l.mu[i].Unlock()
			}
		}
	}
}
