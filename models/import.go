package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Bulk imports for the load harness (`go run ./bench`, docs/operations.md):
// they write, with one InsertMany per collection, the documents the
// stores' own writes leave behind, so a data set of thousands of
// articles is seeded in seconds. They do not take the per-key locks: the
// database must not be serving writes of the same documents meanwhile.

// importBatch bounds the documents of one InsertMany.
const importBatch = 1000

// insertBatches inserts docs into coll, importBatch at a time; a duplicate
// `_id` is ErrDuplicate.
func insertBatches(ctx context.Context, coll *collection, docs []any) error {
	for from := 0; from < len(docs); from += importBatch {
		if _, err := coll.InsertMany(ctx, docs[from:min(from+importBatch, len(docs))]); err != nil {
			if mongo.IsDuplicateKeyError(err) {
				return ErrDuplicate
			}
			return fmt.Errorf("insert into %s: %w", coll.Name(), err)
		}
	}
	return nil
}

// CreateMany stores threads (article id → its comments, in the order
// written) as Add leaves them, for articles that have no thread yet, and
// records as approved, at approvedAt (ms), every user with a visible
// comment among them, as approving a comment does (Moderate). The
// articles' `review` counters are the caller's (ArticleStore.Inc, or set
// in the imported articles). ErrDuplicate when an article has a thread.
func (s *CommentStore) CreateMany(ctx context.Context, threads map[string][]Comment, approvedAt int64) error {
	ids := make([]string, 0, len(threads))
	for id := range threads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	docs := make([]any, 0, len(ids))
	approved := map[string]bool{}
	for _, id := range ids {
		docs = append(docs, commentThread{ID: id, Comments: threads[id]})
		for _, c := range threads[id] {
			if c.State == CommentVisible {
				approved[c.UserID] = true
			}
		}
	}
	if err := insertBatches(ctx, s.threads, docs); err != nil {
		return err
	}
	users := make([]string, 0, len(approved))
	for u := range approved {
		users = append(users, u)
	}
	sort.Strings(users)
	// A commenter approved already keeps their record: unordered inserts,
	// duplicates skipped.
	for from := 0; from < len(users); from += importBatch {
		docs := make([]any, 0, importBatch)
		for _, u := range users[from:min(from+importBatch, len(users))] {
			docs = append(docs, bson.D{{Key: "_id", Value: u}, {Key: "approvedAt", Value: approvedAt}})
		}
		_, err := s.commenters.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		if err != nil && !onlyDuplicates(err) {
			return fmt.Errorf("approve commenters: %w", err)
		}
	}
	return nil
}

// CreateMany stores likes as Add leaves them: one document per like, and
// each user's like list with their likes in the order of At (then as
// given), for users with no like list yet. The articles' `praise`
// counters are the caller's. ErrDuplicate when a like exists or a user
// has a list.
func (s *LikeStore) CreateMany(ctx context.Context, likes []Like) error {
	docs := make([]any, len(likes))
	byUser := map[string][]LikedArticle{}
	for i, l := range likes {
		l.ID = likeID(l.User, l.Article)
		docs[i] = l
		byUser[l.User] = append(byUser[l.User], LikedArticle{Article: l.Article, At: l.At})
	}
	if err := insertBatches(ctx, s.coll, docs); err != nil {
		return err
	}
	users := make([]string, 0, len(byUser))
	for u := range byUser {
		users = append(users, u)
	}
	sort.Strings(users)
	lists := make([]any, len(users))
	for i, u := range users {
		list := byUser[u]
		slices.SortStableFunc(list, func(a, b LikedArticle) int { return cmp.Compare(a.At, b.At) })
		lists[i] = userLikes{ID: u, Articles: list}
	}
	return insertBatches(ctx, s.users, lists)
}
