package auth

import (
	"context"

	"github.com/blogapi/blogapi/models"
)

// Principal is the authenticated caller of a JWT route: the verified
// claims and the user as stored.
type Principal struct {
	Claims *Claims
	User   models.User
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p (set by the JWT middleware).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of a JWT route.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
