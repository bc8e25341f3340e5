package models

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The admin's side of the comment threads (docs/admin.md, "Comments").

// SetStates changes moderation states of comments of article's thread,
// under the thread's lock: decide sees the thread as it is and returns the
// new state of each comment id to change (none: nothing is written); its
// error aborts with nothing written. All the changes are one update of the
// thread document (`{_id}`). It returns the thread before the change;
// ErrNotFound when decide names a comment the thread does not have.
func (s *CommentStore) SetStates(ctx context.Context, article string, decide func(thread []Comment) (map[string]string, error)) ([]Comment, error) {
	unlock := s.locks.lock("thread:" + article)
	defer unlock()
	thread, err := s.Thread(ctx, article)
	if err != nil {
		return nil, err
	}
	states, err := decide(thread)
	if err != nil || len(states) == 0 {
		return thread, err
	}
	set := bson.D{}
	for i, c := range thread {
		// Comments are only appended, so the index is stable.
		if st, ok := states[c.ID]; ok {
			set = append(set, bson.E{Key: fmt.Sprintf("comments.%d.state", i), Value: st})
		}
	}
	if len(set) != len(states) {
		return nil, ErrNotFound
	}
	if _, err := s.threads.UpdateOne(ctx, bson.D{{Key: "_id", Value: article}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return nil, fmt.Errorf("moderate comments: %w", err)
	}
	return thread, nil
}

// EachThread calls fn with every thread: the article id and its comments
// in the order written (one scan of `comment_threads`: admin lists only).
// An error of fn stops the scan and is returned.
func (s *CommentStore) EachThread(ctx context.Context, fn func(article string, comments []Comment) error) error {
	cur, err := s.threads.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return fmt.Errorf("scan comments: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var t commentThread
		if err := cur.Decode(&t); err != nil {
			return fmt.Errorf("scan comments: %w", err)
		}
		if err := fn(t.ID, t.Comments); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("scan comments: %w", err)
	}
	return nil
}
