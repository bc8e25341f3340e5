package content

import (
	"context"
	"errors"

	"github.com/blogapi/blogapi/models"
)

// PurgeStores are what deleting an article for good removes besides the
// article (models.ArticleStore, LikeStore and CommentStore).
type PurgeStores struct {
	Articles interface {
		Remove(ctx context.Context, id string) error
	}
	Likes interface {
		OfArticle(ctx context.Context, article string) ([]models.Like, error)
		Drop(ctx context.Context, l models.Like) error
	}
	Threads interface {
		DeleteThread(ctx context.Context, article string) (int, error)
	}
}

// errNoPurge is a purge on a service built without PurgeStores.
var errNoPurge = errors.New("content: no purge stores configured")

// Purged is what a purge removed: the article as it was before (its
// status, title, author …), and how many likes and comments went with it.
type Purged struct {
	Article  Article
	Likes    int
	Comments int
}

// Purge deletes article id for good, whatever its status (docs/admin.md,
// "Articles"), in an order that a retry completes and in which nothing
// public points at a missing document:
//
//  1. the article is marked (PurgedAt, status delete): every catalogue
//     drops it on its next request, so the public lists, category counts,
//     feeds and like lists stop showing it; it can no longer be edited,
//     restored, liked or commented;
//  2. each like goes, its liker's `user_likes` entry first;
//  3. the comment thread goes;
//  4. the body, the slug alias and the article go, the article last;
//  5. likes that landed while it ran go too.
//
// A failure on the way is answered as it is; calling Purge again finds the
// marked article and finishes. Once the article is gone, Purge is
// ErrArticleNotFound.
func (s *Service) Purge(ctx context.Context, id string) (Purged, error) {
	st := s.st.Purge
	if st.Articles == nil || st.Likes == nil || st.Threads == nil {
		return Purged{}, errNoPurge
	}
	a, err := s.st.Articles.ByID(ctx, id)
	if err != nil {
		return Purged{}, notFound(err, ErrArticleNotFound)
	}
	out := Purged{Article: articleOf(a)}
	if a.PurgedAt == 0 {
		now := s.nowMs()
		if _, err := s.st.Articles.Update(ctx, id, func(a *models.Article) (*models.ArticleBody, error) {
			if a.Status != models.ArticleDeleted {
				a.DeletedAt = now
			}
			a.Status, a.PurgedAt = models.ArticleDeleted, now
			return nil, nil
		}); err != nil {
			return Purged{}, notFound(err, ErrArticleNotFound)
		}
	}
	if out.Likes, err = s.dropLikes(ctx, id); err != nil {
		return Purged{}, err
	}
	if out.Comments, err = st.Threads.DeleteThread(ctx, id); err != nil {
		return Purged{}, err
	}
	if err := st.Articles.Remove(ctx, id); err != nil {
		return Purged{}, notFound(err, ErrArticleNotFound)
	}
	// A like whose public check ran before the mark may have landed after
	// the first pass; one landing now finds no article and is taken back
	// by Like itself.
	if n, err := s.dropLikes(ctx, id); err != nil {
		s.log.WarnContext(ctx, "purged article: late likes not dropped", "article", id, "err", err.Error())
	} else {
		out.Likes += n
	}
	return out, nil
}

// dropLikes drops every like of article and returns how many there were.
func (s *Service) dropLikes(ctx context.Context, article string) (int, error) {
	likes, err := s.st.Purge.Likes.OfArticle(ctx, article)
	if err != nil {
		return 0, err
	}
	for _, l := range likes {
		if err := s.st.Purge.Likes.Drop(ctx, l); err != nil {
			return 0, err
		}
	}
	return len(likes), nil
}
