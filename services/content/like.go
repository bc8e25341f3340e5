package content

import (
	"context"
	"errors"
	"fmt"

	"github.com/blogapi/blogapi/models"
)

// Like records that v likes article id and counts it in `praise`. Only
// public articles can be liked (others are ErrArticleNotFound); a second
// like is ErrAlreadyLiked.
func (s *Service) Like(ctx context.Context, v Viewer, id string) error {
	if v.ID == "" {
		return ErrNotWriter
	}
	a, err := s.st.Articles.ByID(ctx, id)
	if err != nil {
		return notFound(err, ErrArticleNotFound)
	}
	if !newEntryPublic(a, s.nowMs()) {
		return ErrArticleNotFound
	}
	if err := s.st.Likes.Add(ctx, v.ID, id, s.nowMs()); err != nil {
		if errors.Is(err, models.ErrDuplicate) {
			return ErrAlreadyLiked
		}
		return err
	}
	if err := s.st.Articles.Inc(ctx, id, models.ArticleCounters{Praise: 1}); err != nil {
		// praise must stay the number of likes: take the like back.
		if _, rerr := s.st.Likes.Remove(context.WithoutCancel(ctx), v.ID, id); rerr != nil {
			return fmt.Errorf("%w (and the like could not be taken back: %v)", err, rerr)
		}
		return notFound(err, ErrArticleNotFound)
	}
	return nil
}

// Unlike removes v's like of article id; unliking what v does not like is
// no error.
func (s *Service) Unlike(ctx context.Context, v Viewer, id string) error {
	if v.ID == "" {
		return ErrNotWriter
	}
	removed, err := s.st.Likes.Remove(ctx, v.ID, id)
	if err != nil || !removed {
		return err
	}
	if err := s.st.Articles.Inc(ctx, id, models.ArticleCounters{Praise: -1}); err != nil && !errorsIsNotFound(err) {
		return err
	}
	return nil
}

// Likes reports whether v likes article id (false when anonymous).
func (s *Service) Likes(ctx context.Context, v Viewer, id string) (bool, error) {
	if v.ID == "" {
		return false, nil
	}
	return s.st.Likes.Has(ctx, v.ID, id)
}
