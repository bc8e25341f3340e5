package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// ErrBusy is returned by LeaseStore.Acquire when another holder kept the
// lease for as long as the caller was willing to wait.
var ErrBusy = errors.New("lease held by another writer")

// leaseDoc is a document of the `leases` collection: `_id` is the lease's
// key, Holder a random token of the holder, ExpiresAt when the lease lapses
// if its holder never releases it.
type leaseDoc struct {
	ID        string    `bson:"_id"`
	Holder    string    `bson:"holder"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

// LeaseStore hands out short exclusive leases: a mutex shared by every
// instance over one database. A lease is one document `{_id: key}`,
// created with an insert: the unique `_id` admits one holder at a time on
// MongoDB and on the embedded FerretDB alike (FerretDB v1 enforces unique
// keys across concurrent inserts, but does not isolate a conditional
// update, so a compare-and-set on a field cannot serve as a lock there;
// docs/architecture.md). Acquire reads `{_id: key}`; Release's
// `{_id, holder}` runs over a collection of a handful of documents.
//
// A holder that dies leaves its lease until ExpiresAt: an acquirer that
// finds it lapsed takes it over, and the expiry sweep of Open deletes it.
// Holders bound their work well below the lease's TTL.
type LeaseStore struct {
	coll *collection
	now  func() time.Time
	// poll is how often Acquire retries a held lease.
	poll time.Duration
}

func newLeaseStore(db *database, now func() time.Time) *LeaseStore {
	return &LeaseStore{coll: db.Collection(CollLeases), now: now, poll: 5 * time.Millisecond}
}

// Lease is one acquired lease; Release gives it back.
type Lease struct {
	store  *LeaseStore
	key    string
	holder string
}

// Acquire takes the lease key for at most ttl, waiting up to wait for
// another holder to release it (0: no wait). Errors: ErrBusy when it stays
// held; ctx's error; a store failure.
func (s *LeaseStore) Acquire(ctx context.Context, key string, ttl, wait time.Duration) (*Lease, error) {
	var token [12]byte
	_, _ = rand.Read(token[:])
	l := &Lease{store: s, key: key, holder: hex.EncodeToString(token[:])}
	var timer *time.Timer
	deadline := time.Now().Add(wait)
	for {
		now := s.now()
		_, err := s.coll.InsertOne(ctx, leaseDoc{ID: key, Holder: l.holder, ExpiresAt: now.Add(ttl)})
		if err == nil {
			return l, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("acquire lease %s: %w", key, err)
		}
		held, err := findOne[leaseDoc](ctx, s.coll, bson.D{{Key: "_id", Value: key}})
		switch {
		case errors.Is(err, ErrNotFound):
			continue // released meanwhile
		case err != nil:
			return nil, fmt.Errorf("acquire lease %s: %w", key, err)
		case !now.Before(held.ExpiresAt):
			// Its holder died: take it over.
			if _, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "holder", Value: held.Holder}}); err != nil {
				return nil, fmt.Errorf("acquire lease %s: %w", key, err)
			}
			continue
		}
		if !time.Now().Before(deadline) {
			return nil, ErrBusy
		}
		if timer == nil {
			timer = time.NewTimer(s.poll)
			defer timer.Stop()
		} else {
			timer.Reset(s.poll)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

// Release gives the lease back. A lease that lapsed and was taken over is
// left to its new holder. It runs even when ctx is cancelled, so that an
// abandoned request does not keep others waiting until the TTL.
func (l *Lease) Release(ctx context.Context) error {
	_, err := l.store.coll.DeleteOne(context.WithoutCancel(ctx),
		bson.D{{Key: "_id", Value: l.key}, {Key: "holder", Value: l.holder}})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", l.key, err)
	}
	return nil
}
