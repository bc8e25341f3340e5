package models

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/store/common"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// RateLimitStore is a limiter.Store (github.com/ulule/limiter/v3) over the
// `ratelimits` collection, so every API instance counts against the same
// per-IP limits (SPEC §8). Each key is a fixed window: the first hit opens it
// for rate.Period, later hits add to it, and the first hit after it ends
// opens a new one. Documents: `{_id: "limiter:" + key, count, windowStart,
// expiresAt}`. Expired documents are harmless (reads ignore them); the
// expiry of Open reclaims them.
//
// Updates are single-document atomic operations, exact across instances on
// MongoDB. FerretDB v1.24 runs findAndModify as an unisolated read and
// write, so the store also serialises updates of a key within the process:
// share the one of DB.RateLimits between limiters.
type RateLimitStore struct {
	counter windowCounter
	now     func() time.Time
}

// newRateLimitStore uses the `ratelimits` collection of db. now is the
// clock (nil: time.Now).
func newRateLimitStore(db *mongo.Database, now func() time.Time) *RateLimitStore {
	if now == nil {
		now = time.Now
	}
	return &RateLimitStore{counter: newWindowCounter(db.Collection(CollRateLimits)), now: now}
}

func rateLimitID(key string) string { return limiter.DefaultPrefix + ":" + key }

// Get counts one hit for key and returns the state after it.
func (s *RateLimitStore) Get(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	return s.Increment(ctx, key, 1, rate)
}

// Increment adds count hits for key and returns the state after them:
// Reached is true once the window holds more than rate.Limit hits, Reset is
// the end of the window (Unix seconds).
func (s *RateLimitStore) Increment(ctx context.Context, key string, count int64, rate limiter.Rate) (limiter.Context, error) {
	now := s.now()
	doc, err := s.counter.add(ctx, rateLimitID(key), count, now, rate.Period)
	if err != nil {
		return limiter.Context{}, fmt.Errorf("rate limit %q: %w", key, err)
	}
	return common.GetContextFromState(now, rate, doc.ExpiresAt, doc.Count), nil
}

// Peek returns the state for key without counting a hit. A key with no
// open window reports zero hits and a window ending rate.Period from now.
func (s *RateLimitStore) Peek(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	now := s.now()
	doc, found, err := s.counter.current(ctx, rateLimitID(key), now)
	if err != nil {
		return limiter.Context{}, fmt.Errorf("rate limit %q: %w", key, err)
	}
	if !found {
		return common.GetContextFromState(now, rate, now.Add(rate.Period), 0), nil
	}
	return common.GetContextFromState(now, rate, doc.ExpiresAt, doc.Count), nil
}

// Reset forgets the window of key; the next hit opens a new one.
func (s *RateLimitStore) Reset(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	now := s.now()
	if err := s.counter.clear(ctx, rateLimitID(key)); err != nil {
		return limiter.Context{}, fmt.Errorf("rate limit %q: %w", key, err)
	}
	return common.GetContextFromState(now, rate, now.Add(rate.Period), 0), nil
}

// windowDoc is the document shape of a fixed-window counter.
type windowDoc struct {
	ID          string    `bson:"_id"`
	Count       int64     `bson:"count"`
	WindowStart time.Time `bson:"windowStart"`
	ExpiresAt   time.Time `bson:"expiresAt"`
}

// windowCounter keeps fixed-window counters, one document per key, with
// single-document atomic updates: on MongoDB each step is atomic, so any
// number of instances share a counter exactly.
//
// FerretDB v1.24 (the embedded database) implements findAndModify as a read
// followed by a whole-document write, without isolation: 20 concurrent $inc
// on one document can leave it at 5. The striped in-process locks make
// concurrent updates of one key from this process exact there too; several
// processes sharing one FerretDB can still lose updates under contention,
// which the embedded, single-node database (SPEC §8) accepts.
type windowCounter struct {
	coll  *mongo.Collection
	locks *keyLocks
}

func newWindowCounter(coll *mongo.Collection) windowCounter {
	return windowCounter{coll: coll, locks: new(keyLocks)}
}

// errContended is returned when a key's window kept changing under add.
var errContended = errors.New("window counter contended")

// add adds n to the window of id that is open at now, opening a window of
// period when there is none or it has ended, and returns the document after
// the change.
func (w windowCounter) add(ctx context.Context, id string, n int64, now time.Time, period time.Duration) (windowDoc, error) {
	defer w.locks.lock(id)()
	for range 3 {
		doc, err := w.incOpen(ctx, id, n, now, period)
		if err == nil {
			return doc, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return windowDoc{}, err
		}
		// The upsert's insert collided: the document exists with an ended
		// window (or a concurrent first hit created it just now).
		doc, err = w.restartEnded(ctx, id, n, now, period)
		if err == nil {
			return doc, nil
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return windowDoc{}, err
		}
		// Another caller restarted or created the window: count into it.
	}
	return windowDoc{}, errContended
}

// incOpen adds n to the window of id if it is open at now, or inserts a new
// window; a duplicate-key error means the document exists but its window
// has ended.
func (w windowCounter) incOpen(ctx context.Context, id string, n int64, now time.Time, period time.Duration) (windowDoc, error) {
	var doc windowDoc
	err := w.coll.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: now}}}},
		bson.D{
			{Key: "$inc", Value: bson.D{{Key: "count", Value: n}}},
			{Key: "$setOnInsert", Value: bson.D{{Key: "windowStart", Value: now}, {Key: "expiresAt", Value: now.Add(period)}}},
		},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After),
	).Decode(&doc)
	return doc, err
}

// restartEnded replaces the ended window of id with a new one holding n;
// mongo.ErrNoDocuments when the window of id is open (or id is gone).
func (w windowCounter) restartEnded(ctx context.Context, id string, n int64, now time.Time, period time.Duration) (windowDoc, error) {
	var doc windowDoc
	err := w.coll.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "expiresAt", Value: bson.D{{Key: "$lte", Value: now}}}},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "count", Value: n}, {Key: "windowStart", Value: now}, {Key: "expiresAt", Value: now.Add(period)},
		}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After),
	).Decode(&doc)
	return doc, err
}

// current returns the window of id open at now; found is false when there
// is none.
func (w windowCounter) current(ctx context.Context, id string, now time.Time) (doc windowDoc, found bool, err error) {
	err = w.coll.FindOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: now}}}},
	).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return windowDoc{}, false, nil
	}
	if err != nil {
		return windowDoc{}, false, err
	}
	return doc, true, nil
}

// settle ends the open windows of end at now and takes one back from the
// open windows of decr (never below zero), with one update command: a
// round trip, however many keys. A key without an open window is left
// alone.
func (w windowCounter) settle(ctx context.Context, now time.Time, end, decr []string) error {
	if len(end)+len(decr) == 0 {
		return nil
	}
	defer w.locks.lock(append(append([]string(nil), end...), decr...)...)()
	models := make([]mongo.WriteModel, 0, len(end)+len(decr))
	for _, id := range end {
		models = append(models, mongo.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: id}, {Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: now}}}}).
			SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "count", Value: 0}, {Key: "expiresAt", Value: now}}}}))
	}
	for _, id := range decr {
		models = append(models, mongo.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: id}, {Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: now}}}, {Key: "count", Value: bson.D{{Key: "$gte", Value: 1}}}}).
			SetUpdate(bson.D{{Key: "$inc", Value: bson.D{{Key: "count", Value: -1}}}}))
	}
	_, err := w.coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
	return err
}

// clear deletes the window of id.
func (w windowCounter) clear(ctx context.Context, id string) error {
	defer w.locks.lock(id)()
	_, err := w.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return err
}

// keyLocks serialises updates of one key within this process (see
// windowCounter). Keys hash onto a fixed set of mutexes, so unrelated keys
// rarely wait on each other and memory stays bounded.
type keyLocks struct{ mu [lockStripes]sync.Mutex }

const lockStripes = 64

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
