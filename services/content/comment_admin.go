package content

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
)

// ErrCommentBanned: an admin banned the user from commenting
// (docs/admin.md, "Comments").
var ErrCommentBanned = errors.New("user is banned from commenting")

// The admin's comment filter takes the names for the moderation
// states (docs/admin.md, "Comments"): pending is held, approved is
// visible; the stored names are accepted too.
var commentStateNames = map[string]string{
	"pending": models.CommentHeld, "approved": models.CommentVisible, "hidden": models.CommentHidden,
	"spam": models.CommentSpam, "deleted": models.CommentDeleted,
	models.CommentHeld: models.CommentHeld, models.CommentVisible: models.CommentVisible,
}

// CommentStateOf is the stored moderation state the admin's name stands
// for (pending, approved, hidden, spam, deleted, or a stored name);
// false for anything else.
func CommentStateOf(name string) (string, bool) {
	st, ok := commentStateNames[name]
	return st, ok
}

// AdminCommentQuery selects comments of every article for the admin list:
// State an admin's state name (CommentStateOf; empty: any); Article and
// User ids (24 hex digits; empty: any); Q a literal, case-insensitive
// substring of the text or the nick (at most MaxKeywordRunes); From and To
// bound the creation time (ms since the Unix epoch, inclusive; 0:
// unbounded).
type AdminCommentQuery struct {
	State, Article, User, Q string
	From, To                int64
	Page                    PageRequest
}

// AdminComment is a comment as the admin's list shows it: the comment and
// the article it belongs to (ArticleTitle "" when the article is gone).
type AdminComment struct {
	Comment
	ArticleID, ArticleTitle string
}

// AdminComments returns a page of the comments of every article q
// selects, newest first (ties by id). It scans `comment_threads` (one
// thread, by `_id`, when q names an article): admin lists may scan, and no
// public route reads it but by `_id`. Errors: a services.FieldError naming
// state, article, user, q or to.
func (s *Service) AdminComments(ctx context.Context, q AdminCommentQuery) (Page[AdminComment], error) {
	state := ""
	if q.State != "" {
		var ok bool
		if state, ok = CommentStateOf(q.State); !ok {
			return Page[AdminComment]{}, services.Invalid("state", "must be one of pending, approved, hidden, spam, deleted")
		}
	}
	for _, f := range []struct{ name, v string }{{"article", q.Article}, {"user", q.User}} {
		if f.v != "" && !isHexID(f.v) {
			return Page[AdminComment]{}, services.Invalid(f.name, "must be an id (24 hex digits)")
		}
	}
	if utf8.RuneCountInString(q.Q) > MaxKeywordRunes {
		return Page[AdminComment]{}, services.Invalid("q", "must be at most 64 characters")
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"from", q.From}, {"to", q.To}} {
		if f.v < 0 {
			return Page[AdminComment]{}, services.Invalid(f.name, "must not be negative")
		}
	}
	if q.To != 0 && q.From > q.To {
		return Page[AdminComment]{}, services.Invalid("to", "must not be before from")
	}
	needle := strings.ToLower(q.Q)
	var kept []AdminComment
	keep := func(article string, thread []models.Comment) error {
		for _, c := range thread {
			switch {
			case state != "" && c.State != state:
			case q.User != "" && c.UserID != q.User:
			case q.From != 0 && c.Created < q.From, q.To != 0 && c.Created > q.To:
			case needle != "" && !strings.Contains(strings.ToLower(c.Content), needle) && !strings.Contains(strings.ToLower(c.Nick), needle):
			default:
				kept = append(kept, AdminComment{Comment: commentOf(c), ArticleID: article})
			}
		}
		return nil
	}
	if q.Article != "" {
		thread, err := s.st.Comments.Thread(ctx, q.Article)
		if err != nil {
			return Page[AdminComment]{}, err
		}
		_ = keep(q.Article, thread)
	} else if err := s.st.Comments.EachThread(ctx, keep); err != nil {
		return Page[AdminComment]{}, err
	}
	slices.SortFunc(kept, func(a, b AdminComment) int {
		return cmp.Or(cmp.Compare(b.Created, a.Created), cmp.Compare(b.ID, a.ID))
	})
	p := paginate(kept, q.Page)
	titles := map[string]string{}
	for i, c := range p.Items {
		title, ok := titles[c.ArticleID]
		if !ok {
			a, err := s.st.Articles.ByID(ctx, c.ArticleID)
			if err != nil && !errorsIsNotFound(err) {
				return Page[AdminComment]{}, err
			}
			title, titles[c.ArticleID] = a.Title, a.Title
		}
		p.Items[i].ArticleTitle = title
	}
	return p, nil
}

func isHexID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return false
		}
	}
	return true
}

// SetCommentState sets comment id of article to state (one of
// CommentStates) and returns it before and after; the same state again
// changes nothing (before == after). Approving (models.CommentVisible)
// approves the comment's author (moderation `first`). `review` stays the
// number of comments the public thread shows (shownCount). Errors: a
// services.FieldError naming state; ErrCommentNotFound.
func (s *Service) SetCommentState(ctx context.Context, article, id, state string) (before, after Comment, err error) {
	if !slices.Contains(CommentStates, state) {
		return Comment{}, Comment{}, services.Invalid("state", "must be one of "+strings.Join(CommentStates, ", "))
	}
	var prev models.Comment
	_, err = s.setStates(ctx, article, func(thread []models.Comment) (map[string]string, error) {
		c, ok := findComment(thread, id)
		if !ok {
			return nil, models.ErrNotFound
		}
		prev = c
		if c.State == state {
			return nil, nil
		}
		return map[string]string{id: state}, nil
	})
	if err != nil {
		return Comment{}, Comment{}, notFound(err, ErrCommentNotFound)
	}
	if state == models.CommentVisible {
		if err := s.st.Comments.MarkApproved(ctx, prev.UserID, s.nowMs()); err != nil {
			return Comment{}, Comment{}, err
		}
	}
	next := prev
	next.State = state
	return commentOf(prev), commentOf(next), nil
}

// HideCommentsOf hides every visible or held comment of user on every
// article (a scan of `comment_threads`, then one write per thread that has
// some) and returns how many it hid; `review` follows. Spam and deleted
// comments keep their state.
func (s *Service) HideCommentsOf(ctx context.Context, user string) (int, error) {
	hideable := func(c models.Comment) bool {
		return c.UserID == user && (c.State == models.CommentVisible || c.State == models.CommentHeld)
	}
	var articles []string
	err := s.st.Comments.EachThread(ctx, func(article string, thread []models.Comment) error {
		if slices.ContainsFunc(thread, hideable) {
			articles = append(articles, article)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, article := range articles {
		changes := map[string]string{}
		// Decided again under the thread's lock.
		_, err := s.setStates(ctx, article, func(thread []models.Comment) (map[string]string, error) {
			clear(changes)
			for _, c := range thread {
				if hideable(c) {
					changes[c.ID] = models.CommentHidden
				}
			}
			return changes, nil
		})
		if err != nil {
			return n, err
		}
		n += len(changes)
	}
	return n, nil
}

// setStates applies decide's state changes to article's thread (under the
// thread's lock, models.CommentStore.SetStates) and moves `review` by the
// change of shownCount. When that fails the states are put back (unless
// changed again meanwhile), so a failure leaves nothing half-applied and a
// retry applies the change anew. It returns the thread before.
func (s *Service) setStates(ctx context.Context, article string, decide func([]models.Comment) (map[string]string, error)) ([]models.Comment, error) {
	var changes map[string]string
	before, err := s.st.Comments.SetStates(ctx, article, func(thread []models.Comment) (map[string]string, error) {
		m, err := decide(thread)
		changes = m
		return m, err
	})
	if err != nil || len(changes) == 0 {
		return before, err
	}
	after := withStates(before, changes)
	delta := shownCount(after) - shownCount(before)
	if delta == 0 {
		return before, nil
	}
	err = s.st.Articles.Inc(ctx, article, models.ArticleCounters{Review: delta})
	if err == nil || errorsIsNotFound(err) {
		return before, nil
	}
	_, undoErr := s.st.Comments.SetStates(ctx, article, func(thread []models.Comment) (map[string]string, error) {
		undo := map[string]string{}
		for _, c := range before {
			if st, ok := changes[c.ID]; ok {
				if now, found := findComment(thread, c.ID); found && now.State == st {
					undo[c.ID] = c.State
				}
			}
		}
		return undo, nil
	})
	if undoErr != nil {
		s.log.ErrorContext(ctx, "comment states not restored after a failed review count", "article", article, "err", undoErr.Error())
	}
	return nil, err
}

// withStates is a copy of thread with the states of changes.
func withStates(thread []models.Comment, changes map[string]string) []models.Comment {
	out := slices.Clone(thread)
	for i, c := range out {
		if st, ok := changes[c.ID]; ok {
			out[i].State = st
		}
	}
	return out
}

// shownCount is what an article's `review` counts (docs/blog.md, "Comments
// and moderation"): the comments its public thread shows, the visible
// roots and the visible replies of visible roots.
func shownCount(thread []models.Comment) int64 {
	roots := map[string]bool{}
	for _, c := range thread {
		if c.TargetID == "" {
			roots[c.ID] = c.State == models.CommentVisible
		}
	}
	var n int64
	for _, c := range thread {
		if c.State == models.CommentVisible && (c.TargetID == "" || roots[c.TargetID]) {
			n++
		}
	}
	return n
}
