// Package content holds the blog's use-cases: publishing, editing and
// reading articles, the public lists (served from an in-process catalogue,
// docs/blog.md "Reads"), likes, comments with moderation, and the taxonomy.
// It returns domain errors (the sentinels below, services.FieldError,
// services.RetryLater); the HTTP side maps them to codes.
package content

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services/media"
)

// Sentinels of the content domain.
var (
	// ErrArticleNotFound: no such article, or one the caller may not see
	// (a draft, private or deleted article of someone else): the same
	// answer for both.
	ErrArticleNotFound = errors.New("article not found")
	// ErrNotWriter: the caller's user type may not publish (only admin and
	// author may).
	ErrNotWriter = errors.New("user type may not publish")
	// ErrNotOwner: the article is someone else's and the caller is not an
	// admin.
	ErrNotOwner = errors.New("article belongs to another user")
	// ErrVersionConflict: the edit named a version that is not the
	// article's current one (it changed since the client read it).
	ErrVersionConflict = errors.New("article changed since it was read")
	// ErrAlreadyLiked: the caller already likes the article.
	ErrAlreadyLiked = errors.New("article already liked")
	// ErrDuplicateComment: the same text by the same user on the same
	// article within a minute.
	ErrDuplicateComment = errors.New("duplicate comment")
	// ErrCommentRateLimited: too many comments by the user (wrapped in a
	// services.RetryLater).
	ErrCommentRateLimited = errors.New("too many comments")
	// ErrUserNotFound: no such user (author pages).
	ErrUserNotFound = errors.New("user not found")
	// ErrCommentNotFound: no such comment on the article (moderation).
	ErrCommentNotFound = errors.New("comment not found")
	// ErrNotModerator: only admins and the article's author moderate its
	// comments.
	ErrNotModerator = errors.New("user may not moderate these comments")
)

// User types that may publish (models.TypeAdmin is the other).
const TypeAuthor = "author"

// Viewer is who makes a request: the zero Viewer is anonymous.
type Viewer struct {
	ID    string
	Type  string
	Nick  string
	Cover string
	Level int
	// CommentBanned: an admin banned the user from commenting (their new
	// comments are refused with ErrCommentBanned).
	CommentBanned bool
}

// ViewerOf is the viewer a logged-in user is.
func ViewerOf(u models.User) Viewer {
	return Viewer{ID: u.ID.Hex(), Type: u.Type, Nick: u.Nick, Cover: u.Avatar, Level: u.Level, CommentBanned: u.CommentBanned}
}

// IsAdmin reports an admin.
func (v Viewer) IsAdmin() bool { return v.ID != "" && v.Type == models.TypeAdmin }

// CanPublish reports a user type that may publish.
func (v Viewer) CanPublish() bool { return v.IsAdmin() || (v.ID != "" && v.Type == TypeAuthor) }

// mayManage reports whether v may see and change a, whatever its status.
func (v Viewer) mayManage(a models.Article) bool {
	return v.IsAdmin() || (v.ID != "" && v.ID == a.AuthorID)
}

// The stores the service uses, declared here as it uses them.
type (
	// ArticleStore is models.ArticleStore.
	ArticleStore interface {
		Create(ctx context.Context, a *models.Article, body models.ArticleBody) error
		ByID(ctx context.Context, id string) (models.Article, error)
		BySlug(ctx context.Context, slug string) (models.Article, error)
		Body(ctx context.Context, id string) (models.ArticleBody, error)
		Update(ctx context.Context, id string, fn func(a *models.Article) (*models.ArticleBody, error)) (models.Article, error)
		Inc(ctx context.Context, id string, c models.ArticleCounters) error
		Changes(ctx context.Context) (models.ArticleChanges, error)
		All(ctx context.Context) ([]models.Article, error)
		Every(ctx context.Context) ([]models.Article, error)
		PlainTexts(ctx context.Context, fn func(id, plain string)) error
	}
	// LikeStore is models.LikeStore.
	LikeStore interface {
		Add(ctx context.Context, user, article string, at int64) error
		Remove(ctx context.Context, user, article string) (bool, error)
		Has(ctx context.Context, user, article string) (bool, error)
		OfUser(ctx context.Context, user string) ([]models.LikedArticle, error)
	}
	// CommentStore is models.CommentStore.
	CommentStore interface {
		Thread(ctx context.Context, article string) ([]models.Comment, error)
		Add(ctx context.Context, article string, build func([]models.Comment) (models.Comment, error)) (models.Comment, error)
		SetStates(ctx context.Context, article string, decide func([]models.Comment) (map[string]string, error)) ([]models.Comment, error)
		EachThread(ctx context.Context, fn func(article string, comments []models.Comment) error) error
		Approved(ctx context.Context, user string) (bool, error)
		MarkApproved(ctx context.Context, user string, at int64) error
		CountByState(ctx context.Context) (map[string]int64, error)
	}
	// TaxonomyStore is models.TaxonomyStore.
	TaxonomyStore interface {
		Types(ctx context.Context) ([]models.ArticleType, error)
		Categories(ctx context.Context) ([]models.Category, error)
		Tags(ctx context.Context) ([]models.Tag, error)
		EnsureTags(ctx context.Context, names []string, at int64) error
		// The admin's changes (taxonomy_manage.go).
		Type(ctx context.Context, identify string) (models.ArticleType, error)
		Category(ctx context.Context, name string) (models.Category, error)
		Tag(ctx context.Context, name string) (models.Tag, error)
		PutType(ctx context.Context, t models.ArticleType) error
		PutCategory(ctx context.Context, c models.Category) error
		PutTag(ctx context.Context, t models.Tag) error
		ChangeType(ctx context.Context, identify string, fn func(*models.ArticleType) error) (before, after models.ArticleType, err error)
		ChangeCategory(ctx context.Context, name string, fn func(*models.Category) error) (before, after models.Category, err error)
		ChangeTag(ctx context.Context, name string, fn func(*models.Tag) error) (before, after models.Tag, err error)
		RemoveType(ctx context.Context, identify string) error
		RemoveCategory(ctx context.Context, name string) error
		RemoveTag(ctx context.Context, name string) error
	}
	// UserStore finds users (reply targets, author pages).
	UserStore interface {
		ByID(ctx context.Context, hexID string) (models.User, error)
	}
	// RateLimiter counts one hit of key and says how long to wait when
	// the hit is over the limit (0: allowed).
	RateLimiter interface {
		Hit(ctx context.Context, key string) (time.Duration, error)
	}
)

// Stores are the stores of a Service.
type Stores struct {
	Articles ArticleStore
	Likes    LikeStore
	Comments CommentStore
	Taxonomy TaxonomyStore
	Users    UserStore
	// Banners keeps the home page's banners (nil: none).
	Banners BannerStore
}

// Comment moderation modes (content.comment_moderation).
const (
	ModerationOff   = "off"   // comments are visible at once
	ModerationFirst = "first" // a user's comments wait until one was approved
	ModerationAll   = "all"   // every comment waits for approval
)

// Config are the content rules that are settings.
type Config struct {
	// Moderation is ModerationOff, ModerationFirst (the default when
	// empty) or ModerationAll.
	Moderation string
	// CommentRate limits comments per user (nil: no limit).
	CommentRate RateLimiter
	// ReadWindow: a client's views of one article count once per window
	// (0: one hour).
	ReadWindow time.Duration
	// FlushEvery is how often counted reads are written (0: 5 s).
	FlushEvery time.Duration
	// Uploads keeps the uploads an article shows (its cover, the images of
	// its content) from the staged sweep (nil: no uploads).
	Uploads Uploads
}

// Uploads is what articles need of the media service (media.Service):
// UseAll marks used the urls that are the actor's uploads and skips the
// others.
type Uploads interface {
	UseAll(ctx context.Context, a media.Actor, urls ...string) error
}

// Service is the content use-cases. Safe for concurrent use; Run flushes
// counted reads, Close flushes what is left.
type Service struct {
	st     Stores
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	cat    *catalogue
	reads  *readCounter
	render *renderer
	// tax serialises the admin's taxonomy changes in this process
	// (taxonomy_manage.go).
	tax sync.Mutex
}

// New returns the service over st. now is the clock every rule reads.
func New(st Stores, cfg Config, now func() time.Time, log *slog.Logger) *Service {
	if cfg.Moderation == "" {
		cfg.Moderation = ModerationFirst
	}
	if cfg.ReadWindow <= 0 {
		cfg.ReadWindow = time.Hour
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = 5 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{st: st, cfg: cfg, now: now, log: log}
	s.reads = newReadCounter(cfg.ReadWindow)
	s.cat = newCatalogue(st.Articles, s.reads.pendingFor)
	s.render = newRenderer()
	return s
}

// nowMs is the clock in ms since the Unix epoch.
func (s *Service) nowMs() int64 { return s.now().UnixMilli() }

// notFound turns the store's ErrNotFound into as, and its ErrConflict
// (another instance wrote the article meanwhile) into ErrVersionConflict.
func notFound(err, as error) error {
	switch {
	case errors.Is(err, models.ErrNotFound):
		return as
	case errors.Is(err, models.ErrConflict):
		return ErrVersionConflict
	}
	return err
}

func errorsIsNotFound(err error) bool { return errors.Is(err, models.ErrNotFound) }
