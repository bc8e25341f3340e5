package admin

import (
	"context"
	"errors"

	"github.com/blogapi/blogapi/models"
)

// Moderator sets the moderation state of a comment (content.Service):
// "visible" approves, "held" holds, "hidden" hides; the article's comment
// count follows. Its errors are content's sentinels (article or comment
// not found, a state outside the set).
type Moderator interface {
	Moderate(ctx context.Context, articleID, commentID, state string) error
}

// ActionCommentState is the audit action of a moderation.
const ActionCommentState = "comment.state"

// errNoModerator is ModerateComment on a service built without the blog.
var errNoModerator = errors.New("admin: no comment moderator configured")

// ModerateComment sets the state of comment commentID of article
// articleID (visible, held or hidden) and records it in the audit log
// (target "<article>/<comment>"). Errors: the Moderator's.
func (s *Service) ModerateComment(ctx context.Context, a Actor, articleID, commentID, state string) error {
	if s.d.Comments == nil {
		return errNoModerator
	}
	if err := s.d.Comments.Moderate(ctx, articleID, commentID, state); err != nil {
		return err
	}
	s.record(ctx, a, models.AuditEntry{Action: ActionCommentState, TargetType: "comment", Target: articleID + "/" + commentID,
		After: map[string]any{"state": state}})
	return nil
}
