package models

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// AuthorSync is a document of `author_syncs`: user `_id`'s nick, cover,
// type or level changed (or the user was deleted) and the copies of them
// in articles and comment threads may be stale (docs/blog.md, "Author
// copies"). Gen grows by one per change; At is the last change, ms since
// the Unix epoch.
type AuthorSync struct {
	User string `bson:"_id"`
	Gen  int64  `bson:"gen"`
	At   int64  `bson:"at"`
}

// AuthorSyncStore keeps the durable markers of pending author copies: a
// marker is written before the user changes and removed once the copies
// are current, so a failure in between is completed later.
type AuthorSyncStore struct {
	coll  *collection
	locks *keyLocks
}

func newAuthorSyncStore(db *database) *AuthorSyncStore {
	return &AuthorSyncStore{coll: db.Collection(CollAuthorSyncs), locks: new(keyLocks)}
}

// Mark records a change of user at ms: one upsert by `_id` under the
// user's lock.
func (s *AuthorSyncStore) Mark(ctx context.Context, user string, at int64) error {
	unlock := s.locks.lock(user)
	defer unlock()
	_, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: user}}, bson.D{
		{Key: "$inc", Value: bson.D{{Key: "gen", Value: int64(1)}}},
		{Key: "$set", Value: bson.D{{Key: "at", Value: at}}},
	}, options.UpdateOne().SetUpsert(true))
	if err != nil && !isDuplicateKey(err) {
		return fmt.Errorf("mark author change: %w", err)
	}
	return nil
}

// Pending returns every marker (a scan of a collection that holds only the
// changes not yet settled: the background pass).
func (s *AuthorSyncStore) Pending(ctx context.Context) ([]AuthorSync, error) {
	cur, err := s.coll.Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list author changes: %w", err)
	}
	var out []AuthorSync
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list author changes: %w", err)
	}
	return out, nil
}

// Done removes the marker of m.User unless it changed since m was read (a
// later change keeps it for the next pass): the read and the delete by
// `_id` under the user's lock, the delete guarded on MongoDB by gen.
func (s *AuthorSyncStore) Done(ctx context.Context, m AuthorSync) error {
	unlock := s.locks.lock(m.User)
	defer unlock()
	cur, err := findOne[AuthorSync](ctx, s.coll, bson.D{{Key: "_id", Value: m.User}})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if cur.Gen != m.Gen {
		return nil
	}
	if _, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: m.User}, {Key: "gen", Value: m.Gen}}); err != nil {
		return fmt.Errorf("settle author change: %w", err)
	}
	return nil
}
