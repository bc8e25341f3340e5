package models

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Commenter is what a comment copies of its writer (Comment.Nick, Cover,
// Type, Level) and a reply of the user it answers (Comment.ParentNick).
type Commenter struct {
	Nick, Cover, Type string
	Level             int
}

// userThreads is a document of `user_threads`: the articles whose thread
// holds a comment by user `_id` or a reply to them, in the order first
// written. It is what keeps the copies of a user's nick in comments
// current without scanning the threads (docs/blog.md, "Author copies").
type userThreads struct {
	ID       string   `bson:"_id"`
	Articles []string `bson:"articles"`
}

// noteThread adds article to the index of each of users ("" skipped):
// one `$addToSet` upsert by `_id` each, under the user's lock (userLocks) (a second
// instance's concurrent first upsert is a duplicate key, retried once).
func (s *CommentStore) noteThread(ctx context.Context, article string, users ...string) error {
	for i, u := range users {
		if u == "" || slices.Contains(users[:i], u) {
			continue
		}
		unlock := s.userLocks.lock(u)
		var err error
		for range 2 {
			_, err = s.userThreads.UpdateOne(ctx, bson.D{{Key: "_id", Value: u}},
				bson.D{{Key: "$addToSet", Value: bson.D{{Key: "articles", Value: article}}}}, options.UpdateOne().SetUpsert(true))
			if !isDuplicateKey(err) {
				break
			}
		}
		unlock()
		if err != nil {
			return fmt.Errorf("index comment thread: %w", err)
		}
	}
	return nil
}

// ThreadsWith returns the articles whose thread has a comment by user or a
// reply to user: one read by `_id` of the user's index.
func (s *CommentStore) ThreadsWith(ctx context.Context, user string) ([]string, error) {
	doc, err := findOne[userThreads](ctx, s.userThreads, bson.D{{Key: "_id", Value: user}})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return doc.Articles, nil
}

// SetCommenter sets, in article's thread, the copies of user's fields to
// c where they differ: the writer's nick, cover, type and level on user's
// comments, and parentNick on replies to user. One `$set` by `_id` under
// the thread's lock (comments are only appended: positions are stable).
// It returns how many comments changed; a thread that is gone changes
// none.
func (s *CommentStore) SetCommenter(ctx context.Context, article, user string, c Commenter) (int, error) {
	unlock := s.locks.lock("thread:" + article)
	defer unlock()
	thread, err := s.Thread(ctx, article)
	if err != nil {
		return 0, err
	}
	set := bson.D{}
	n := 0
	for i, x := range thread {
		before := len(set)
		if x.UserID == user {
			for _, f := range []struct {
				key        string
				have, want any
			}{{"nick", x.Nick, c.Nick}, {"cover", x.Cover, c.Cover}, {"type", x.Type, c.Type}, {"level", x.Level, c.Level}} {
				if f.have != f.want {
					set = append(set, bson.E{Key: fmt.Sprintf("comments.%d.%s", i, f.key), Value: f.want})
				}
			}
		}
		if x.ParentID == user && x.ParentNick != c.Nick {
			set = append(set, bson.E{Key: fmt.Sprintf("comments.%d.parentNick", i), Value: c.Nick})
		}
		if len(set) > before {
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	if _, err := s.threads.UpdateOne(ctx, bson.D{{Key: "_id", Value: article}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return 0, fmt.Errorf("set commenter: %w", err)
	}
	return n, nil
}

// DeleteThread deletes the comment thread of article (under the thread's
// lock) and returns how many comments it held; none when there is none.
// The article leaves the index of each writer and answered user first, so
// a failure half-way leaves the thread for a retry.
func (s *CommentStore) DeleteThread(ctx context.Context, article string) (int, error) {
	unlock := s.locks.lock("thread:" + article)
	defer unlock()
	thread, err := s.Thread(ctx, article)
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{"": true}
	for _, c := range thread {
		for _, u := range []string{c.UserID, c.ParentID} {
			if seen[u] {
				continue
			}
			seen[u] = true
			unlock := s.userLocks.lock(u)
			_, err := s.userThreads.UpdateOne(ctx, bson.D{{Key: "_id", Value: u}},
				bson.D{{Key: "$pull", Value: bson.D{{Key: "articles", Value: article}}}})
			unlock()
			if err != nil {
				return 0, fmt.Errorf("unindex comment thread: %w", err)
			}
		}
	}
	if _, err := s.threads.DeleteOne(ctx, bson.D{{Key: "_id", Value: article}}); err != nil {
		return 0, fmt.Errorf("delete thread: %w", err)
	}
	return len(thread), nil
}
