package content

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/blogapi/blogapi/models"
)

// DeletedAuthorNick is the name a deleted user's articles and comments
// are shown under (their cover is cleared).
const DeletedAuthorNick = "deleted user"

// AuthorStores keep the copies of a user's nick, cover, type and level in
// their articles and comments current (docs/blog.md, "Author copies"):
// the durable markers (models.AuthorSyncStore), the articles
// (models.ArticleStore) and the comment threads (models.CommentStore).
type AuthorStores struct {
	Syncs interface {
		Mark(ctx context.Context, user string, at int64) error
		Pending(ctx context.Context) ([]models.AuthorSync, error)
		Done(ctx context.Context, m models.AuthorSync) error
	}
	Articles interface {
		SetAuthor(ctx context.Context, ids []string, author models.ArticleAuthor) (int, error)
	}
	Threads interface {
		ThreadsWith(ctx context.Context, user string) ([]string, error)
		SetCommenter(ctx context.Context, article, user string, c models.Commenter) (int, error)
	}
}

// Defaults of the author copies' background pass.
const (
	// DefaultAuthorSyncEvery is how often pending markers are worked.
	DefaultAuthorSyncEvery = time.Minute
	// DefaultAuthorSettle is how long a marker is kept after its change:
	// a pass after it catches an article or comment written by a request
	// that read the user before the change.
	DefaultAuthorSettle = 30 * time.Second
)

// authorSync is the state of the author copies' worker.
type authorSync struct {
	mu   sync.Mutex // one pass at a time in this process
	kick chan struct{}
}

// MarkAuthor records, durably, that user's nick, cover, type or level is
// about to change (or the user is being deleted): call it before the
// change, and AuthorChanged after it. Errors: the store's.
func (s *Service) MarkAuthor(ctx context.Context, user string) error {
	if s.st.Authors.Syncs == nil {
		return nil
	}
	return s.st.Authors.Syncs.Mark(ctx, user, s.nowMs())
}

// AuthorChanged asks the background pass (Run) to bring user's copies up
// to date now rather than at its next tick. It does not wait.
func (s *Service) AuthorChanged(user string) {
	select {
	case s.authors.kick <- struct{}{}:
	default: // a pass is already due
	}
}

// SyncAuthors works every pending marker: it reads the user by `_id` and
// sets the copies of their articles (found in the catalogue) and comments
// (the threads their index lists) to what the user is now, writing only
// what differs. A marker older than Config.AuthorSettle is then removed;
// younger ones stay for the next pass. A failure leaves the marker: the
// next pass does it again. Background work only, never a public route.
func (s *Service) SyncAuthors(ctx context.Context) error {
	if s.st.Authors.Syncs == nil {
		return nil
	}
	s.authors.mu.Lock()
	defer s.authors.mu.Unlock()
	pending, err := s.st.Authors.Syncs.Pending(ctx)
	if err != nil {
		return err
	}
	var first error
	for _, m := range pending {
		if err := s.syncAuthor(ctx, m); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *Service) syncAuthor(ctx context.Context, m models.AuthorSync) error {
	u, err := s.st.Users.ByID(ctx, m.User)
	if errors.Is(err, models.ErrNotFound) {
		return s.st.Authors.Syncs.Done(ctx, m)
	}
	if err != nil {
		return err
	}
	author := authorCopy(u)
	// The catalogue holds every article that is not deleted; a deleted one
	// gets the author's current copy when it is restored (SetStatus).
	if err := s.cat.refresh(ctx); err != nil {
		return err
	}
	stale := s.cat.ids(func(e *entry) bool { return e.a.AuthorID == m.User && e.a.Author != author })
	if _, err := s.st.Authors.Articles.SetAuthor(ctx, stale, author); err != nil {
		return err
	}
	threads, err := s.st.Authors.Threads.ThreadsWith(ctx, m.User)
	if err != nil {
		return err
	}
	c := models.Commenter{Nick: author.Nick, Cover: author.Cover, Type: author.Type, Level: author.Level}
	for _, t := range threads {
		if _, err := s.st.Authors.Threads.SetCommenter(ctx, t, m.User, c); err != nil {
			return err
		}
	}
	if s.nowMs()-m.At < s.cfg.AuthorSettle.Milliseconds() {
		return nil
	}
	return s.st.Authors.Syncs.Done(ctx, m)
}

// authorCopy is what articles and comments show of u: a deleted user
// under DeletedAuthorNick, without a cover.
func authorCopy(u models.User) models.ArticleAuthor {
	a := models.ArticleAuthor{ID: u.ID.Hex(), Nick: u.Nick, Cover: u.Avatar, Type: u.Type, Level: u.Level}
	if u.DeletedAt != 0 {
		a.Nick, a.Cover = DeletedAuthorNick, ""
	}
	return a
}

// syncAuthorsLogged is a SyncAuthors pass of Run.
func (s *Service) syncAuthorsLogged(ctx context.Context) {
	if err := s.SyncAuthors(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("author copies not brought up to date (retried on the next pass)", "err", err)
	}
}

// ids returns the ids of the catalogue's articles keep accepts.
func (c *catalogue) ids(keep func(e *entry) bool) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	for _, e := range c.ordered {
		if keep(e) {
			out = append(out, e.a.ID)
		}
	}
	return out
}

// restoredAuthor is the author copy a restored article gets: the author as
// they are now (none when the user cannot be read: the copy is kept).
func (s *Service) restoredAuthor(ctx context.Context, a *models.Article) {
	if u, err := s.st.Users.ByID(ctx, a.AuthorID); err == nil {
		a.Author = authorCopy(u)
	}
}
