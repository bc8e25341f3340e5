package content

import (
	"cmp"
	"context"
	"strings"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
)

// Page sizes: the original's default, and the cap (docs/blog.md).
const (
	DefaultPageSize = 15
	MaxPageSize     = 100
	// HotSize is the fixed length of the hot list.
	HotSize = 10
	// MaxKeywordRunes bounds a search keyword.
	MaxKeywordRunes = 64
)

// PageRequest is a page number (from 1) and size as the client sent them;
// Clamp makes them valid.
type PageRequest struct{ Page, Size int }

// Clamp returns r with Page ≥ 1 and Size within 1..MaxPageSize (an unset
// or invalid size is DefaultPageSize).
func (r PageRequest) Clamp() PageRequest {
	if r.Page < 1 {
		r.Page = 1
	}
	switch {
	case r.Size < 1:
		r.Size = DefaultPageSize
	case r.Size > MaxPageSize:
		r.Size = MaxPageSize
	}
	return r
}

// Page is one page of a list: Items of Total, page Current (from 1) of
// Size. A page past the end has no items.
type Page[T any] struct {
	Items   []T
	Total   int
	Size    int
	Current int
}

// Count is the number of pages (at least 1, as the original's pageCount).
func (p Page[T]) Count() int { return max(1, (p.Total+p.Size-1)/p.Size) }

// Prev is the previous page number, or 0 on the first.
func (p Page[T]) Prev() int {
	if p.Current > 1 {
		return min(p.Current-1, p.Count())
	}
	return 0
}

// Next is the next page number, or 0 on the last.
func (p Page[T]) Next() int {
	if p.Current < p.Count() {
		return p.Current + 1
	}
	return 0
}

// paginate cuts page r out of all.
func paginate[T any](all []T, r PageRequest) Page[T] {
	r = r.Clamp()
	p := Page[T]{Total: len(all), Size: r.Size, Current: r.Page, Items: []T{}}
	start := (r.Page - 1) * r.Size
	if start < len(all) {
		p.Items = all[start:min(start+r.Size, len(all))]
	}
	return p
}

// ListQuery selects public articles: by category and tag (exact names;
// empty: any).
type ListQuery struct {
	Category, Tag string
	Page          PageRequest
}

// List returns a page of public articles, newest first (GET /articles).
func (s *Service) List(ctx context.Context, q ListQuery) (Page[Article], error) {
	if err := s.cat.refresh(ctx); err != nil {
		return Page[Article]{}, err
	}
	now := s.nowMs()
	return pageOf(s.cat.page(func(e *entry) bool {
		return e.public(now) && (q.Category == "" || e.a.Category == q.Category) && (q.Tag == "" || hasTag(e.a.Tags, q.Tag))
	}, nil, q.Page.Clamp())), nil
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Recommend returns a page of public articles, `toped` first, then by the
// admin's weight (higher first), then by the time-decayed score
// (docs/blog.md, "Reads").
func (s *Service) Recommend(ctx context.Context, r PageRequest) (Page[Article], error) {
	if err := s.cat.refresh(ctx); err != nil {
		return Page[Article]{}, err
	}
	now := s.nowMs()
	return pageOf(s.cat.page(func(e *entry) bool { return e.public(now) }, func(a, b *models.Article) int {
		if a.Toped != b.Toped {
			if a.Toped {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.Weight, a.Weight); c != 0 {
			return c
		}
		if c := cmp.Compare(score(b, now), score(a, now)); c != 0 {
			return c
		}
		return newest(a, b)
	}, r.Clamp())), nil
}

// Hot returns the HotSize public articles most read, then most commented.
func (s *Service) Hot(ctx context.Context) ([]Article, error) {
	if err := s.cat.refresh(ctx); err != nil {
		return nil, err
	}
	now := s.nowMs()
	p := s.cat.page(func(e *entry) bool { return e.public(now) }, func(a, b *models.Article) int {
		if c := cmp.Compare(b.Read, a.Read); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Review, a.Review); c != 0 {
			return c
		}
		return newest(a, b)
	}, PageRequest{Page: 1, Size: HotSize})
	return pageOf(p).Items, nil
}

// SearchQuery is a search: Keyword a literal, case-insensitive substring
// of the title, summary or text (at most MaxKeywordRunes); Tag an exact
// tag. With both, an article must match both; with neither, every public
// article matches.
type SearchQuery struct {
	Keyword, Tag string
	Page         PageRequest
}

// Search returns a page of the public articles q matches, newest first.
// Errors: a FieldError about `keyword` when it is too long.
func (s *Service) Search(ctx context.Context, q SearchQuery) (Page[Article], error) {
	kw := strings.ToLower(strings.TrimSpace(q.Keyword))
	if utf8.RuneCountInString(kw) > MaxKeywordRunes {
		return Page[Article]{}, services.Invalid("keyword", "must be at most 64 characters")
	}
	if err := s.cat.refresh(ctx); err != nil {
		return Page[Article]{}, err
	}
	now := s.nowMs()
	return pageOf(s.cat.page(func(e *entry) bool {
		if !e.public(now) || (q.Tag != "" && !hasTag(e.a.Tags, q.Tag)) {
			return false
		}
		return kw == "" || strings.Contains(e.title, kw) || strings.Contains(e.sum, kw) || strings.Contains(e.plain, kw)
	}, nil, q.Page.Clamp())), nil
}

// ByAuthor returns a page of the public articles of user id, newest
// first (GET /user/:id/article).
func (s *Service) ByAuthor(ctx context.Context, id string, r PageRequest) (Page[Article], error) {
	if err := s.cat.refresh(ctx); err != nil {
		return Page[Article]{}, err
	}
	now := s.nowMs()
	return pageOf(s.cat.page(func(e *entry) bool { return e.a.AuthorID == id && e.public(now) }, nil, r.Clamp())), nil
}

// Drafts returns a page of v's drafts, last changed first.
func (s *Service) Drafts(ctx context.Context, v Viewer, r PageRequest) (Page[Article], error) {
	if err := s.cat.refresh(ctx); err != nil {
		return Page[Article]{}, err
	}
	return pageOf(s.cat.page(func(e *entry) bool {
		return v.ID != "" && e.a.AuthorID == v.ID && e.a.Status == models.ArticleDraft
	}, func(a, b *models.Article) int {
		if c := cmp.Compare(max(b.Revised, b.Created), max(a.Revised, a.Created)); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	}, r.Clamp())), nil
}

// Liked returns a page of the public articles user id likes, last liked
// first (GET /user/:id/like).
func (s *Service) Liked(ctx context.Context, id string, r PageRequest) (Page[Article], error) {
	all, err := s.liked(ctx, id)
	if err != nil {
		return Page[Article]{}, err
	}
	return pageOf(paginate(all, r)), nil
}

func (s *Service) liked(ctx context.Context, id string) ([]models.Article, error) {
	likes, err := s.st.Likes.OfUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.cat.refresh(ctx); err != nil {
		return nil, err
	}
	now := s.nowMs()
	out := make([]models.Article, 0, len(likes))
	for _, l := range likes {
		if a, ok := s.cat.get(l.Article); ok && newEntryPublic(a, now) {
			out = append(out, a)
		}
	}
	return out, nil
}

func newEntryPublic(a models.Article, nowMs int64) bool { return (&entry{a: a}).public(nowMs) }

// Latest returns the n public articles published last (feeds, sitemap;
// n ≤ 0: all).
func (s *Service) Latest(ctx context.Context, n int) ([]Article, error) {
	if err := s.cat.refresh(ctx); err != nil {
		return nil, err
	}
	now := s.nowMs()
	if n <= 0 {
		n = MaxPageSize
	}
	p := s.cat.page(func(e *entry) bool { return e.public(now) }, nil, PageRequest{Page: 1, Size: n})
	return pageOf(p).Items, nil
}
