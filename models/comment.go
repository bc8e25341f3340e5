package models

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Comment moderation states.
const (
	CommentVisible = "visible" // shown to everyone
	CommentHeld    = "held"    // waits for approval; shown to its author only
	CommentHidden  = "hidden"  // removed by a moderator
	// CommentSpam and CommentDeleted are set by an admin (docs/admin.md,
	// "Comments"): neither is shown to anyone but the admin.
	CommentSpam    = "spam"
	CommentDeleted = "deleted"
)

// Comment is one comment of an article's thread. TargetID is the root
// comment a reply belongs to ("" for a root); ParentID the user replied to.
// The commenter's nick, cover, type and level are copied when it is
// written. Created is ms since the Unix epoch.
type Comment struct {
	ID           string `bson:"id"`
	TargetID     string `bson:"targetId"`
	UserID       string `bson:"userId"`
	Nick         string `bson:"nick"`
	Cover        string `bson:"cover"`
	Type         string `bson:"type"`
	Level        int    `bson:"level"`
	Author       bool   `bson:"author"`
	ParentID     string `bson:"parentId"`
	ParentNick   string `bson:"parentNick"`
	ParentAuthor bool   `bson:"parentAuthor"`
	Content      string `bson:"content"`
	State        string `bson:"state"`
	Created      int64  `bson:"created"`
}

// commentThread is a document of `comment_threads`: every comment of the
// article `_id`, in the order written (docs/blog.md: one `_id` read per
// thread).
type commentThread struct {
	ID       string    `bson:"_id"`
	Comments []Comment `bson:"comments"`
}

// CommentStore keeps the comment threads and who has had a comment
// approved.
type CommentStore struct {
	threads, commenters *collection
	// userThreads indexes the threads each user wrote in or was
	// answered in (comment_author.go).
	userThreads *collection
	locks       *keyLocks
	// userLocks guard userThreads: taken while a thread's lock is held,
	// so they are not the same stripes.
	userLocks *keyLocks
}

func newCommentStore(db *database) *CommentStore {
	return &CommentStore{threads: db.Collection(CollCommentThreads), commenters: db.Collection(CollCommenters),
		userThreads: db.Collection(CollUserThreads), locks: new(keyLocks), userLocks: new(keyLocks)}
}

// NewCommentID is a fresh comment id (24 hex digits).
func NewCommentID() string { return bson.NewObjectID().Hex() }

// Thread returns the comments of article, in the order written (none: an
// empty slice).
func (s *CommentStore) Thread(ctx context.Context, article string) ([]Comment, error) {
	t, err := findOne[commentThread](ctx, s.threads, bson.D{{Key: "_id", Value: article}})
	if errors.Is(err, ErrNotFound) {
		return []Comment{}, nil
	}
	if err != nil {
		return nil, err
	}
	return t.Comments, nil
}

// Add appends to article's thread the comment build returns, under the
// thread's lock: build sees the thread as it is (for replies and duplicate
// checks); its error aborts with nothing written. Returns the comment
// stored.
func (s *CommentStore) Add(ctx context.Context, article string, build func(thread []Comment) (Comment, error)) (Comment, error) {
	unlock := s.locks.lock("thread:" + article)
	defer unlock()
	thread, err := s.Thread(ctx, article)
	if err != nil {
		return Comment{}, err
	}
	c, err := build(thread)
	if err != nil {
		return Comment{}, err
	}
	// The writer's and the answered user's index first: an entry without
	// its comment is harmless, a comment missing from it would keep a stale
	// nick (comment_author.go).
	if err := s.noteThread(ctx, article, c.UserID, c.ParentID); err != nil {
		return Comment{}, err
	}
	_, err = s.threads.UpdateOne(ctx, bson.D{{Key: "_id", Value: article}},
		bson.D{{Key: "$push", Value: bson.D{{Key: "comments", Value: c}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return Comment{}, fmt.Errorf("add comment: %w", err)
	}
	return c, nil
}

// Approved reports whether user has had a comment approved.
func (s *CommentStore) Approved(ctx context.Context, user string) (bool, error) {
	_, err := findOne[bson.Raw](ctx, s.commenters, bson.D{{Key: "_id", Value: user}})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// MarkApproved records that user has had a comment approved.
func (s *CommentStore) MarkApproved(ctx context.Context, user string, at int64) error {
	_, err := s.commenters.UpdateOne(ctx, bson.D{{Key: "_id", Value: user}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "approvedAt", Value: at}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil && !isDuplicateKey(err) {
		return fmt.Errorf("approve commenter: %w", err)
	}
	return nil
}

// CountByState counts the comments of every thread by moderation state
// (one scan of `comment_threads`: the admin's dashboard).
func (s *CommentStore) CountByState(ctx context.Context) (map[string]int64, error) {
	cur, err := s.threads.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "comments.state", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("count comments: %w", err)
	}
	defer cur.Close(ctx)
	out := map[string]int64{}
	for cur.Next(ctx) {
		var t commentThread
		if err := cur.Decode(&t); err != nil {
			return nil, fmt.Errorf("count comments: %w", err)
		}
		for _, c := range t.Comments {
			out[c.State]++
		}
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("count comments: %w", err)
	}
	return out, nil
}
