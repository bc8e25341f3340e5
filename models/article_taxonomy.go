package models

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Retaxonomize applies fn to the type, category and tags of each article
// of ids (docs/admin.md, "Taxonomy"): each one read and written by `_id`
// under its lock, its version one more, guarded on MongoDB by the version
// read (re-read and retried when another instance wrote it meanwhile); fn
// reports whether it changed a, and only those fields are written. The
// change counter is recorded once at the end: every id when they fit in
// its recent window, else a jump of seq past the window (every catalogue
// reloads). It returns the ids changed; on an error, those changed so far.
func (s *ArticleStore) Retaxonomize(ctx context.Context, ids []string, fn func(a *Article) bool) ([]string, error) {
	var done []string
	var err error
	for _, id := range ids {
		var ok bool
		if ok, err = s.retaxonomize(ctx, id, fn); err != nil {
			break
		}
		if ok {
			done = append(done, id)
		}
	}
	if rerr := s.recordMany(ctx, done); err == nil {
		err = rerr
	}
	return done, err
}

func (s *ArticleStore) retaxonomize(ctx context.Context, id string, fn func(a *Article) bool) (bool, error) {
	unlock := s.locks.lock("article:" + id)
	defer unlock()
	for range 5 {
		a, err := s.ByID(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !fn(&a) {
			return false, nil
		}
		filter := bson.D{{Key: "_id", Value: id}}
		if !s.embedded {
			filter = append(filter, bson.E{Key: "version", Value: a.Version})
		}
		res, err := s.coll.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{
			{Key: "type", Value: a.Type}, {Key: "category", Value: a.Category}, {Key: "tags", Value: a.Tags},
			{Key: "version", Value: a.Version + 1},
		}}})
		if err != nil {
			return false, fmt.Errorf("update article taxonomy: %w", err)
		}
		if res.MatchedCount == 1 {
			return true, nil
		}
	}
	return false, ErrConflict
}

// recordMany records writes of ids in the change counter.
func (s *ArticleStore) recordMany(ctx context.Context, ids []string) error {
	if len(ids) <= RecentChanges {
		for _, id := range ids {
			if err := s.changed(ctx, id); err != nil {
				return err
			}
		}
		return nil
	}
	s.metaMu.Lock()
	defer s.metaMu.Unlock()
	_, err := s.meta.UpdateOne(ctx, bson.D{{Key: "_id", Value: "articles"}}, bson.D{
		{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(len(ids) + RecentChanges)}}},
	}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("record article changes: %w", err)
	}
	return nil
}
