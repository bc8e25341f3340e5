package content

import (
	"context"
)

// CategoryCount is a category with the number of its public articles.
type CategoryCount struct {
	Name  string
	Count int
}

// Types returns the article types in the admin's order (`index`, then
// oldest first), without forwarding entries (GET /select/types).
func (s *Service) Types(ctx context.Context) ([]ArticleType, error) {
	types, err := s.st.Taxonomy.Types(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ArticleType, 0, len(types))
	for _, t := range types {
		if t.MovedTo == "" {
			out = append(out, ArticleType{Identify: t.Identify, Name: t.Name})
		}
	}
	return out, nil
}

// Categories returns every category in the admin's order (`index`, then
// oldest first) with the number of its public articles, counted from the
// catalogue at request time, so always right (GET /select/category).
// Forwarding entries are left out.
func (s *Service) Categories(ctx context.Context) ([]CategoryCount, error) {
	cats, err := s.st.Taxonomy.Categories(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.cat.refresh(ctx); err != nil {
		return nil, err
	}
	now := s.nowMs()
	counts := map[string]int{}
	s.cat.count(func(e *entry) bool {
		if e.public(now) {
			counts[e.a.Category]++
		}
		return false
	})
	out := make([]CategoryCount, 0, len(cats))
	for _, c := range cats {
		if c.MovedTo == "" {
			out = append(out, CategoryCount{Name: c.Name, Count: counts[c.Name]})
		}
	}
	return out, nil
}

// Tags returns the tag names, oldest first, without forwarding entries
// (GET /select/tag).
func (s *Service) Tags(ctx context.Context) ([]string, error) {
	tags, err := s.st.Taxonomy.Tags(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t.MovedTo == "" {
			out = append(out, t.Name)
		}
	}
	return out, nil
}

// Profile is a user as their public author page shows them: never their
// e-mail, phone, status or last login.
type Profile struct {
	User PublicUser
	// ArticleCount is the number of their public articles, LikeCount of
	// the public articles they like.
	ArticleCount, LikeCount int
}

// Profile returns the public profile of user id; ErrUserNotFound for an
// unknown or malformed id.
func (s *Service) Profile(ctx context.Context, id string) (Profile, error) {
	u, err := s.st.Users.ByID(ctx, id)
	if err != nil {
		return Profile{}, notFound(err, ErrUserNotFound)
	}
	liked, err := s.liked(ctx, id)
	if err != nil {
		return Profile{}, err
	}
	now := s.nowMs()
	n := s.cat.count(func(e *entry) bool { return e.a.AuthorID == id && e.public(now) })
	pu := PublicUser{ID: u.ID.Hex(), Nick: u.Nick, Avatar: u.Avatar, Type: u.Type, Summary: u.Summary, Web: u.Web,
		Level: u.Level, Created: u.Created}
	return Profile{User: pu, ArticleCount: n, LikeCount: len(liked)}, nil
}
