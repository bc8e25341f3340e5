package models

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// SetAuthor sets the author copy of each article of ids to author, by
// `_id` under the article's lock, where it differs (an article that is gone
// is skipped). The version does not move: an author's pending edit stays
// valid. The articles changed are recorded in the change counter, so every
// catalogue rereads them. It returns how many changed.
func (s *ArticleStore) SetAuthor(ctx context.Context, ids []string, author ArticleAuthor) (int, error) {
	var changed []string
	var first error
	for _, id := range ids {
		ok, err := s.setAuthor(ctx, id, author)
		if err != nil && first == nil {
			first = err
		}
		if ok {
			changed = append(changed, id)
		}
	}
	if err := s.changed(ctx, changed...); err != nil && first == nil {
		first = err
	}
	return len(changed), first
}

func (s *ArticleStore) setAuthor(ctx context.Context, id string, author ArticleAuthor) (bool, error) {
	unlock := s.locks.lock("article:" + id)
	defer unlock()
	a, err := s.ByID(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	if a.Author == author {
		return false, nil
	}
	if _, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "author", Value: author}}}}); err != nil {
		return false, fmt.Errorf("set article author: %w", err)
	}
	return true, nil
}

// Remove deletes article id for good with its body and slug alias, in that
// order, the article last: a failure half-way leaves the article (already
// marked by its purge), so a retry finds it and finishes. The removal is
// recorded in the change counter. Removing an article that is gone is
// ErrNotFound.
func (s *ArticleStore) Remove(ctx context.Context, id string) error {
	unlock := s.locks.lock("article:" + id)
	a, err := s.ByID(ctx, id)
	if err != nil {
		unlock()
		return err
	}
	for _, step := range []struct {
		what   string
		delete func() error
	}{
		{"body", func() error {
			_, err := s.bodies.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
			return err
		}},
		{"slug", func() error {
			// Only the alias that still names this article.
			var alias struct {
				Article string `bson:"article"`
			}
			if err := s.slugs.FindOne(ctx, bson.D{{Key: "_id", Value: a.Slug}}).Decode(&alias); err != nil || alias.Article != id {
				return nil
			}
			_, err := s.slugs.DeleteOne(ctx, bson.D{{Key: "_id", Value: a.Slug}})
			return err
		}},
		{"article", func() error {
			_, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
			return err
		}},
	} {
		if err := step.delete(); err != nil {
			unlock()
			return fmt.Errorf("remove article %s: %w", step.what, err)
		}
	}
	unlock()
	return s.changed(ctx, id)
}
