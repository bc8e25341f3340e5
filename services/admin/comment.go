package admin

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/content"
)

// Moderator is the blog's comments as the admin moderates them
// (content.Service): the list across articles, a state change (the
// article's `review` follows), and hiding every comment of a user. Its
// errors are content's sentinels (comment not found, a value outside its
// set).
type Moderator interface {
	AdminComments(ctx context.Context, q content.AdminCommentQuery) (content.Page[content.AdminComment], error)
	SetCommentState(ctx context.Context, articleID, commentID, state string) (before, after content.Comment, err error)
	HideCommentsOf(ctx context.Context, userID string) (int, error)
}

// Audit actions of the comment routes: every state change, single or in
// bulk, is one comment.state entry (target "<article>/<comment>"); a ban
// is one user.commentBan entry on the user.
const (
	ActionCommentState = "comment.state"
	ActionCommentBan   = "user.commentBan"
)

// The single and bulk comment actions (docs/admin.md, "Comments") and the
// state each sets.
const (
	CommentApprove = "approve" // visible; approves the author too
	CommentHide    = "hide"
	CommentSpam    = "spam"
	CommentDelete  = "delete"
)

// CommentActions maps each action to the moderation state it sets.
var CommentActions = map[string]string{
	CommentApprove: models.CommentVisible, CommentHide: models.CommentHidden,
	CommentSpam: models.CommentSpam, CommentDelete: models.CommentDeleted,
}

// MaxBulk is the most ids one bulk action takes.
const MaxBulk = 100

// ErrCommentRef: a bulk id is not "<article id>/<comment id>" (400).
var ErrCommentRef = errors.New("admin: malformed comment reference")

// errNoModerator is a comment route on a service built without the blog.
var errNoModerator = errors.New("admin: no comment moderator configured")

// ListComments returns a page of the comments of every article
// (content.AdminComments; a scan of the threads). Errors: its FieldErrors.
func (s *Service) ListComments(ctx context.Context, q content.AdminCommentQuery) (content.Page[content.AdminComment], error) {
	if s.d.Comments == nil {
		return content.Page[content.AdminComment]{}, errNoModerator
	}
	return s.d.Comments.AdminComments(ctx, q)
}

// ModerateComment sets the state of comment commentID of article
// articleID (visible, held, hidden, spam or deleted) and records it in the
// audit log (target "<article>/<comment>"); the same state again is
// neither applied nor recorded. It returns the comment after. Errors: the
// Moderator's.
func (s *Service) ModerateComment(ctx context.Context, a Actor, articleID, commentID, state string) (content.Comment, error) {
	if s.d.Comments == nil {
		return content.Comment{}, errNoModerator
	}
	before, after, err := s.d.Comments.SetCommentState(ctx, articleID, commentID, state)
	if err != nil {
		return content.Comment{}, err
	}
	if before.State != after.State {
		s.record(ctx, a, models.AuditEntry{Action: ActionCommentState, TargetType: "comment", Target: articleID + "/" + commentID,
			Before: map[string]any{"state": before.State}, After: map[string]any{"state": after.State}})
	}
	return after, nil
}

// CommentAction applies action (approve, hide, spam, delete) to comment
// commentID of article articleID: ModerateComment with the action's state.
// Errors: a FieldError naming action; the Moderator's.
func (s *Service) CommentAction(ctx context.Context, a Actor, articleID, commentID, action string) (content.Comment, error) {
	state, ok := CommentActions[action]
	if !ok {
		return content.Comment{}, services.Invalid("action", "must be one of approve, hide, spam, delete")
	}
	return s.ModerateComment(ctx, a, articleID, commentID, state)
}

// BulkResult is what a bulk action did to one id: Err nil when it stands
// (Changed false when the comment was already in the state).
type BulkResult struct {
	ID      string
	Changed bool
	Err     error
}

// BulkComments applies action to every id ("<article id>/<comment id>",
// 1 to MaxBulk of them) in order, after re-checking the admin's password
// (md5 hex, as at login). Each id is applied on its own (one write of its
// thread and of the article's count): a bad id fails only its own result,
// and leaves nothing written for it. Each changed comment leaves its own
// audit entry. Errors (nothing applied): a FieldError naming action, ids
// or password; the guard's refusal.
func (s *Service) BulkComments(ctx context.Context, a Actor, action string, ids []string, password string) ([]BulkResult, error) {
	if s.d.Comments == nil {
		return nil, errNoModerator
	}
	if _, ok := CommentActions[action]; !ok {
		return nil, services.Invalid("action", "must be one of approve, hide, spam, delete")
	}
	if len(ids) == 0 || len(ids) > MaxBulk {
		return nil, services.Invalid("ids", "must list 1 to 100 comments")
	}
	if err := s.CheckPassword(ctx, a, password); err != nil {
		return nil, err
	}
	out := make([]BulkResult, len(ids))
	for i, id := range ids {
		out[i].ID = id
		article, comment, ok := strings.Cut(id, "/")
		if !ok || article == "" || comment == "" || strings.Contains(comment, "/") {
			out[i].Err = ErrCommentRef
			continue
		}
		before, after, err := s.d.Comments.SetCommentState(ctx, article, comment, CommentActions[action])
		if err != nil {
			out[i].Err = err
			var fe *services.FieldError
			if !errors.Is(err, content.ErrCommentNotFound) && !errors.As(err, &fe) {
				s.d.Logger.ErrorContext(ctx, "bulk comment action failed", "request_id", a.RequestID, "id", id, "err", err.Error())
			}
			continue
		}
		if out[i].Changed = before.State != after.State; out[i].Changed {
			s.record(ctx, a, models.AuditEntry{Action: ActionCommentState, TargetType: "comment", Target: id,
				Before: map[string]any{"state": before.State}, After: map[string]any{"state": after.State}})
		}
	}
	return out, nil
}

// BanCommenter bans the user id from commenting (banned true, for reason,
// at most MaxReason characters) or lifts the ban. The ban is a field of
// the user document, which the access-token check reads on every request,
// so the public comment route refuses the user's next comment without any
// other read. With hideExisting, the user's visible and held comments are
// hidden too (a scan of the comment threads; the articles' `review`
// follows); lifting a ban does not show them again. One audit entry
// (user.commentBan: commentBanned, commentBanReason, and commentsHidden
// when some were hidden); nothing changed, nothing recorded. It returns
// the user and how many comments it hid. Errors: FieldError (reason);
// ErrUserNotFound; ErrUserDeleted; ErrBusy; ErrUnavailable; the
// Moderator's (the ban then stands and is recorded with what was hidden;
// a retry hides the rest).
func (s *Service) BanCommenter(ctx context.Context, a Actor, id string, banned, hideExisting bool, reason string) (User, int, error) {
	if s.d.Comments == nil {
		return User{}, 0, errNoModerator
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > MaxReason {
		return User{}, 0, services.Invalid("reason", "must be at most 200 characters")
	}
	if !banned {
		reason = ""
	}
	u, f, err := s.apply(ctx, id, func(u models.User) (models.UserChange, fields) {
		var f fields
		f.add("commentBanned", u.CommentBanned, banned)
		f.add("commentBanReason", u.CommentBanReason, reason)
		return models.UserChange{CommentBanned: &banned, CommentBanReason: &reason}, f
	})
	if err != nil {
		return User{}, 0, err
	}
	hidden := 0
	if banned && hideExisting {
		hidden, err = s.d.Comments.HideCommentsOf(ctx, id)
		if hidden > 0 {
			f.add("commentsHidden", 0, hidden)
		}
	}
	if f.after != nil {
		s.record(ctx, a, models.AuditEntry{Action: ActionCommentBan, TargetType: "user", Target: id,
			Before: f.before, After: f.after, Reason: reason})
	}
	if err != nil {
		return User{}, hidden, err
	}
	return userOf(u), hidden, nil
}
