package controllers

import (
	"errors"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/content"
)

// contentErrors are the content domain's rows of the error table: each
// sentinel's envelope code and message. They move into the one table of
// controllers/response when that package lands.
var contentErrors = []struct {
	err  error
	code int
	msg  string
}{
	{content.ErrArticleNotFound, models.CodeNotFound, "article not found"},
	{content.ErrUserNotFound, models.CodeNotFound, "user not found"},
	{content.ErrCommentNotFound, models.CodeNotFound, "comment not found"},
	{content.ErrNotWriter, models.CodeForbidden, "only authors and admins may publish"},
	{content.ErrNotOwner, models.CodeForbidden, "the article belongs to another user"},
	{content.ErrVersionConflict, models.CodeConflict, "the article changed since it was read; reload it and edit again"},
	{content.ErrAlreadyLiked, models.CodeConflict, "article already liked"},
	{content.ErrDuplicateComment, models.CodeConflict, "the same comment was just posted"},
	{content.ErrCommentRateLimited, models.CodeTooManyRequests, "too many comments; try again later"},
}

// contentErr turns a content domain error into the error the renderer
// answers; anything else passes through (a 500, logged).
func contentErr(err error) error {
	var fe *services.FieldError
	if errors.As(err, &fe) && fe.Err == nil {
		return models.FieldErr(fe.Field, fe.Field+" "+fe.Reason)
	}
	for _, row := range contentErrors {
		if errors.Is(err, row.err) {
			ae := models.NewError(row.code, row.msg)
			var rl *services.RetryLater
			if errors.As(err, &rl) {
				ae.RetryAfter = rl.RetryAfter
			}
			return ae
		}
	}
	return err
}
