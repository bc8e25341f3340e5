package models

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Kinds of EmailToken.
const (
	TokenEmailVerify   = "email_verify"   // 24 h, proves a user reads an address
	TokenPasswordReset = "password_reset" // 30 min, lets a user set a new password
)

// EmailToken is a document of the `email_tokens` collection: a single-use
// token mailed to a user. `_id` is the hex SHA-256 of the token; the token
// itself is never stored.
type EmailToken struct {
	ID     string `bson:"_id"`
	Kind   string `bson:"kind"`
	UserID string `bson:"userId"`
	// Email is the address the token was sent to.
	Email     string    `bson:"email"`
	CreatedAt time.Time `bson:"createdAt"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

// EmailTokenStore keeps mailed tokens in MongoDB.
type EmailTokenStore struct{ coll *collection }

// newEmailTokenStore uses the `email_tokens` collection of db.
func newEmailTokenStore(db *database) *EmailTokenStore {
	return &EmailTokenStore{coll: db.Collection(CollEmailTokens)}
}

// ensureIndexes creates the userId index used to revoke a user's tokens.
func (s *EmailTokenStore) ensureIndexes(ctx context.Context) error {
	_, err := s.coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "userId", Value: 1}, {Key: "kind", Value: 1}}})
	if err != nil {
		return fmt.Errorf("email_tokens indexes: %w", err)
	}
	return nil
}

// Create stores t.
func (s *EmailTokenStore) Create(ctx context.Context, t EmailToken) error {
	if _, err := s.coll.InsertOne(ctx, t); err != nil {
		return fmt.Errorf("insert email token: %w", err)
	}
	return nil
}

// Take deletes and returns the live token of kind with id: a token works
// once. ErrNotFound when absent, used (also by a concurrent request) or
// expired. Read then delete, as CaptchaStore.Take explains.
func (s *EmailTokenStore) Take(ctx context.Context, id, kind string, now time.Time) (EmailToken, error) {
	t, err := s.Peek(ctx, id, kind, now)
	if err != nil {
		return EmailToken{}, err
	}
	if err := deleteExactlyOne(ctx, s.coll, bson.D{{Key: "_id", Value: id}}); err != nil {
		return EmailToken{}, err
	}
	return t, nil
}

// Peek returns the live token of kind with id without using it.
// Read by _id, kind and expiry checked in Go (a filter with more than _id
// scans the collection on the embedded FerretDB, docs/operations.md).
func (s *EmailTokenStore) Peek(ctx context.Context, id, kind string, now time.Time) (EmailToken, error) {
	t, err := findOne[EmailToken](ctx, s.coll, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return EmailToken{}, err
	}
	if t.Kind != kind || !t.ExpiresAt.After(now) {
		return EmailToken{}, ErrNotFound
	}
	return t, nil
}

// DeleteForUser removes every token of kind the user holds.
func (s *EmailTokenStore) DeleteForUser(ctx context.Context, userID, kind string) error {
	_, err := s.coll.DeleteMany(ctx, bson.D{{Key: "userId", Value: userID}, {Key: "kind", Value: kind}})
	if err != nil {
		return fmt.Errorf("delete email tokens: %w", err)
	}
	return nil
}
