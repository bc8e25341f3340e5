package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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
	TypeAuthor = "author" // publishes articles
	TypeAdmin  = "admin"  // uses the admin API (docs/admin.md)
)

// User is a document of the `users` collection (docs/security.md). AccountKey and
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

	// The admin's side (docs/admin.md; models/user_admin.go).

	// StatusReason is why an admin set Status (shown to the user on login).
	StatusReason string `bson:"statusReason,omitempty"`
	// DeletedAt is when an admin deleted the account, ms since the Unix
	// epoch (0: not deleted); a deleted account cannot log in.
	DeletedAt int64 `bson:"deletedAt,omitempty"`
	// ReleasedAt is when the deleted account's name and email were
	// released for others to register, ms (0: not yet).
	ReleasedAt int64 `bson:"releasedAt,omitempty"`
	// Version counts the admin's changes (UserStore.Change compares it).
	Version int64 `bson:"version,omitempty"`
	// CommentBanned: an admin banned the user from commenting; their new
	// comments are refused (docs/admin.md, "Comments"), CommentBanReason
	// says why.
	CommentBanned    bool   `bson:"commentBanned,omitempty"`
	CommentBanReason string `bson:"commentBanReason,omitempty"`
}

// AccountKey is the form of an account name the unique index compares.
func AccountKey(account string) string { return strings.ToLower(account) }

// EmailKey is the form of an email address the unique index compares.
func EmailKey(email string) string { return strings.ToLower(email) }

// UserStore keeps users in MongoDB: the `users` collection, and in
// `aliases` one document per account name and per email (see aliasDoc), so
// that every lookup by account or email and every uniqueness check is a
// read or a unique insert on exactly {_id}. The unique indexes on the
// users' accountKey and emailKey stay as a second guard.
type UserStore struct {
	coll    *collection
	aliases aliases
	// leases serialise Change; deletions is `user_deletions` (ReleaseDue).
	leases    *LeaseStore
	deletions *collection
}

// newUserStore uses the `users` and `aliases` collections of db; now is
// the clock of the aliases' creation times.
func newUserStore(db *database, now func() time.Time) *UserStore {
	return &UserStore{coll: db.Collection(CollUsers), aliases: aliases{coll: db.Collection(CollAliases), now: now}}
}

// ensureIndexes creates the unique indexes on accountKey and emailKey
// and gives users written before aliases existed their aliases (once).
// Idempotent.
func (s *UserStore) ensureIndexes(ctx context.Context) error {
	if err := createIndexes(ctx, s.coll,
		mongo.IndexModel{Keys: bson.D{{Key: "accountKey", Value: 1}}, Options: options.Index().SetUnique(true).SetName("accountKey_unique")},
		mongo.IndexModel{Keys: bson.D{{Key: "emailKey", Value: 1}}, Options: options.Index().SetUnique(true).SetName("emailKey_unique")},
	); err != nil {
		return err
	}
	return s.aliases.backfill(ctx, s.coll)
}

// createIndexes creates each index with its own command: FerretDB v1.24
// panics on a createIndexes command with several indexes of which some
// already exist (a start-up after the first).
func createIndexes(ctx context.Context, coll *collection, idx ...mongo.IndexModel) error {
	for _, m := range idx {
		if _, err := coll.Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("%s indexes: %w", coll.Name(), err)
		}
	}
	return nil
}

// Create inserts u (its ID is set) and returns ErrDuplicateAccount or
// ErrDuplicateEmail when the account or email is taken, ignoring case. It
// takes the account's alias, then the email's, then inserts the user: of
// concurrent registrations of one name exactly one gets the alias. When a
// step fails the aliases taken before it are given back; a process that
// dies half-way leaves an alias without a user, which a registration of
// the same name reclaims after orphanAge.
func (s *UserStore) Create(ctx context.Context, u *User) error {
	u.prepareInsert()
	acct, mail := accountAlias(u.AccountKey), emailAlias(u.EmailKey)
	if err := s.aliases.take(ctx, s.coll, acct, u.ID); err != nil {
		if errors.Is(err, errAliasTaken) {
			return ErrDuplicateAccount
		}
		return fmt.Errorf("insert user: %w", err)
	}
	if err := s.aliases.take(ctx, s.coll, mail, u.ID); err != nil {
		s.release(ctx, u.ID, acct)
		if errors.Is(err, errAliasTaken) {
			return ErrDuplicateEmail
		}
		return fmt.Errorf("insert user: %w", err)
	}
	_, err := s.coll.InsertOne(ctx, u)
	if err == nil {
		return nil
	}
	if mongo.IsDuplicateKeyError(err) {
		// A user without aliases holds the name: the unique indexes'
		// second guard.
		s.release(ctx, u.ID, acct, mail)
		return s.duplicateOf(ctx, u, err)
	}
	// The insert may have happened (a timeout): the aliases stay; if it
	// did not, they are orphans a later registration reclaims.
	return fmt.Errorf("insert user: %w", err)
}

// release gives back the aliases ids that still name user, on a context
// of its own (the request's may have ended), ignoring failures: an alias
// left behind is an orphan that a later registration reclaims.
func (s *UserStore) release(ctx context.Context, user bson.ObjectID, ids ...string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, id := range ids {
		if holder, err := s.aliases.user(ctx, id); err == nil && holder == user {
			_ = s.aliases.drop(ctx, id)
		}
	}
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
	inserted := users
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && len(bwe.WriteErrors) > 0 {
		inserted = users[:bwe.WriteErrors[0].Index]
	} else if err != nil {
		return fmt.Errorf("insert users: %w", err)
	}
	if aerr := s.aliases.put(ctx, inserted); aerr != nil {
		return fmt.Errorf("insert users: %w", aerr)
	}
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
// so it asks for the account's holder instead (ByAccount: by _id).
func (s *UserStore) duplicateOf(ctx context.Context, u *User, cause error) error {
	switch _, err := s.ByAccount(ctx, u.AccountKey); {
	case err == nil:
		return ErrDuplicateAccount
	case !errors.Is(err, ErrNotFound):
		return fmt.Errorf("insert user: %w", errors.Join(cause, err))
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

// ByAccount returns the user whose account matches ignoring case, or
// ErrNotFound: two reads by _id (the alias, the user).
func (s *UserStore) ByAccount(ctx context.Context, account string) (User, error) {
	key := AccountKey(account)
	u, err := s.byAlias(ctx, accountAlias(key))
	if err == nil && u.AccountKey != key {
		return User{}, ErrNotFound
	}
	return u, err
}

// ByEmail returns the user whose email matches ignoring case, or
// ErrNotFound: two reads by _id (the alias, the user).
func (s *UserStore) ByEmail(ctx context.Context, email string) (User, error) {
	key := EmailKey(email)
	u, err := s.byAlias(ctx, emailAlias(key))
	if err == nil && u.EmailKey != key {
		return User{}, ErrNotFound // an alias left by an email change that failed half-way
	}
	return u, err
}

// byAlias returns the user alias id names; ErrNotFound when there is no
// such alias or user.
func (s *UserStore) byAlias(ctx context.Context, id string) (User, error) {
	userID, err := s.aliases.user(ctx, id)
	if errors.Is(err, ErrNotFound) {
		// Read a user anyway (the zero id, which none has), so that a name
		// nobody holds costs the same round trips as a taken one: login
		// must not tell which accounts exist by its timing.
		_, _ = s.findOne(ctx, bson.D{{Key: "_id", Value: bson.ObjectID{}}})
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, err
	}
	return s.findOne(ctx, bson.D{{Key: "_id", Value: userID}})
}

// AccountExists reports whether account is taken, ignoring case: one read
// by _id (its alias). An alias left by a registration that failed
// half-way counts as taken until a registration reclaims it.
func (s *UserStore) AccountExists(ctx context.Context, account string) (bool, error) {
	switch _, err := s.aliases.user(ctx, accountAlias(AccountKey(account))); {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("count users: %w", err)
	}
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
	var set bson.D
	set = setField(set, "nick", up.Nick)
	if up.Email != nil {
		set = append(set, bson.E{Key: "email", Value: *up.Email}, bson.E{Key: "emailKey", Value: EmailKey(*up.Email)})
	}
	set = setField(set, "avatar", up.Avatar)
	set = setField(set, "status", up.Status)
	set = setField(set, "passwordHash", up.PasswordHash)
	set = setField(set, "emailVerified", up.EmailVerified)
	set = setField(set, "summary", up.Summary)
	set = setField(set, "web", up.Web)
	return setField(set, "phone", up.Phone)
}

// setField appends key: *v to set when v is not nil: a change names only
// the fields it sets.
func setField[T any](set bson.D, key string, v *T) bson.D {
	if v == nil {
		return set
	}
	return append(set, bson.E{Key: key, Value: *v})
}

// Update applies up to the user hexID and returns the updated document.
// ErrNotFound when there is no such user; ErrDuplicateEmail when the new
// email is taken (ignoring case). A new email takes its alias first and
// gives the old one back after the update.
func (s *UserStore) Update(ctx context.Context, hexID string, up UserUpdate) (User, error) {
	id, err := bson.ObjectIDFromHex(hexID)
	if err != nil {
		return User{}, ErrNotFound
	}
	set := up.set()
	if len(set) == 0 {
		return s.ByID(ctx, hexID)
	}
	if up.Email != nil {
		return s.updateEmail(ctx, id, set, EmailKey(*up.Email))
	}
	return s.update(ctx, id, set)
}

// updateEmail is Update when the email changes: the alias of key is taken
// before the update and the old email's released after it.
func (s *UserStore) updateEmail(ctx context.Context, id bson.ObjectID, set bson.D, key string) (User, error) {
	cur, err := s.findOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return User{}, err
	}
	if key == cur.EmailKey {
		return s.update(ctx, id, set)
	}
	switch err := s.aliases.take(ctx, s.coll, emailAlias(key), id); {
	case errors.Is(err, errAliasTaken):
		return User{}, ErrDuplicateEmail
	case err != nil:
		return User{}, fmt.Errorf("update user: %w", err)
	}
	u, err := s.update(ctx, id, set)
	if err != nil {
		s.release(ctx, id, emailAlias(key))
		return User{}, err
	}
	s.release(ctx, id, emailAlias(cur.EmailKey))
	return u, nil
}

// update sets set on the user id and returns the document after it.
func (s *UserStore) update(ctx context.Context, id bson.ObjectID, set bson.D) (User, error) {
	var u User
	err := s.coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}},
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
