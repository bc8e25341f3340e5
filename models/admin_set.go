package models

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// adminSetID is the `_id` of the one document of `admin_set`.
const adminSetID = "admins"

type adminSetDoc struct {
	ID  string   `bson:"_id"`
	IDs []string `bson:"ids"`
}

// AdminSetStore keeps the ids of the users that may be admins in one
// document, `admin_set/{_id: "admins", ids: [...]}`, so that the
// last-admin rule reads a few users by `_id` instead of scanning `users`
// for `type: admin` (a scan on the embedded FerretDB). The list is a hint:
// its reader checks each user by `_id`, and falls back to the scan (and
// rewrites the list) when the hint finds no other active admin. So a
// stale list, or an update lost to FerretDB's unisolated `$addToSet`,
// costs one scan, never a wrong answer (docs/admin.md, "Writes").
type AdminSetStore struct{ coll *collection }

func newAdminSetStore(db *database) *AdminSetStore {
	return &AdminSetStore{coll: db.Collection(CollAdminSet)}
}

// Candidates returns the listed ids (none when the list was never
// written).
func (s *AdminSetStore) Candidates(ctx context.Context) ([]string, error) {
	doc, err := findOne[adminSetDoc](ctx, s.coll, bson.D{{Key: "_id", Value: adminSetID}})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read admin set: %w", err)
	}
	return doc.IDs, nil
}

// Add lists the user hexID.
func (s *AdminSetStore) Add(ctx context.Context, hexID string) error {
	return s.update(ctx, bson.D{{Key: "$addToSet", Value: bson.D{{Key: "ids", Value: hexID}}}})
}

// Remove unlists the user hexID.
func (s *AdminSetStore) Remove(ctx context.Context, hexID string) error {
	return s.update(ctx, bson.D{{Key: "$pull", Value: bson.D{{Key: "ids", Value: hexID}}}})
}

// Replace lists exactly ids.
func (s *AdminSetStore) Replace(ctx context.Context, ids []string) error {
	if ids == nil {
		ids = []string{}
	}
	return s.update(ctx, bson.D{{Key: "$set", Value: bson.D{{Key: "ids", Value: ids}}}})
}

func (s *AdminSetStore) update(ctx context.Context, update bson.D) error {
	do := func() error {
		_, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: adminSetID}}, update, options.UpdateOne().SetUpsert(true))
		return err
	}
	err := do()
	if isDuplicateKey(err) {
		err = do() // a concurrent first write created the document
	}
	if err != nil {
		return fmt.Errorf("update admin set: %w", err)
	}
	return nil
}
