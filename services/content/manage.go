package content

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
)

// Admin list statuses: the article statuses, and `private` (a private
// article that is not deleted).
const StatusPrivate = "private"

// ManageQuery selects articles for the admin list, whatever their status
// (docs/admin.md, "Articles"): Status one of models.ArticleOnline,
// ArticleDraft, ArticleDeleted or StatusPrivate (empty: any); Author an
// author id; Category an exact name; Q a case-insensitive substring of the
// title (at most MaxKeywordRunes); Tag an exact tag; From and To bound the
// creation time (ms since the Unix epoch, inclusive; 0: unbounded).
type ManageQuery struct {
	Status, Author, Category, Q, Tag string
	From, To                         int64
	Page                             PageRequest
}

// Manage returns a page of every article, deleted ones included, newest
// first. It reads the whole collection (an admin list may scan). Errors:
// a services.FieldError for a status outside the set or a long q.
func (s *Service) Manage(ctx context.Context, q ManageQuery) (Page[Article], error) {
	switch q.Status {
	case "", models.ArticleOnline, models.ArticleDraft, models.ArticleDeleted, StatusPrivate:
	default:
		return Page[Article]{}, services.Invalid("status", "must be one of online, draft, delete, private")
	}
	if utf8.RuneCountInString(q.Q) > MaxKeywordRunes {
		return Page[Article]{}, services.Invalid("q", "must be at most 64 characters")
	}
	all, err := s.st.Articles.Every(ctx)
	if err != nil {
		return Page[Article]{}, err
	}
	needle := strings.ToLower(q.Q)
	kept := all[:0]
	for _, a := range all {
		switch {
		case q.Status == StatusPrivate && (!a.Private || a.Status == models.ArticleDeleted):
		case q.Status != "" && q.Status != StatusPrivate && a.Status != q.Status:
		case q.Author != "" && a.AuthorID != q.Author:
		case q.Category != "" && a.Category != q.Category:
		case needle != "" && !strings.Contains(strings.ToLower(a.Title), needle):
		case q.Tag != "" && !hasTag(a.Tags, q.Tag):
		case q.From != 0 && a.Created < q.From, q.To != 0 && a.Created > q.To:
		default:
			kept = append(kept, a)
		}
	}
	slices.SortFunc(kept, func(a, b models.Article) int { return newest(&a, &b) })
	return pageOf(paginate(kept, q.Page)), nil
}

// SetStatus moves article id to status (models.ArticleOnline, ArticleDraft
// or ArticleDeleted) whoever its author: online publishes (now, unless it
// was published before), delete deletes softly, online or draft restores a
// deleted article. It returns the article before and after; the same
// status again changes nothing (before == after). Errors:
// ErrArticleNotFound, a services.FieldError naming `status`.
func (s *Service) SetStatus(ctx context.Context, id, status string) (before, after Article, err error) {
	switch status {
	case models.ArticleOnline, models.ArticleDraft, models.ArticleDeleted:
	default:
		return Article{}, Article{}, services.Invalid("status", "must be one of online, draft, delete")
	}
	return s.change(ctx, id, func(a *models.Article) bool {
		if a.Status == status {
			return false
		}
		now := s.nowMs()
		switch status {
		case models.ArticleDeleted:
			a.DeletedAt = now
		case models.ArticleOnline:
			a.DeletedAt = 0
			if a.PublishedAt == 0 {
				a.PublishedAt = now
			}
		default:
			a.DeletedAt = 0
		}
		a.Status = status
		return true
	})
}

// Flags are the admin's marks of an article: nil leaves a mark as it is.
type Flags struct{ Toped, Hotted *bool }

// SetFlags sets the `toped` and `hotted` marks of article id (Recommend
// puts toped articles first). It returns the article before and after;
// before == after when nothing changed. Errors: ErrArticleNotFound.
func (s *Service) SetFlags(ctx context.Context, id string, f Flags) (before, after Article, err error) {
	return s.change(ctx, id, func(a *models.Article) bool {
		changed := false
		if f.Toped != nil && a.Toped != *f.Toped {
			a.Toped, changed = *f.Toped, true
		}
		if f.Hotted != nil && a.Hotted != *f.Hotted {
			a.Hotted, changed = *f.Hotted, true
		}
		return changed
	})
}

// errUnchanged aborts an Update that would change nothing.
var errUnchanged = errors.New("content: unchanged")

// change applies fn to article id; fn reports whether it changed it.
func (s *Service) change(ctx context.Context, id string, fn func(a *models.Article) bool) (before, after Article, err error) {
	var old models.Article
	a, err := s.st.Articles.Update(ctx, id, func(a *models.Article) (*models.ArticleBody, error) {
		old = *a
		if !fn(a) {
			return nil, errUnchanged
		}
		return nil, nil
	})
	if errors.Is(err, errUnchanged) {
		return articleOf(old), articleOf(old), nil
	}
	if err != nil {
		return Article{}, Article{}, notFound(err, ErrArticleNotFound)
	}
	return articleOf(old), articleOf(a), nil
}

// Stats are the content figures of the admin's dashboard: articles by
// status (models.ArticleOnline, ArticleDraft, ArticleDeleted) and the
// private ones that are not deleted; comments by moderation state.
type Stats struct {
	Articles        map[string]int64
	PrivateArticles int64
	Comments        map[string]int64
	ArticlesTotal   int64
	CommentsTotal   int64
	// HeldComments wait for approval.
	HeldComments int64
}

// Stats counts the articles and comments (one scan of each: the admin's
// dashboard, docs/admin.md "Costs").
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	all, err := s.st.Articles.Every(ctx)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{Articles: map[string]int64{}, ArticlesTotal: int64(len(all))}
	for _, a := range all {
		st.Articles[a.Status]++
		if a.Private && a.Status != models.ArticleDeleted {
			st.PrivateArticles++
		}
	}
	if st.Comments, err = s.st.Comments.CountByState(ctx); err != nil {
		return Stats{}, err
	}
	for _, n := range st.Comments {
		st.CommentsTotal += n
	}
	st.HeldComments = st.Comments[models.CommentHeld]
	return st, nil
}

// ArticleStatuses and CommentStates are the values the dashboard counts.
var (
	ArticleStatuses = []string{models.ArticleOnline, models.ArticleDraft, models.ArticleDeleted}
	CommentStates   = []string{models.CommentVisible, models.CommentHeld, models.CommentHidden, models.CommentSpam, models.CommentDeleted}
)
