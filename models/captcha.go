package models

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Captcha is a document of the `captchas` collection (docs/security.md): `_id` is
// the captcha id, Answer the expected answer as issued.
type Captcha struct {
	ID        string    `bson:"_id"`
	Answer    string    `bson:"answer"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

// CaptchaStore keeps issued captchas in MongoDB so that any instance can
// verify a captcha another one issued.
type CaptchaStore struct{ coll *collection }

// newCaptchaStore uses the `captchas` collection of db.
func newCaptchaStore(db *database) *CaptchaStore {
	return &CaptchaStore{coll: db.Collection(CollCaptchas)}
}

// Put stores a new captcha: one insert (ids are random, 20 bytes; an id
// that exists already is an error).
func (s *CaptchaStore) Put(ctx context.Context, c Captcha) error {
	_, err := s.coll.InsertOne(ctx, c)
	if err != nil {
		return fmt.Errorf("store captcha: %w", err)
	}
	return nil
}

// Take deletes the captcha with id and returns it, so a captcha can be
// used once whatever the outcome. ErrNotFound when there is none or another
// request took it first; an expired one is returned (and deleted) for the
// caller to refuse. It reads, then deletes and trusts only DeletedCount:
// FerretDB v1's findAndModify is not atomic (two concurrent
// FindOneAndDelete calls can both return the document), its DeleteOne is.
func (s *CaptchaStore) Take(ctx context.Context, id string) (Captcha, error) {
	c, err := s.Peek(ctx, id)
	if err != nil {
		return Captcha{}, err
	}
	if err := deleteExactlyOne(ctx, s.coll, bson.D{{Key: "_id", Value: id}}); err != nil {
		return Captcha{}, err
	}
	return c, nil
}

// deleteExactlyOne deletes the document filter matches and returns
// ErrNotFound when none was deleted (someone else got there first).
func deleteExactlyOne(ctx context.Context, coll *collection, filter bson.D) error {
	res, err := coll.DeleteOne(ctx, filter)
	if err != nil {
		return fmt.Errorf("delete from %s: %w", coll.Name(), err)
	}
	if res.DeletedCount != 1 {
		return ErrNotFound
	}
	return nil
}

// Peek returns the captcha with id without consuming it (ErrNotFound when
// absent). For tests and tools that read the answer from the store.
func (s *CaptchaStore) Peek(ctx context.Context, id string) (Captcha, error) {
	return findOne[Captcha](ctx, s.coll, bson.D{{Key: "_id", Value: id}})
}
