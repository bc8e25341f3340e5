package content

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/blogapi/blogapi/models"
)

// entry is one article of the catalogue: its list fields and, for search,
// the lower-cased title, summary and plain text.
type entry struct {
	a     models.Article
	title string
	sum   string
	plain string
}

func newEntry(a models.Article, plain string) *entry {
	return &entry{a: a, title: strings.ToLower(a.Title), sum: strings.ToLower(a.Summary), plain: strings.ToLower(plain)}
}

// public reports whether e is shown to everyone at nowMs: online, not
// private, published at or before now.
func (e *entry) public(nowMs int64) bool {
	return e.a.Status == models.ArticleOnline && !e.a.Private && e.a.PublishedAt <= nowMs
}

// catalogue is the in-process copy of every article that is not deleted
// (docs/blog.md, "Reads: the catalogue"), kept current with the store's
// change counter: each use reads it (one `_id` read) and re-reads what
// changed.
type catalogue struct {
	store ArticleStore
	// pending is the number of views of an article counted but not yet
	// written, added to what the store says.
	pending func(id string) int64

	load sync.Mutex // one refresh at a time
	mu   sync.RWMutex
	seq  int64
	ok   bool
	byID map[string]*entry
	// ordered is every entry, newest first (see newest): lists in that
	// order are one scan, with no sort per request.
	ordered []*entry
}

func newCatalogue(store ArticleStore, pending func(id string) int64) *catalogue {
	return &catalogue{store: store, pending: pending, byID: map[string]*entry{}}
}

// withPending is a as stored plus the views not yet written.
func (c *catalogue) withPending(a models.Article) models.Article {
	a.Read += c.pending(a.ID)
	return a
}

// refresh brings the catalogue up to the store's change counter.
func (c *catalogue) refresh(ctx context.Context) error {
	ch, err := c.store.Changes(ctx)
	if err != nil {
		return err
	}
	c.mu.RLock()
	current := c.ok && c.seq == ch.Seq
	c.mu.RUnlock()
	if current {
		return nil
	}
	c.load.Lock()
	defer c.load.Unlock()
	c.mu.RLock()
	seq, ok := c.seq, c.ok
	c.mu.RUnlock()
	if ok && seq == ch.Seq {
		return nil // another request refreshed meanwhile
	}
	delta := ch.Seq - seq
	if !ok || delta < 0 || delta > int64(len(ch.Recent)) {
		return c.reload(ctx, ch.Seq)
	}
	changed := ch.Recent[len(ch.Recent)-int(delta):]
	slices.Sort(changed)
	for _, id := range slices.Compact(changed) {
		if err := c.reread(ctx, id); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.seq = ch.Seq
	c.order()
	c.mu.Unlock()
	return nil
}

// reload reads every article (one scan) and every plain text.
func (c *catalogue) reload(ctx context.Context, seq int64) error {
	arts, err := c.store.All(ctx)
	if err != nil {
		return err
	}
	plains := make(map[string]string, len(arts))
	if err := c.store.PlainTexts(ctx, func(id, plain string) { plains[id] = plain }); err != nil {
		return err
	}
	byID := make(map[string]*entry, len(arts))
	for _, a := range arts {
		byID[a.ID] = newEntry(c.withPending(a), plains[a.ID])
	}
	c.mu.Lock()
	c.byID, c.seq, c.ok = byID, seq, true
	c.order()
	c.mu.Unlock()
	return nil
}

// order rebuilds ordered from byID; the caller holds mu for writing.
func (c *catalogue) order() {
	c.ordered = c.ordered[:0]
	for _, e := range c.byID {
		c.ordered = append(c.ordered, e)
	}
	slices.SortFunc(c.ordered, func(a, b *entry) int { return newest(&a.a, &b.a) })
}

// reread reads article id again; its body only when its version moved.
func (c *catalogue) reread(ctx context.Context, id string) error {
	a, err := c.store.ByID(ctx, id)
	if err != nil && !errorsIsNotFound(err) {
		return err
	}
	a = c.withPending(a)
	if err != nil || a.Status == models.ArticleDeleted {
		c.mu.Lock()
		delete(c.byID, id)
		c.mu.Unlock()
		return nil
	}
	c.mu.RLock()
	old := c.byID[id]
	c.mu.RUnlock()
	var plain string
	if old != nil && old.a.Version == a.Version {
		c.mu.Lock()
		old.a = a
		c.mu.Unlock()
		return nil
	}
	b, err := c.store.Body(ctx, id)
	if err != nil && !errorsIsNotFound(err) {
		return err
	}
	plain = b.Plain
	c.mu.Lock()
	c.byID[id] = newEntry(a, plain)
	c.mu.Unlock()
	return nil
}

// addRead applies n counted views of article id to the in-memory copy.
func (c *catalogue) addRead(id string, n int64) {
	c.mu.Lock()
	if e := c.byID[id]; e != nil {
		e.a.Read += n
	}
	c.mu.Unlock()
}

// page returns page r (Page ≥ 1 and Size ≥ 1, as PageRequest.Clamp
// makes them) of the articles keep accepts, ordered by less, or newest
// first when less is nil (one scan of ordered, no sort). Only the page's
// articles are copied.
func (c *catalogue) page(keep func(e *entry) bool, less func(a, b *models.Article) int, r PageRequest) Page[models.Article] {
	r.Page, r.Size = max(r.Page, 1), max(r.Size, 1)
	p := Page[models.Article]{Size: r.Size, Current: r.Page, Items: []models.Article{}}
	start := (r.Page - 1) * r.Size
	c.mu.RLock()
	defer c.mu.RUnlock()
	if less == nil {
		for _, e := range c.ordered {
			if !keep(e) {
				continue
			}
			if p.Total >= start && p.Total < start+r.Size {
				p.Items = append(p.Items, e.a)
			}
			p.Total++
		}
		return p
	}
	var hits []*entry
	for _, e := range c.ordered {
		if keep(e) {
			hits = append(hits, e)
		}
	}
	slices.SortStableFunc(hits, func(a, b *entry) int { return less(&a.a, &b.a) })
	p.Total = len(hits)
	if start < len(hits) {
		for _, e := range hits[start:min(start+r.Size, len(hits))] {
			p.Items = append(p.Items, e.a)
		}
	}
	return p
}

// count is the number of articles keep accepts.
func (c *catalogue) count(keep func(e *entry) bool) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, e := range c.ordered {
		if keep(e) {
			n++
		}
	}
	return n
}

// get returns the catalogue's copy of article id.
func (c *catalogue) get(id string) (models.Article, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.byID[id]
	if !ok {
		return models.Article{}, false
	}
	return e.a, true
}

// newest orders by publishedAt (else creation), newest first, ties by id.
func newest(a, b *models.Article) int {
	ta, tb := a.PublishedAt, b.PublishedAt
	if ta == 0 {
		ta = a.Created
	}
	if tb == 0 {
		tb = b.Created
	}
	if ta != tb {
		if ta > tb {
			return -1
		}
		return 1
	}
	return strings.Compare(b.ID, a.ID)
}

// score is the original's recommendation weight at nowMs:
// (review + read/100 + praise×2) / (hours + 2)^G, G = 1.5, 2 after 30 days.
func score(a *models.Article, nowMs int64) float64 {
	hours := float64(nowMs-a.PublishedAt) / 3.6e6
	if hours < 0 {
		hours = 0
	}
	g := 1.5
	if hours > 720 {
		g = 2
	}
	return (float64(a.Review) + float64(a.Read)/100 + float64(a.Praise)*2) / math.Pow(hours+2, g)
}
