package content

import (
	"context"
	"sync"
	"time"

	"github.com/blogapi/blogapi/models"
)

// maxSeenReads bounds the memory of who viewed what in the current window:
// past it, views are still counted but no longer de-duplicated.
const maxSeenReads = 1 << 20

// readCounter counts article views without a database write per view: at
// most one per client and article per window, buffered until a flush
// (docs/blog.md, "Writes that stay exact").
type readCounter struct {
	window time.Duration

	mu      sync.Mutex
	current int64               // the window number seen holds
	seen    map[string]struct{} // client + "\x00" + article, this window
	pending map[string]int64    // article → views not yet written
}

func newReadCounter(window time.Duration) *readCounter {
	return &readCounter{window: window, seen: map[string]struct{}{}, pending: map[string]int64{}}
}

// count records a view of article by client at now and reports whether it
// counted (false: the client was already counted in this window).
func (r *readCounter) count(client, article string, now time.Time) bool {
	w := now.UnixNano() / int64(r.window)
	key := client + "\x00" + article
	r.mu.Lock()
	defer r.mu.Unlock()
	if w != r.current {
		r.current, r.seen = w, map[string]struct{}{}
	}
	if _, dup := r.seen[key]; dup && client != "" {
		return false
	}
	if len(r.seen) < maxSeenReads {
		r.seen[key] = struct{}{}
	}
	r.pending[article]++
	return true
}

// pendingFor is the number of views of article not yet written.
func (r *readCounter) pendingFor(article string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending[article]
}

// take returns the views counted since the last take.
func (r *readCounter) take() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.pending
	r.pending = map[string]int64{}
	return p
}

// putBack returns views a flush could not write.
func (r *readCounter) putBack(p map[string]int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, n := range p {
		r.pending[id] += n
	}
}

// FlushReads writes the counted views (one $inc per article). Views of
// articles that are gone are dropped; views that failed to be written for
// another reason are kept for the next flush.
func (s *Service) FlushReads(ctx context.Context) error {
	p := s.reads.take()
	var first error
	failed := map[string]int64{}
	for id, n := range p {
		err := s.st.Articles.Inc(ctx, id, models.ArticleCounters{Read: n})
		if err != nil && !errorsIsNotFound(err) {
			failed[id] = n
			if first == nil {
				first = err
			}
		}
	}
	if len(failed) > 0 {
		s.reads.putBack(failed)
	}
	return first
}

// Run flushes counted views every Config.FlushEvery, and works the
// pending author copies every Config.AuthorSyncEvery and when
// AuthorChanged asks, until ctx ends; call Close after it returns.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.FlushEvery)
	defer t.Stop()
	authors := time.NewTicker(s.cfg.AuthorSyncEvery)
	defer authors.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.authors.kick:
			s.syncAuthorsLogged(ctx)
		case <-authors.C:
			s.syncAuthorsLogged(ctx)
		case <-t.C:
			if err := s.FlushReads(ctx); err != nil {
				s.log.Warn("flush article reads", "err", err)
			}
		}
	}
}

// Close writes the views still buffered (bounded by ctx): at shutdown.
func (s *Service) Close(ctx context.Context) error { return s.FlushReads(ctx) }
