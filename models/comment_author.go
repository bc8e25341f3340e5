package models

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Commenter is what a comment copies of its writer (Comment.Nick, Cover,
// Type, Level) and a reply of the user it answers (Comment.ParentNick).
type Commenter struct {
	Nick, Cover, Type string
	Level             int
}

// ThreadsWith returns the articles whose thread has a comment by user or a
// reply to user. It reads every thread's writer and reply ids (a scan of
// `comment_threads`, projected): the rare path that keeps a user's copies
// current (docs/blog.md, "Author copies"), never a public route.
func (s *CommentStore) ThreadsWith(ctx context.Context, user string) ([]string, error) {
	cur, err := s.threads.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{
		{Key: "comments.userId", Value: 1}, {Key: "comments.parentId", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find threads of user: %w", err)
	}
	defer cur.Close(ctx)
	var out []string
	for cur.Next(ctx) {
		var t commentThread
		if err := cur.Decode(&t); err != nil {
			return nil, fmt.Errorf("find threads of user: %w", err)
		}
		for _, c := range t.Comments {
			if c.UserID == user || c.ParentID == user {
				out = append(out, t.ID)
				break
			}
		}
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("find threads of user: %w", err)
	}
	return out, nil
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
func (s *CommentStore) DeleteThread(ctx context.Context, article string) (int, error) {
	unlock := s.locks.lock("thread:" + article)
	defer unlock()
	thread, err := s.Thread(ctx, article)
	if err != nil {
		return 0, err
	}
	if _, err := s.threads.DeleteOne(ctx, bson.D{{Key: "_id", Value: article}}); err != nil {
		return 0, fmt.Errorf("delete thread: %w", err)
	}
	return len(thread), nil
}
