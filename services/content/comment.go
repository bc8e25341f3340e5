package content

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
)

// Comment limits (docs/blog.md, "Comments and moderation").
const (
	MaxCommentRunes = 2000
	// DuplicateWindow: the same text by the same user on the same article
	// within it is a duplicate.
	DuplicateWindow = time.Minute
)

// CommentNode is a root comment with its replies, as the article page
// shows them.
type CommentNode struct {
	Comment
	Sub []Comment
}

// CommentInput is a new comment: TargetID the root comment it replies to
// ("" for a root), ReplyUser the user replied to ("": the target's
// author).
type CommentInput struct {
	Content, TargetID, ReplyUser string
}

// Comments returns the thread of article id as v may see it: visible
// comments, and v's own held ones; roots in order, each with its replies.
// The article must be one v may read (else ErrArticleNotFound).
func (s *Service) Comments(ctx context.Context, v Viewer, id string) ([]CommentNode, error) {
	a, err := s.st.Articles.ByID(ctx, id)
	if err != nil {
		return nil, notFound(err, ErrArticleNotFound)
	}
	if !visible(v, a, s.nowMs()) {
		return nil, ErrArticleNotFound
	}
	thread, err := s.st.Comments.Thread(ctx, id)
	if err != nil {
		return nil, err
	}
	out := []CommentNode{}
	index := map[string]int{}
	for _, c := range thread {
		if c.State != models.CommentVisible && !(c.State == models.CommentHeld && v.ID != "" && c.UserID == v.ID) {
			continue
		}
		if c.TargetID == "" {
			index[c.ID] = len(out)
			out = append(out, CommentNode{Comment: commentOf(c), Sub: []Comment{}})
			continue
		}
		if i, ok := index[c.TargetID]; ok {
			out[i].Sub = append(out[i].Sub, commentOf(c))
		}
	}
	return out, nil
}

// Comment adds v's comment to article id, which must be public. It is
// visible at once or held for moderation (Config.Moderation; an admin's or
// the article author's never waits). Errors: ErrArticleNotFound,
// FieldError (content, targetId, replyUser), RetryLater wrapping
// ErrCommentRateLimited, ErrDuplicateComment.
func (s *Service) Comment(ctx context.Context, v Viewer, id string, in CommentInput) (Comment, error) {
	c, err := s.comment(ctx, v, id, in)
	if err != nil {
		return Comment{}, err
	}
	return commentOf(c), nil
}

func (s *Service) comment(ctx context.Context, v Viewer, id string, in CommentInput) (models.Comment, error) {
	if v.ID == "" {
		return models.Comment{}, ErrNotWriter
	}
	if v.CommentBanned {
		return models.Comment{}, ErrCommentBanned
	}
	content := strings.TrimSpace(in.Content)
	switch n := utf8.RuneCountInString(content); {
	case n == 0:
		return models.Comment{}, services.Invalid("content", "is required")
	case n > MaxCommentRunes:
		return models.Comment{}, services.Invalid("content", "must be at most 2000 characters")
	}
	a, err := s.st.Articles.ByID(ctx, id)
	if err != nil {
		return models.Comment{}, notFound(err, ErrArticleNotFound)
	}
	now := s.now()
	if !newEntryPublic(a, now.UnixMilli()) {
		return models.Comment{}, ErrArticleNotFound
	}
	if s.cfg.CommentRate != nil {
		wait, err := s.cfg.CommentRate.Hit(ctx, "comment:"+v.ID)
		if err != nil {
			return models.Comment{}, err
		}
		if wait > 0 {
			return models.Comment{}, &services.RetryLater{Err: ErrCommentRateLimited, RetryAfter: wait}
		}
	}
	state, err := s.initialState(ctx, v, a)
	if err != nil {
		return models.Comment{}, err
	}
	c := models.Comment{
		ID: models.NewCommentID(), UserID: v.ID, Nick: v.Nick, Cover: v.Cover, Type: v.Type, Level: v.Level,
		Author: v.ID == a.AuthorID, Content: content, State: state, Created: now.UnixMilli(),
	}
	var replyTo models.User
	if in.ReplyUser != "" {
		if replyTo, err = s.st.Users.ByID(ctx, in.ReplyUser); err != nil {
			if errors.Is(err, models.ErrNotFound) {
				return models.Comment{}, services.Invalid("replyUser", "no such user")
			}
			return models.Comment{}, err
		}
	}
	rootShown := true
	c, err = s.st.Comments.Add(ctx, id, func(thread []models.Comment) (models.Comment, error) {
		if in.TargetID != "" {
			target, ok := findComment(thread, in.TargetID)
			if !ok || (target.State != models.CommentVisible && target.State != models.CommentHeld) {
				return c, services.Invalid("targetId", "no such comment")
			}
			// A reply to a reply belongs to the same root.
			c.TargetID = target.ID
			if target.TargetID != "" {
				c.TargetID = target.TargetID
			}
			root, _ := findComment(thread, c.TargetID)
			rootShown = root.State == models.CommentVisible
			if in.ReplyUser == "" {
				c.ParentID, c.ParentNick = target.UserID, target.Nick
			}
		}
		if in.ReplyUser != "" {
			c.ParentID, c.ParentNick = replyTo.ID.Hex(), replyTo.Nick
		}
		c.ParentAuthor = c.ParentID != "" && c.ParentID == a.AuthorID
		for _, o := range thread {
			if o.UserID == v.ID && o.Content == content && now.UnixMilli()-o.Created < DuplicateWindow.Milliseconds() {
				return c, ErrDuplicateComment
			}
		}
		return c, nil
	})
	if err != nil {
		return models.Comment{}, err
	}
	// `review` counts what the public thread shows (shownCount).
	if c.State == models.CommentVisible && rootShown {
		if err := s.st.Articles.Inc(ctx, id, models.ArticleCounters{Review: 1}); err != nil && !errorsIsNotFound(err) {
			return models.Comment{}, err
		}
	}
	return c, nil
}

func findComment(thread []models.Comment, id string) (models.Comment, bool) {
	for _, c := range thread {
		if c.ID == id {
			return c, true
		}
	}
	return models.Comment{}, false
}

// initialState is the moderation state a new comment of v on a starts in.
func (s *Service) initialState(ctx context.Context, v Viewer, a models.Article) (string, error) {
	if v.IsAdmin() || v.ID == a.AuthorID {
		return models.CommentVisible, nil
	}
	switch s.cfg.Moderation {
	case ModerationOff:
		return models.CommentVisible, nil
	case ModerationAll:
		return models.CommentHeld, nil
	}
	ok, err := s.st.Comments.Approved(ctx, v.ID)
	if err != nil {
		return "", err
	}
	if ok {
		return models.CommentVisible, nil
	}
	return models.CommentHeld, nil
}

// ModerateAs is Moderate by v: an admin, or the article's author
// (ErrNotModerator otherwise; ErrArticleNotFound for an article v cannot
// see).
func (s *Service) ModerateAs(ctx context.Context, v Viewer, id, commentID, state string) error {
	a, err := s.st.Articles.ByID(ctx, id)
	if err != nil {
		return notFound(err, ErrArticleNotFound)
	}
	switch {
	case v.mayManage(a):
	case visible(v, a, s.nowMs()):
		return ErrNotModerator
	default:
		return ErrArticleNotFound
	}
	return s.Moderate(ctx, id, commentID, state)
}

// Moderate sets the state of comment commentID on article id
// (models.CommentVisible approves, models.CommentHeld holds,
// models.CommentHidden hides; SetCommentState for the admin's other
// states) and keeps `review` exact. Approving a comment approves its
// author (moderation `first`).
func (s *Service) Moderate(ctx context.Context, id, commentID, state string) error {
	switch state {
	case models.CommentVisible, models.CommentHeld, models.CommentHidden:
	default:
		return services.Invalid("state", "must be visible, held or hidden")
	}
	_, _, err := s.SetCommentState(ctx, id, commentID, state)
	return err
}
