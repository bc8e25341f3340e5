package models

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Like is a document of `likes`: one per user and article, `_id`
// "<user>:<article>", so a second like of the same article is a duplicate
// key. At is ms since the Unix epoch.
type Like struct {
	ID      string `bson:"_id"`
	User    string `bson:"user"`
	Article string `bson:"article"`
	At      int64  `bson:"at"`
}

// LikedArticle is one entry of a user's like list.
type LikedArticle struct {
	Article string `bson:"id"`
	At      int64  `bson:"at"`
}

// userLikes is a document of `user_likes`: what user `_id` liked, oldest
// first.
type userLikes struct {
	ID       string         `bson:"_id"`
	Articles []LikedArticle `bson:"articles"`
}

// LikeStore keeps likes and each user's like list.
type LikeStore struct {
	coll, users *collection
	locks       *keyLocks
}

func newLikeStore(db *database) *LikeStore {
	return &LikeStore{coll: db.Collection(CollLikes), users: db.Collection(CollUserLikes), locks: new(keyLocks)}
}

func likeID(user, article string) string { return user + ":" + article }

// Add records that user likes article at ms; ErrDuplicate when the user
// already does.
func (s *LikeStore) Add(ctx context.Context, user, article string, at int64) error {
	_, err := s.coll.InsertOne(ctx, Like{ID: likeID(user, article), User: user, Article: article, At: at})
	if mongo.IsDuplicateKeyError(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("insert like: %w", err)
	}
	unlock := s.locks.lock("user:" + user)
	defer unlock()
	_, err = s.users.UpdateOne(ctx, bson.D{{Key: "_id", Value: user}},
		bson.D{{Key: "$push", Value: bson.D{{Key: "articles", Value: LikedArticle{Article: article, At: at}}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		_, _ = s.coll.DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: likeID(user, article)}})
		return fmt.Errorf("record like: %w", err)
	}
	return nil
}

// Remove deletes user's like of article and reports whether there was one.
func (s *LikeStore) Remove(ctx context.Context, user, article string) (bool, error) {
	var l Like
	err := s.coll.FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: likeID(user, article)}}).Decode(&l)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete like: %w", err)
	}
	unlock := s.locks.lock("user:" + user)
	defer unlock()
	// The entry equal to the one Add pushed: FerretDB v1 pulls by value
	// only, not by a condition on a field.
	_, err = s.users.UpdateOne(ctx, bson.D{{Key: "_id", Value: user}},
		bson.D{{Key: "$pull", Value: bson.D{{Key: "articles", Value: LikedArticle{Article: article, At: l.At}}}}})
	if err != nil {
		return true, fmt.Errorf("unrecord like: %w", err)
	}
	return true, nil
}

// Has reports whether user likes article.
func (s *LikeStore) Has(ctx context.Context, user, article string) (bool, error) {
	_, err := findOne[Like](ctx, s.coll, bson.D{{Key: "_id", Value: likeID(user, article)}})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// OfUser returns what user liked, newest first.
func (s *LikeStore) OfUser(ctx context.Context, user string) ([]LikedArticle, error) {
	doc, err := findOne[userLikes](ctx, s.users, bson.D{{Key: "_id", Value: user}})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]LikedArticle, len(doc.Articles))
	for i, a := range doc.Articles {
		out[len(out)-1-i] = a
	}
	return out, nil
}
