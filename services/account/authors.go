package account

import "context"

// Authors keeps the copies of a user's nick and cover (and type and
// level) in their articles and comments current (content.Service;
// docs/blog.md, "Author copies"): MarkAuthor records durably, before the
// change, that the user is about to change; AuthorChanged asks for the
// background pass once the change is stored, so the profile update does
// not wait for it.
type Authors interface {
	MarkAuthor(ctx context.Context, user string) error
	AuthorChanged(user string)
}
