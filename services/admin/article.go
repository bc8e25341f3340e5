package admin

import (
	"context"
	"errors"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services/content"
)

// Articles are the blog's articles as the admin manages them
// (content.Service). Errors are content's (article not found, a value
// outside its set).
type Articles interface {
	Manage(ctx context.Context, q content.ManageQuery) (content.Page[content.Article], error)
	SetStatus(ctx context.Context, id, status string) (before, after content.Article, err error)
	SetFlags(ctx context.Context, id string, f content.Flags) (before, after content.Article, err error)
	Purge(ctx context.Context, id string) (content.Purged, error)
}

// Audit actions of the article routes.
const (
	ActionArticleStatus = "article.status"
	ActionArticleFlags  = "article.flags"
	ActionArticlePurge  = "article.purge"
)

// errNoArticles is an article route on a service built without the blog.
var errNoArticles = errors.New("admin: no article service configured")

// ListArticles returns a page of every article, whatever its status.
func (s *Service) ListArticles(ctx context.Context, q content.ManageQuery) (content.Page[content.Article], error) {
	if s.d.Articles == nil {
		return content.Page[content.Article]{}, errNoArticles
	}
	return s.d.Articles.Manage(ctx, q)
}

// SetArticleStatus sets the status of article id (online, draft, delete;
// online or draft restores a deleted one) and records it; the same status
// again is neither applied nor recorded.
func (s *Service) SetArticleStatus(ctx context.Context, a Actor, id, status string) (content.Article, error) {
	if s.d.Articles == nil {
		return content.Article{}, errNoArticles
	}
	before, after, err := s.d.Articles.SetStatus(ctx, id, status)
	if err != nil {
		return content.Article{}, err
	}
	if before.Status != after.Status {
		s.record(ctx, a, models.AuditEntry{Action: ActionArticleStatus, TargetType: "article", Target: id,
			Before: map[string]any{"status": before.Status}, After: map[string]any{"status": after.Status}})
	}
	return after, nil
}

// SetArticleFlags sets the toped and hotted marks and the recommendation
// weight of article id (nil: kept) and records the changed ones.
func (s *Service) SetArticleFlags(ctx context.Context, a Actor, id string, f content.Flags) (content.Article, error) {
	if s.d.Articles == nil {
		return content.Article{}, errNoArticles
	}
	before, after, err := s.d.Articles.SetFlags(ctx, id, f)
	if err != nil {
		return content.Article{}, err
	}
	b, n := map[string]any{}, map[string]any{}
	if before.Toped != after.Toped {
		b["toped"], n["toped"] = before.Toped, after.Toped
	}
	if before.Hotted != after.Hotted {
		b["hotted"], n["hotted"] = before.Hotted, after.Hotted
	}
	if before.Weight != after.Weight {
		b["weight"], n["weight"] = before.Weight, after.Weight
	}
	if len(n) > 0 {
		s.record(ctx, a, models.AuditEntry{Action: ActionArticleFlags, TargetType: "article", Target: id, Before: b, After: n})
	}
	return after, nil
}

// PurgeArticle deletes article id for good after re-checking the admin's
// password (md5 hex): the article, its body, slug, likes (and each liker's
// like list entry) and comment thread (content.Service.Purge, whose order
// a retry completes). One audit entry `article.purge` records what the
// article was. Errors: FieldError (password); the guard's refusal;
// content.ErrArticleNotFound (also for an article already purged).
func (s *Service) PurgeArticle(ctx context.Context, a Actor, id, password string) (content.Purged, error) {
	if s.d.Articles == nil {
		return content.Purged{}, errNoArticles
	}
	if err := s.CheckPassword(ctx, a, password); err != nil {
		return content.Purged{}, err
	}
	p, err := s.d.Articles.Purge(ctx, id)
	if err != nil {
		return content.Purged{}, err
	}
	s.record(ctx, a, models.AuditEntry{Action: ActionArticlePurge, TargetType: "article", Target: id,
		Before: map[string]any{"title": p.Article.Title, "status": p.Article.Status, "author": p.Article.Author.ID,
			"category": p.Article.Category, "slug": p.Article.Slug, "likes": p.Likes, "comments": p.Comments},
		After: map[string]any{"purged": true}})
	return p, nil
}
