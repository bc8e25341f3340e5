package admin

import "context"

// AuthorCopies keeps the copies of a user's nick, cover, type and level in
// their articles and comments current (content.Service; docs/blog.md,
// "Author copies"): MarkAuthor records durably that user is about to
// change, AuthorChanged asks for the background pass once the change is
// stored.
type AuthorCopies interface {
	MarkAuthor(ctx context.Context, user string) error
	AuthorChanged(user string)
}

// withAuthorCopies runs change, a change of user id that their articles
// and comments show (level, type, deletion), after the durable mark, and
// asks for the copies' pass when it succeeded. Errors: change's;
// ErrUnavailable when the mark cannot be written (nothing is changed).
func (s *Service) withAuthorCopies(ctx context.Context, id string, change func() (User, error)) (User, error) {
	if s.d.Authors == nil {
		return change()
	}
	if err := s.d.Authors.MarkAuthor(ctx, id); err != nil {
		return User{}, unavailable(err)
	}
	u, err := change()
	if err == nil {
		s.d.Authors.AuthorChanged(id)
	}
	return u, err
}
