package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// User statuses (seed 004 注册 返回参数 status).
const (
	StatusPending = "pending" // registered, email not yet verified
	StatusNormal  = "normal"  // email verified
	StatusReject  = "reject"  // refused by an admin; cannot log in
	StatusFreeze  = "freeze"  // frozen by an admin; cannot log in
)

// User types (seed 004 注册 返回参数 type).
const (
	TypeClient = "client"
	TypeAdmin  = "admin"
)

// User is a document of the `users` collection (SPEC §5). AccountKey and
// EmailKey hold the lower-cased account and email the unique indexes are
// on, so uniqueness ignores case. PasswordHash is an argon2id PHC string and
// never leaves the server.
type User struct {
	ID            bson.ObjectID `bson:"_id,omitempty"`
	Account       string        `bson:"account"`
	AccountKey    string        `bson:"accountKey"`
	Email         string        `bson:"email"`
	EmailKey      string        `bson:"emailKey"`
	EmailVerified bool          `bson:"emailVerified"`
	Status        string        `bson:"status"`
	Nick          string        `bson:"nick"`
	Avatar        string        `bson:"avatar"`
	// Summary, Web and Phone are the profile's bio, homepage and phone
	// (the blog SPA's settings page).
	Summary string `bson:"summary"`
	Web     string `bson:"web"`
	Phone   string `bson:"phone"`
	// Created is the registration time in ms since the Unix epoch.
	Created      int64  `bson:"created"`
	Type         string `bson:"type"`
	Level        int    `bson:"level"`
	PasswordHash string `bson:"passwordHash"`
	// LastLoginAt is the last successful login in ms since the Unix epoch (0: never).
	LastLoginAt int64 `bson:"lastLoginAt"`
}

// AccountKey is the form of an account name the unique index compares.
func AccountKey(account string) string { return strings.ToLower(account) }

// EmailKey is the form of an email address the unique index compares.
func EmailKey(email string) string { return strings.ToLower(email) }

// UserStore keeps users in MongoDB.
type UserStore struct{ coll *mongo.Collection }

// newUserStore uses the `users` collection of db.
func newUserStore(db *mongo.Database) *UserStore { return &UserStore{coll: db.Collection(CollUsers)} }

// ensureIndexes creates the unique indexes on accountKey and emailKey
// (SPEC §8). Idempotent.
func (s *UserStore) ensureIndexes(ctx context.Context) error {
	return createIndexes(ctx, s.coll,
		mongo.IndexModel{Keys: bson.D{{Key: "accountKey", Value: 1}}, Options: options.Index().SetUnique(true).SetName("accountKey_unique")},
		mongo.IndexModel{Keys: bson.D{{Key: "emailKey", Value: 1}}, Options: options.Index().SetUnique(true).SetName("emailKey_unique")},
	)
}

// createIndexes creates each index with its own command: FerretDB v1.24
// panics on a createIndexes command with several indexes of which some
// already exist (a start-up after the first).
func createIndexes(ctx context.Context, coll *mongo.Collection, idx ...mongo.IndexModel) error {
	for _, m := range idx {
		if _, err := coll.Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("%s indexes: %w", coll.Name(), err)
		}
	}
	return nil
}

// Create inserts u (its ID is set) and returns ErrDuplicateAccount or
// ErrDuplicateEmail when the account or email is taken, ignoring case.
func (s *UserStore) Create(ctx context.Context, u *User) error {
	u.prepareInsert()
	_, err := s.coll.InsertOne(ctx, u)
	if err == nil {
		return nil
	}
	if mongo.IsDuplicateKeyError(err) {
		return s.duplicateOf(ctx, u, err)
	}
	return fmt.Errorf("insert user: %w", err)
}

// CreateMany inserts users in one round trip (a bulk import: the load
// harness seeds tens of thousands this way), setting their keys and IDs as
// Create does. Inserts are ordered and stop at the first user whose
// account or email is taken, ignoring case: the ones before it stay, and
// ErrDuplicate is returned.
func (s *UserStore) CreateMany(ctx context.Context, users []User) error {
	docs := make([]any, len(users))
	for i := range users {
		users[i].prepareInsert()
		docs[i] = &users[i]
	}
	_, err := s.coll.InsertMany(ctx, docs)
	switch {
	case err == nil:
		return nil
	case mongo.IsDuplicateKeyError(err):
		return ErrDuplicate
	}
	return fmt.Errorf("insert users: %w", err)
}

// prepareInsert sets the lower-cased keys the unique indexes are on, and
// an ID when u has none.
func (u *User) prepareInsert() {
	u.AccountKey, u.EmailKey = AccountKey(u.Account), EmailKey(u.Email)
	if u.ID.IsZero() {
		u.ID = bson.NewObjectID()
	}
}

// duplicateOf tells which unique key an insert collided on. The server's
// error text names the index, but FerretDB and MongoDB word it differently,
// so it asks the collection instead.
func (s *UserStore) duplicateOf(ctx context.Context, u *User, cause error) error {
	n, err := s.coll.CountDocuments(ctx, bson.D{{Key: "accountKey", Value: u.AccountKey}})
	if err != nil {
		return fmt.Errorf("insert user: %w", errors.Join(cause, err))
	}
	if n > 0 {
		return ErrDuplicateAccount
	}
	return ErrDuplicateEmail
}

// ByID returns the user whose id is hexID (24 hex digits), or ErrNotFound
// (also for a malformed id).
func (s *UserStore) ByID(ctx context.Context, hexID string) (User, error) {
	id, err := bson.ObjectIDFromHex(hexID)
	if err != nil {
		return User{}, ErrNotFound
	}
	return s.findOne(ctx, bson.D{{Key: "_id", Value: id}})
}

// ByAccount returns the user whose account matches ignoring case, or ErrNotFound.
func (s *UserStore) ByAccount(ctx context.Context, account string) (User, error) {
	return s.findOne(ctx, bson.D{{Key: "accountKey", Value: AccountKey(account)}})
}

// ByEmail returns the user whose email matches ignoring case, or ErrNotFound.
func (s *UserStore) ByEmail(ctx context.Context, email string) (User, error) {
	return s.findOne(ctx, bson.D{{Key: "emailKey", Value: EmailKey(email)}})
}

// AccountExists reports whether account is taken, ignoring case.
func (s *UserStore) AccountExists(ctx context.Context, account string) (bool, error) {
	n, err := s.coll.CountDocuments(ctx, bson.D{{Key: "accountKey", Value: AccountKey(account)}}, options.Count().SetLimit(1))
	if err != nil {
		return false, fmt.Errorf("count users: %w", err)
	}
	return n > 0, nil
}

// SetLastLogin records a successful login of the user hexID at ms (ms
// since the Unix epoch).
func (s *UserStore) SetLastLogin(ctx context.Context, hexID string, ms int64) error {
	id, err := bson.ObjectIDFromHex(hexID)
	if err != nil {
		return ErrNotFound
	}
	_, err = s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "lastLoginAt", Value: ms}}}})
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	return nil
}

// UserUpdate lists the fields of a User to change; nil leaves a field as
// it is. The lower-cased keys follow Email.
type UserUpdate struct {
	Nick, Email, Avatar, Status, PasswordHash *string
	Summary, Web, Phone                       *string
	EmailVerified                             *bool
}

func (up UserUpdate) set() bson.D {
	set := bson.D{}
	add := func(key string, v any) { set = append(set, bson.E{Key: key, Value: v}) }
	if up.Nick != nil {
		add("nick", *up.Nick)
	}
	if up.Email != nil {
		add("email", *up.Email)
		add("emailKey", EmailKey(*up.Email))
	}
	if up.Avatar != nil {
		add("avatar", *up.Avatar)
	}
	if up.Status != nil {
		add("status", *up.Status)
	}
	if up.PasswordHash != nil {
		add("passwordHash", *up.PasswordHash)
	}
	if up.EmailVerified != nil {
		add("emailVerified", *up.EmailVerified)
	}
	for _, f := range []struct {
		key string
		v   *string
	}{{"summary", up.Summary}, {"web", up.Web}, {"phone", up.Phone}} {
		if f.v != nil {
			add(f.key, *f.v)
		}
	}
	return set
}

// Update applies up to the user hexID and returns the updated document.
// ErrNotFound when there is no such user; ErrDuplicateEmail when the new
// email is taken (ignoring case).
func (s *UserStore) Update(ctx context.Context, hexID string, up UserUpdate) (User, error) {
	id, err := bson.ObjectIDFromHex(hexID)
	if err != nil {
		return User{}, ErrNotFound
	}
	set := up.set()
	if len(set) == 0 {
		return s.ByID(ctx, hexID)
	}
	var u User
	err = s.coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: set}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&u)
	switch {
	case err == nil:
		return u, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return User{}, ErrNotFound
	case isDuplicateKey(err):
		return User{}, ErrDuplicateEmail
	}
	return User{}, fmt.Errorf("update user: %w", err)
}

// isDuplicateKey reports a unique-index violation. FerretDB v1.24 answers
// one on update as an InternalError carrying SQLite's "UNIQUE constraint
// failed" instead of E11000 (inserts get E11000 right).
func isDuplicateKey(err error) bool {
	if mongo.IsDuplicateKeyError(err) {
		return true
	}
	var ce mongo.CommandError
	return errors.As(err, &ce) && strings.Contains(ce.Message, "UNIQUE constraint failed")
}

func (s *UserStore) findOne(ctx context.Context, filter bson.D) (User, error) {
	return findOne[User](ctx, s.coll, filter)
}
