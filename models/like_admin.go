package models

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// OfArticle returns every like of article (a scan of `likes` on the
// embedded database: an admin's purge, docs/admin.md "Costs").
func (s *LikeStore) OfArticle(ctx context.Context, article string) ([]Like, error) {
	cur, err := s.coll.Find(ctx, bson.D{{Key: "article", Value: article}})
	if err != nil {
		return nil, fmt.Errorf("list likes of article: %w", err)
	}
	var out []Like
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list likes of article: %w", err)
	}
	return out, nil
}

// Drop removes the like l for good: first its entry in the liker's
// `user_likes` (under the user's lock), then the like document, so a
// failure between the two leaves the like to be found and dropped again by
// a retry. Dropping a like that is gone is no error. praise is not
// touched: Drop is for an article that is being purged.
func (s *LikeStore) Drop(ctx context.Context, l Like) error {
	unlock := s.locks.lock("user:" + l.User)
	_, err := s.users.UpdateOne(ctx, bson.D{{Key: "_id", Value: l.User}},
		bson.D{{Key: "$pull", Value: bson.D{{Key: "articles", Value: LikedArticle{Article: l.Article, At: l.At}}}}})
	unlock()
	if err != nil {
		return fmt.Errorf("unrecord like: %w", err)
	}
	if _, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: likeID(l.User, l.Article)}}); err != nil {
		return fmt.Errorf("delete like: %w", err)
	}
	return nil
}
