package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// ReplayStore keeps the accepted signed requests in the `replays`
// collection, `{_id: key, expiresAt}` (the key names auth_key, token,
// method, session and route: docs/signing.md, "Replays"), so that every
// server instance refuses a request another one already accepted.
type ReplayStore struct {
	coll *collection
	// Now is the clock that decides whether a record has expired; the
	// default is time.Now.
	Now func() time.Time
}

// newReplayStore uses the `replays` collection of db.
func newReplayStore(db *database) *ReplayStore {
	return &ReplayStore{coll: db.Collection(CollReplays), Now: time.Now}
}

// Record stores key until expiresAt. It returns ErrDuplicate when key is
// already stored with an expiresAt after now; an expired record of the same
// key (not yet swept) is taken over with a conditional update. On MongoDB
// that update is atomic, so two instances racing for an expired record
// cannot both succeed; FerretDB v1 runs it as a read then a write, so there
// both can. For docs/signing.md signatures the take-over is unreachable anyway: the
// timestamp is signed and the record outlives the skew window (expiresAt =
// accept time + 2×max_skew), so a token old enough to find its record
// expired is refused as expired (513) before it gets here. Other errors are
// the driver's, wrapped.
func (s *ReplayStore) Record(ctx context.Context, key string, expiresAt time.Time) error {
	_, err := s.coll.InsertOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "expiresAt", Value: expiresAt}})
	if err == nil {
		return nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("record replay: %w", err)
	}
	// The record exists: take it over only if it has expired, checked in
	// Go after a read by _id (a filter with expiresAt too scans every
	// record on the embedded FerretDB, docs/operations.md).
	var held struct {
		ExpiresAt time.Time `bson:"expiresAt"`
	}
	switch err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&held); {
	case errors.Is(err, mongo.ErrNoDocuments):
		return ErrDuplicate // swept in between: the request was a replay all the same
	case err != nil:
		return fmt.Errorf("record replay: %w", err)
	case held.ExpiresAt.After(s.now()):
		return ErrDuplicate
	}
	if _, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "expiresAt", Value: expiresAt}}}}); err != nil {
		return fmt.Errorf("record replay: %w", err)
	}
	return nil
}

func (s *ReplayStore) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}
