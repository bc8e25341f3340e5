package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ErrStale is returned by UserStore.Change when the user's Version is no
// longer the one the caller read: another change came first.
var ErrStale = errors.New("changed by another writer")

// UserChange lists the fields an admin changes on a user; nil leaves a
// field as it is.
type UserChange struct {
	Status, StatusReason, Type, Nick *string
	Level                            *int
	EmailVerified                    *bool
	// DeletedAt marks the account deleted (ms since the Unix epoch).
	DeletedAt *int64
	// CommentBanned and CommentBanReason ban the user from commenting.
	CommentBanned    *bool
	CommentBanReason *string
}

func (ch UserChange) set() bson.D {
	var set bson.D
	set = setField(set, "status", ch.Status)
	set = setField(set, "statusReason", ch.StatusReason)
	set = setField(set, "type", ch.Type)
	set = setField(set, "nick", ch.Nick)
	set = setField(set, "level", ch.Level)
	set = setField(set, "emailVerified", ch.EmailVerified)
	set = setField(set, "commentBanned", ch.CommentBanned)
	set = setField(set, "commentBanReason", ch.CommentBanReason)
	return setField(set, "deletedAt", ch.DeletedAt)
}

// userLeaseTTL bounds a Change; changeTimeout, well below it, bounds its
// database work.
const (
	userLeaseTTL  = 15 * time.Second
	changeTimeout = 5 * time.Second
	userLeaseWait = 2 * time.Second
)

// Change is a compare-and-set of the user hexID: it applies ch only while
// the user's Version is version, increments Version and returns the
// updated user. Errors: ErrNotFound, ErrStale (re-read and decide again),
// ErrBusy (another change of the user did not finish within 2 s).
//
// It runs under the lease "user:<id>" (LeaseStore), reads the user by
// `_id`, compares in Go and writes by `_id`: a conditional update is not
// isolated on FerretDB v1, and a filter other than `{_id}` scans there
// (docs/architecture.md). Writes of other fields that do not take the lease
// (a user editing their profile) are single-document updates on MongoDB;
// on FerretDB v1 such a write racing a Change may write back the old value
// of the other's fields.
func (s *UserStore) Change(ctx context.Context, hexID string, version int64, ch UserChange) (User, error) {
	id, err := bson.ObjectIDFromHex(hexID)
	if err != nil {
		return User{}, ErrNotFound
	}
	lease, err := s.leases.Acquire(ctx, "user:"+hexID, userLeaseTTL, userLeaseWait)
	if err != nil {
		return User{}, err
	}
	defer func() { _ = lease.Release(ctx) }()
	ctx, cancel := context.WithTimeout(ctx, changeTimeout)
	defer cancel()
	u, err := s.findOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return User{}, err
	}
	if u.Version != version {
		return User{}, ErrStale
	}
	set := append(ch.set(), bson.E{Key: "version", Value: version + 1})
	err = s.coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&u)
	switch {
	case err == nil:
		return u, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return User{}, ErrNotFound
	}
	return User{}, fmt.Errorf("change user: %w", err)
}

// Sorts of UserStore.List.
const (
	SortCreated   = "created"
	SortLastLogin = "lastLogin"
)

// UserFilter selects users for UserStore.List; zero fields select all.
type UserFilter struct {
	Status, Type string
	Level        *int
	// Q matches account, nick or email: a literal, case-insensitive
	// substring (quoted before it reaches $regex).
	Q             string
	EmailVerified *bool
	// CreatedFrom and CreatedTo bound the registration time, ms since the
	// Unix epoch, inclusive (0: unbounded).
	CreatedFrom, CreatedTo int64
	// Deleted selects deleted accounts (true), the others (false), or both
	// (nil).
	Deleted *bool
}

func (f UserFilter) bson() bson.D {
	q := bson.D{}
	add := func(key string, v any) { q = append(q, bson.E{Key: key, Value: v}) }
	if f.Status != "" {
		add("status", f.Status)
	}
	if f.Type != "" {
		add("type", f.Type)
	}
	if f.Level != nil {
		add("level", *f.Level)
	}
	if f.EmailVerified != nil {
		add("emailVerified", *f.EmailVerified)
	}
	if f.CreatedFrom > 0 || f.CreatedTo > 0 {
		r := bson.D{}
		if f.CreatedFrom > 0 {
			r = append(r, bson.E{Key: "$gte", Value: f.CreatedFrom})
		}
		if f.CreatedTo > 0 {
			r = append(r, bson.E{Key: "$lte", Value: f.CreatedTo})
		}
		add("created", r)
	}
	if f.Deleted != nil {
		if *f.Deleted {
			add("deletedAt", bson.D{{Key: "$gt", Value: 0}})
		} else {
			add("deletedAt", bson.D{{Key: "$not", Value: bson.D{{Key: "$gt", Value: 0}}}})
		}
	}
	if f.Q != "" {
		re := bson.Regex{Pattern: regexp.QuoteMeta(f.Q), Options: "i"}
		add("$or", bson.A{
			bson.D{{Key: "account", Value: re}},
			bson.D{{Key: "nick", Value: re}},
			bson.D{{Key: "email", Value: re}},
		})
	}
	return q
}

// List returns one page of the users f selects (page from 1) sorted by
// sort (SortCreated or SortLastLogin; newest first unless asc), ties by
// `_id`, and how many f selects in all. On the embedded FerretDB this
// scans the collection (docs/admin.md, "Costs"); on MongoDB the sort
// fields are indexed.
func (s *UserStore) List(ctx context.Context, f UserFilter, sort string, asc bool, page, pageSize int) ([]User, int64, error) {
	filter := f.bson()
	total, err := s.coll.CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	key := "created"
	if sort == SortLastLogin {
		key = "lastLoginAt"
	}
	dir := -1
	if asc {
		dir = 1
	}
	cur, err := s.coll.Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: key, Value: dir}, {Key: "_id", Value: dir}}).
		SetSkip(int64((page-1)*pageSize)).SetLimit(int64(pageSize)))
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	users := []User{}
	if err := cur.All(ctx, &users); err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return users, total, nil
}

// Admins returns every user of type admin, deleted or not, oldest first
// (a scan on the embedded FerretDB; admins are few and this is read by the
// admin side only).
func (s *UserStore) Admins(ctx context.Context) ([]User, error) {
	cur, err := s.coll.Find(ctx, bson.D{{Key: "type", Value: TypeAdmin}},
		options.Find().SetSort(bson.D{{Key: "created", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	admins := []User{}
	if err := cur.All(ctx, &admins); err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	return admins, nil
}

// ActiveAdmin reports whether u can use the admin API: type admin, status
// normal and not deleted.
func (u User) ActiveAdmin() bool {
	return u.Type == TypeAdmin && u.Status == StatusNormal && u.DeletedAt == 0
}

// Release frees the account name and email of the deleted user hexID for
// others to register: the keys the unique indexes are on become
// "released:<id>" and the email is cleared; the account name stays as it
// was, for the audit log. Idempotent. Errors: ErrNotFound, also for a user
// who is not deleted.
func (s *UserStore) Release(ctx context.Context, hexID string, now time.Time) error {
	id, err := bson.ObjectIDFromHex(hexID)
	if err != nil {
		return ErrNotFound
	}
	u, err := s.findOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return err
	}
	if u.DeletedAt == 0 {
		return ErrNotFound
	}
	if u.ReleasedAt != 0 {
		return nil
	}
	// The aliases go first: should the update below fail, the name is
	// still guarded by the unique index on accountKey and the next sweep
	// releases it again.
	for _, alias := range []string{accountAlias(u.AccountKey), emailAlias(u.EmailKey)} {
		if owner, err := s.aliases.user(ctx, alias); err == nil && owner == id {
			if err := s.aliases.drop(ctx, alias); err != nil {
				return err
			}
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	released := "released:" + hexID
	_, err = s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "accountKey", Value: released}, {Key: "emailKey", Value: released},
		{Key: "email", Value: ""}, {Key: "releasedAt", Value: now.UnixMilli()},
	}}})
	if err != nil {
		return fmt.Errorf("release user: %w", err)
	}
	return nil
}

// releaseDoc is a document of `user_deletions`: the deleted user `_id`
// whose name and email are released at ReleaseAt.
type releaseDoc struct {
	ID        string    `bson:"_id"`
	ReleaseAt time.Time `bson:"releaseAt"`
}

// ScheduleRelease records that the deleted user hexID's name and email
// are released at at (ReleaseDue does it). Idempotent: a second call keeps
// the first time.
func (s *UserStore) ScheduleRelease(ctx context.Context, hexID string, at time.Time) error {
	_, err := s.deletions.InsertOne(ctx, releaseDoc{ID: hexID, ReleaseAt: at})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("schedule release: %w", err)
	}
	return nil
}

// ReleaseDue releases every deleted user whose time has come (Release),
// and returns how many. `user_deletions` holds one small document per
// deleted account not yet released, so its scan stays short; the users are
// read and written by `_id`. Open's sweep calls it.
func (s *UserStore) ReleaseDue(ctx context.Context, now time.Time) (int, error) {
	cur, err := s.deletions.Find(ctx, bson.D{{Key: "releaseAt", Value: bson.D{{Key: "$lte", Value: now}}}})
	if err != nil {
		return 0, fmt.Errorf("release users: %w", err)
	}
	var due []releaseDoc
	if err := cur.All(ctx, &due); err != nil {
		return 0, fmt.Errorf("release users: %w", err)
	}
	n := 0
	for _, d := range due {
		if err := s.Release(ctx, d.ID, now); err != nil && !errors.Is(err, ErrNotFound) {
			return n, err
		}
		if _, err := s.deletions.DeleteOne(ctx, bson.D{{Key: "_id", Value: d.ID}}); err != nil {
			return n, fmt.Errorf("release users: %w", err)
		}
		n++
	}
	return n, nil
}

// With is u after ch: what Change would store (Version aside).
func (u User) With(ch UserChange) User {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&u.Status, ch.Status)
	set(&u.StatusReason, ch.StatusReason)
	set(&u.Type, ch.Type)
	set(&u.Nick, ch.Nick)
	if ch.Level != nil {
		u.Level = *ch.Level
	}
	if ch.EmailVerified != nil {
		u.EmailVerified = *ch.EmailVerified
	}
	if ch.DeletedAt != nil {
		u.DeletedAt = *ch.DeletedAt
	}
	if ch.CommentBanned != nil {
		u.CommentBanned = *ch.CommentBanned
	}
	set(&u.CommentBanReason, ch.CommentBanReason)
	return u
}

// UserStats are the users' figures of the admin's dashboard.
type UserStats struct {
	Total, Deleted int64
	// ByStatus and ByType count the users that are not deleted.
	ByStatus, ByType map[string]int64
	// Registrations counts the registrations of each UTC day from the
	// first day asked for (Stats), oldest first.
	Registrations []int64
}

// Stats counts the users by status and type, and the registrations of
// each of the days UTC days up to and including to's: one pass over the
// collection, reading four fields of each user (a scan on the embedded
// FerretDB; docs/admin.md, "Costs").
func (s *UserStore) Stats(ctx context.Context, to time.Time, days int) (UserStats, error) {
	cur, err := s.coll.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{
		{Key: "status", Value: 1}, {Key: "type", Value: 1}, {Key: "created", Value: 1}, {Key: "deletedAt", Value: 1},
	}))
	if err != nil {
		return UserStats{}, fmt.Errorf("user stats: %w", err)
	}
	defer cur.Close(ctx)
	first := to.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1-days)
	st := UserStats{ByStatus: map[string]int64{}, ByType: map[string]int64{}, Registrations: make([]int64, days)}
	for cur.Next(ctx) {
		var u struct {
			Status    string `bson:"status"`
			Type      string `bson:"type"`
			Created   int64  `bson:"created"`
			DeletedAt int64  `bson:"deletedAt"`
		}
		if err := cur.Decode(&u); err != nil {
			return UserStats{}, fmt.Errorf("user stats: %w", err)
		}
		st.Total++
		if u.DeletedAt != 0 {
			st.Deleted++
		} else {
			st.ByStatus[u.Status]++
			st.ByType[u.Type]++
		}
		if d := int(time.UnixMilli(u.Created).UTC().Sub(first) / (24 * time.Hour)); u.Created >= first.UnixMilli() && d < days {
			st.Registrations[d]++
		}
	}
	if err := cur.Err(); err != nil {
		return UserStats{}, fmt.Errorf("user stats: %w", err)
	}
	return st, nil
}
