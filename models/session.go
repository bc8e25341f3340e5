package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Reasons a session ended, stored in Session.EndReason.
const (
	EndLogout         = "logout"
	EndLogoutAll      = "logout_all"
	EndRefreshReuse   = "refresh_reuse"
	EndPasswordChange = "password_change"
	EndPasswordReset  = "password_reset"
	EndUserDeleted    = "user_deleted"
	EndAccountFreeze  = "account_freeze" // the user's status became freeze
	EndAccountReject  = "account_reject" // the user's status became reject
	EndByAdmin        = "admin"          // an admin ended the user's sessions
)

// Session is a document of the `sessions` collection: one login on one
// device (docs/security.md). `_id` is the session id (16 random bytes in hex), the
// `sid` claim of its tokens. RefreshJTI is the `jti` of the only refresh
// token the session still accepts. ExpiresAt is that refresh token's expiry;
// EndedAt is nil while the session is alive.
type Session struct {
	ID         string     `bson:"_id"`
	UserID     string     `bson:"userId"`
	RefreshJTI string     `bson:"refreshJti"`
	CreatedAt  time.Time  `bson:"createdAt"`
	LastUsedAt time.Time  `bson:"lastUsedAt"`
	ExpiresAt  time.Time  `bson:"expiresAt"`
	EndedAt    *time.Time `bson:"endedAt"`
	EndReason  string     `bson:"endReason,omitempty"`
	UserAgent  string     `bson:"userAgent"`
	IP         string     `bson:"ip"`
}

// Alive reports whether the session can still be used at now: not ended and
// not expired.
func (s Session) Alive(now time.Time) bool { return s.EndedAt == nil && now.Before(s.ExpiresAt) }

// SessionStore keeps sessions in MongoDB, so that ending a session takes
// effect on every instance at once (docs/security.md, §8). Beside `sessions` it
// keeps `session_rotations`: one document per rotated refresh token
// (`_id` = its jti), which makes a refresh token usable once even where an
// update is not an atomic compare-and-set (FerretDB v1 reads, then writes
// back, a matched document).
type SessionStore struct {
	coll      *collection
	rotations *collection
	// locks serialise this process's writes of one session: the embedded
	// FerretDB applies an update by reading the document and writing it
	// back whole, so a rotation racing an End could write endedAt away and
	// revive a session that reuse detection ended.
	locks *keyLocks
}

// newSessionStore uses the `sessions` and `session_rotations` collections
// of db.
func newSessionStore(db *database) *SessionStore {
	return &SessionStore{coll: db.Collection(CollSessions), rotations: db.Collection(CollSessionRotations), locks: new(keyLocks)}
}

// ensureIndexes creates the userId index (ending every session of a user).
// The expiresAt indexes of both collections come from Open's expiry.
// Idempotent.
func (s *SessionStore) ensureIndexes(ctx context.Context) error {
	if _, err := s.coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "userId", Value: 1}},
		Options: options.Index().SetName("userId_1"),
	}); err != nil {
		return fmt.Errorf("sessions indexes: %w", err)
	}
	return nil
}

// Create inserts a session; ErrDuplicate when its id is taken.
func (s *SessionStore) Create(ctx context.Context, sess *Session) error {
	_, err := s.coll.InsertOne(ctx, sess)
	if mongo.IsDuplicateKeyError(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Get returns the session with id, alive or not; ErrNotFound when absent.
func (s *SessionStore) Get(ctx context.Context, id string) (Session, error) {
	return findOne[Session](ctx, s.coll, bson.D{{Key: "_id", Value: id}})
}

// Rotate replaces the session's refresh token jti oldJTI with newJTI and
// its expiry with newExpiresAt, and sets lastUsedAt to now: a
// compare-and-set that only applies while the session is alive at now,
// belongs to userID (the refresh token's sub) and oldJTI is its current
// jti. Otherwise nothing changes and ErrNotFound is
// returned. Of several concurrent rotations with the same oldJTI exactly
// one succeeds: each first records oldJTI in `session_rotations`, whose
// unique `_id` admits one of them (the update alone is atomic on MongoDB
// but not on FerretDB v1).
func (s *SessionStore) Rotate(ctx context.Context, id, userID, oldJTI, newJTI string, newExpiresAt, now time.Time) error {
	_, err := s.rotations.InsertOne(ctx, bson.D{
		{Key: "_id", Value: oldJTI},
		{Key: "sessionId", Value: id},
		// The old refresh token expires no later than the new one; past
		// that the record is not needed.
		{Key: "expiresAt", Value: newExpiresAt},
	})
	if mongo.IsDuplicateKeyError(err) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("rotate session: %w", err)
	}
	// The conditions are checked in Go after a read by _id: a filter with
	// more than _id scans every session on the embedded FerretDB
	// (docs/operations.md). The rotation record above already admits one
	// rotation per oldJTI.
	unlock := s.locks.lock("session:" + id)
	defer unlock()
	sess, err := s.Get(ctx, id)
	if err == nil && (sess.UserID != userID || sess.RefreshJTI != oldJTI || !sess.Alive(now)) {
		err = ErrNotFound
	}
	if errors.Is(err, ErrNotFound) {
		return ErrNotFound
	}
	var res *mongo.UpdateResult
	if err == nil {
		res, err = s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{
			{Key: "refreshJti", Value: newJTI},
			{Key: "expiresAt", Value: newExpiresAt},
			{Key: "lastUsedAt", Value: now},
		}}})
	}
	if err != nil {
		// Let the client retry with the same refresh token rather than
		// have the retry taken for reuse.
		_, _ = s.rotations.DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: oldJTI}})
		return fmt.Errorf("rotate session: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// End marks the session ended at now with reason. Ending a session that is
// already ended, or absent, changes nothing and is not an error (the first
// reason is kept).
func (s *SessionStore) End(ctx context.Context, id, reason string, now time.Time) error {
	// Read by _id, then write by _id: a filter with endedAt too scans
	// every session on the embedded FerretDB (docs/operations.md).
	unlock := s.locks.lock("session:" + id)
	defer unlock()
	switch sess, err := s.Get(ctx, id); {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("end session: %w", err)
	case sess.EndedAt != nil:
		return nil
	}
	_, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "endedAt", Value: now}, {Key: "endReason", Value: reason}}}})
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndAllForUser ends every live session of userID except exceptID (""
// excepts none) and returns how many it ended.
func (s *SessionStore) EndAllForUser(ctx context.Context, userID, exceptID, reason string, now time.Time) (int64, error) {
	filter := bson.D{{Key: "userId", Value: userID}, {Key: "endedAt", Value: nil}}
	if exceptID != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$ne", Value: exceptID}}})
	}
	unlock := s.locks.lockAll()
	defer unlock()
	res, err := s.coll.UpdateMany(ctx, filter,
		bson.D{{Key: "$set", Value: bson.D{{Key: "endedAt", Value: now}, {Key: "endReason", Value: reason}}}})
	if err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	return res.ModifiedCount, nil
}

// ForUser returns the sessions of userID, alive or ended, most recently
// used first, at most limit. A scan on the embedded FerretDB (the admin's
// user detail only; docs/admin.md, "Costs"); the userId index on MongoDB.
func (s *SessionStore) ForUser(ctx context.Context, userID string, limit int) ([]Session, error) {
	cur, err := s.coll.Find(ctx, bson.D{{Key: "userId", Value: userID}},
		options.Find().SetSort(bson.D{{Key: "lastUsedAt", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	sessions := []Session{}
	if err := cur.All(ctx, &sessions); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return sessions, nil
}
