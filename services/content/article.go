package content

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/media"
)

// Limits of an article's fields (docs/blog.md; the "Bad input").
const (
	MaxTitleRunes   = 120
	MaxContentBytes = 1 << 20
	MaxTags         = 10
	MaxTagRunes     = 20
	MaxSummaryRunes = 500
	MaxURLBytes     = 2048
	MaxSEORunes     = 500
)

// ArticleInput is what a writer sends to publish or edit (the original's
// publish body). Counters, author, weight, `toped`, `hotted` and
// timestamps are not in it: they never come from a request.
type ArticleInput struct {
	Title    string
	Content  string
	Format   string // FormatHTML (default) or FormatMarkdown
	Type     string
	TypeURL  string
	Category string
	Tags     []string
	Cover    string
	Summary  string
	Status   string // models.ArticleDraft (default) or models.ArticleOnline
	Private  bool
	SEO      SEO
	// PublishedAt (ms), when set with status online, schedules the
	// article: it is public from then on.
	PublishedAt int64
	// Version, when not 0, must be the article's current version (edits).
	Version int64
}

// Detail is an article as its page shows it.
type Detail struct {
	Article Article
	// HTML is the sanitised body.
	HTML string
	// IsPraise: the viewer likes the article (false when anonymous).
	IsPraise bool
}

// whitespace collapses runs of whitespace in plain-text fields.
var whitespace = regexp.MustCompile(`\s+`)

// validated is an ArticleInput checked and normalised.
type validated struct {
	in         ArticleInput
	html, text string
}

// validate checks in against the rules and the taxonomy, renders and
// sanitises the content. Errors: a FieldError naming the field.
func (s *Service) validate(ctx context.Context, in ArticleInput) (validated, error) {
	in.Title = strings.TrimSpace(in.Title)
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		return validated{}, services.Invalid("title", "is required")
	case n > MaxTitleRunes:
		return validated{}, services.Invalid("title", "must be at most 120 characters")
	}
	if strings.TrimSpace(in.Content) == "" {
		return validated{}, services.Invalid("content", "is required")
	}
	if len(in.Content) > MaxContentBytes {
		return validated{}, services.Invalid("content", "must be at most 1 MiB")
	}
	switch in.Format {
	case "":
		in.Format = FormatHTML
	case FormatHTML, FormatMarkdown:
	default:
		return validated{}, services.Invalid("format", "must be html or markdown")
	}
	switch in.Status {
	case "":
		in.Status = models.ArticleDraft
	case models.ArticleDraft, models.ArticleOnline:
	default:
		return validated{}, services.Invalid("status", "must be draft or online")
	}
	tags, err := normaliseTags(in.Tags)
	if err != nil {
		return validated{}, err
	}
	in.Tags = tags
	for _, f := range []struct{ name, v string }{{"cover", in.Cover}, {"typeUrl", in.TypeURL}} {
		if err := checkURL(f.name, f.v); err != nil {
			return validated{}, err
		}
	}
	in.Summary = strings.TrimSpace(whitespace.ReplaceAllString(in.Summary, " "))
	if utf8.RuneCountInString(in.Summary) > MaxSummaryRunes {
		return validated{}, services.Invalid("summary", "must be at most 500 characters")
	}
	for _, f := range []struct{ name, v string }{{"seo.title", in.SEO.Title}, {"seo.keywords", in.SEO.Keywords}, {"seo.description", in.SEO.Description}} {
		if utf8.RuneCountInString(f.v) > MaxSEORunes {
			return validated{}, services.Invalid(f.name, "must be at most 500 characters")
		}
	}
	if in.PublishedAt < 0 {
		return validated{}, services.Invalid("publishedAt", "must be a time in ms")
	}
	// A renamed or replaced type, category or tag is taken as the one it
	// moved to (docs/admin.md, "Taxonomy").
	x, err := s.snapshot(ctx)
	if err != nil {
		return validated{}, err
	}
	if err := x.resolve(&in); err != nil {
		return validated{}, err
	}
	html, text, err := s.render.render(in.Content, in.Format)
	if err != nil {
		return validated{}, services.Invalid("content", "cannot be rendered")
	}
	if in.Summary == "" {
		in.Summary = truncateRunes(text, summaryRunes)
	}
	return validated{in: in, html: html, text: text}, nil
}

// normaliseTags trims tags, drops empty ones and duplicates, and checks
// the limits.
func normaliseTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(whitespace.ReplaceAllString(t, " "))
		if t == "" || slices.Contains(out, t) {
			continue
		}
		if utf8.RuneCountInString(t) > MaxTagRunes {
			return nil, services.Invalid("tags", "each tag must be at most 20 characters")
		}
		out = append(out, t)
	}
	if len(out) > MaxTags {
		return nil, services.Invalid("tags", "at most 10 tags")
	}
	return out, nil
}

// checkURL accepts "", a relative URL or an http(s) URL.
func checkURL(field, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if len(v) > MaxURLBytes || err != nil || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		return services.Invalid(field, "must be an http(s) URL")
	}
	return nil
}

// Publish stores a new article of v: a draft, or online (public now, or
// from in.PublishedAt). Errors: ErrNotWriter, FieldError.
func (s *Service) Publish(ctx context.Context, v Viewer, in ArticleInput) (Detail, error) {
	if !v.CanPublish() {
		return Detail{}, ErrNotWriter
	}
	val, err := s.validate(ctx, in)
	if err != nil {
		return Detail{}, err
	}
	now := s.nowMs()
	a := models.Article{
		Slug: makeSlug(val.in.Title), Created: now, AuthorID: v.ID,
		Author: models.ArticleAuthor{ID: v.ID, Nick: v.Nick, Cover: v.Cover, Type: v.Type, Level: v.Level},
	}
	apply(&a, val.in, now)
	if err := s.st.Taxonomy.EnsureTags(ctx, a.Tags, now); err != nil {
		return Detail{}, err
	}
	body := models.ArticleBody{HTML: val.html, Plain: val.text}
	if val.in.Format == FormatMarkdown {
		body.Markdown = val.in.Content
	}
	if err := s.st.Articles.Create(ctx, &a, body); err != nil {
		return Detail{}, err
	}
	a = s.settle(ctx, a)
	s.useImages(ctx, v, val)
	return Detail{Article: articleOf(a), HTML: val.html}, nil
}

// useImages marks the uploads the article shows used (docs/uploads.md), so
// the staged sweep keeps them. The article is stored already: a failure
// is logged, not answered (the images are swept a day later unless the
// article is saved again).
func (s *Service) useImages(ctx context.Context, v Viewer, val validated) {
	if s.cfg.Uploads == nil {
		return
	}
	urls := append(media.ImageURLs(val.html), val.in.Cover)
	if err := s.cfg.Uploads.UseAll(ctx, media.Actor{ID: v.ID, Admin: v.IsAdmin()}, urls...); err != nil {
		s.log.WarnContext(ctx, "article images not marked used", "author", v.ID, "err", err.Error())
	}
}

// apply copies the writable fields of in onto a; the first time a goes
// online it gets its publication time.
func apply(a *models.Article, in ArticleInput, now int64) {
	a.Title, a.Summary, a.Cover, a.Type, a.TypeURL = in.Title, in.Summary, in.Cover, in.Type, in.TypeURL
	a.Category, a.Tags, a.SEO, a.Private, a.Status = in.Category, in.Tags, models.ArticleSEO(in.SEO), in.Private, in.Status
	if a.Status == models.ArticleOnline {
		switch {
		case in.PublishedAt > 0:
			a.PublishedAt = in.PublishedAt
		case a.PublishedAt == 0:
			a.PublishedAt = now
		}
	}
}

// Edit changes article id as in says. Only its author and admins may;
// others get ErrNotOwner (a public article) or ErrArticleNotFound (one
// they cannot see). The slug follows the title while the article has
// never been online. Errors: ErrVersionConflict when in.Version is set
// and stale, FieldError, ErrNotWriter.
func (s *Service) Edit(ctx context.Context, v Viewer, id string, in ArticleInput) (Detail, error) {
	if v.ID == "" {
		return Detail{}, ErrNotWriter
	}
	val, err := s.validate(ctx, in)
	if err != nil {
		if cur, ferr := s.manageable(ctx, v, id); ferr != nil {
			return Detail{}, ferr // no field errors about an article the caller cannot see
		} else if in.Version != 0 && cur.Version != in.Version {
			return Detail{}, ErrVersionConflict
		}
		return Detail{}, err
	}
	now := s.nowMs()
	body := models.ArticleBody{HTML: val.html, Plain: val.text}
	if val.in.Format == FormatMarkdown {
		body.Markdown = val.in.Content
	}
	a, err := s.st.Articles.Update(ctx, id, func(a *models.Article) (*models.ArticleBody, error) {
		if err := checkManage(v, *a); err != nil {
			return nil, err
		}
		if val.in.Version != 0 && a.Version != val.in.Version {
			return nil, ErrVersionConflict
		}
		if a.PublishedAt == 0 && val.in.Title != a.Title {
			a.Slug = makeSlug(val.in.Title)
		}
		apply(a, val.in, now)
		a.Revised = now
		return &body, nil
	})
	if err != nil {
		return Detail{}, notFound(err, ErrArticleNotFound)
	}
	if err := s.st.Taxonomy.EnsureTags(ctx, a.Tags, now); err != nil {
		return Detail{}, err
	}
	a = s.settle(ctx, a)
	s.useImages(ctx, v, val)
	return Detail{Article: articleOf(a), HTML: val.html}, nil
}

// checkManage says whether v may change a: ErrArticleNotFound for a
// deleted article, or one v may not see; ErrNotOwner for another's public
// one.
func checkManage(v Viewer, a models.Article) error {
	switch {
	case a.Status == models.ArticleDeleted && !v.IsAdmin():
		return ErrArticleNotFound
	case v.mayManage(a):
		return nil
	case a.Status == models.ArticleOnline && !a.Private:
		return ErrNotOwner
	}
	return ErrArticleNotFound
}

// manageable returns article id when v may change it.
func (s *Service) manageable(ctx context.Context, v Viewer, id string) (models.Article, error) {
	a, err := s.st.Articles.ByID(ctx, id)
	if err != nil {
		return models.Article{}, notFound(err, ErrArticleNotFound)
	}
	if err := checkManage(v, a); err != nil {
		return models.Article{}, err
	}
	return a, nil
}

// Delete moves article id to status delete (soft; the admin side
// restores). Errors as Edit's; a deleted article is ErrArticleNotFound.
func (s *Service) Delete(ctx context.Context, v Viewer, id string) error {
	if v.ID == "" {
		return ErrNotWriter
	}
	now := s.nowMs()
	_, err := s.st.Articles.Update(ctx, id, func(a *models.Article) (*models.ArticleBody, error) {
		if a.Status == models.ArticleDeleted {
			return nil, ErrArticleNotFound
		}
		if err := checkManage(v, *a); err != nil {
			return nil, err
		}
		a.Status, a.DeletedAt = models.ArticleDeleted, now
		return nil, nil
	})
	return notFound(err, ErrArticleNotFound)
}

// find returns the article idOrSlug names: an id first, then a slug.
func (s *Service) find(ctx context.Context, idOrSlug string) (models.Article, error) {
	a, err := s.st.Articles.ByID(ctx, idOrSlug)
	if errors.Is(err, models.ErrNotFound) {
		a, err = s.st.Articles.BySlug(ctx, idOrSlug)
	}
	return a, notFound(err, ErrArticleNotFound)
}

// visible reports whether v may read a at nowMs.
func visible(v Viewer, a models.Article, nowMs int64) bool {
	return newEntryPublic(a, nowMs) || v.mayManage(a)
}

// Detail returns the article idOrSlug (its id or slug) for v, counting a
// view of client (an opaque key: the user, else the client's network) on
// a public article. Drafts, private, scheduled and deleted articles are
// ErrArticleNotFound to anyone but their author and admins.
func (s *Service) Detail(ctx context.Context, v Viewer, idOrSlug, client string) (Detail, error) {
	a, err := s.find(ctx, idOrSlug)
	if err != nil {
		return Detail{}, err
	}
	now := s.nowMs()
	if !visible(v, a, now) {
		return Detail{}, ErrArticleNotFound
	}
	body, err := s.st.Articles.Body(ctx, a.ID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return Detail{}, err
	}
	d := Detail{Article: articleOf(a), HTML: body.HTML}
	if v.ID != "" {
		if d.IsPraise, err = s.st.Likes.Has(ctx, v.ID, a.ID); err != nil {
			return Detail{}, err
		}
	}
	if newEntryPublic(a, now) && s.reads.count(client, a.ID, s.now()) {
		s.cat.addRead(a.ID, 1)
	}
	return d, nil
}
