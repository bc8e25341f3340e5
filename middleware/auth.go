package middleware

import (
	"context"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services/auth"
)

// Headers that carry the access token (docs/security.md).
const (
	HeaderAccessToken   = "access-token"
	HeaderAuthorization = "Authorization"
)

// Auth requires a valid access token from the `access-token` header (the
// document's name) or `Authorization: Bearer <jwt>` (docs/security.md),
// checked by authenticate (account.Service.Authenticate: the token, the
// session and the user's status). On success the principal is available to
// handlers as PrincipalFrom(c.Request.Context()). Failures are answered at once: no token → 401; an
// Authorization scheme other than Bearer → 401; both headers present with
// different tokens → 400; otherwise whatever authenticate returned (402
// expired, 521 invalid, 401 session ended, 403 frozen...).
func Auth(r response.Renderer, authenticate func(ctx context.Context, token string) (auth.Principal, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, err := accessToken(c)
		if err != nil {
			r.Abort(c, err)
			return
		}
		p, err := authenticate(c.Request.Context(), token)
		if err != nil {
			r.Abort(c, err)
			return
		}
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), principalKey{}, p))
		c.Next()
	}
}

// accessToken reads the token from the two headers.
func accessToken(c *gin.Context) (string, error) {
	header := strings.TrimSpace(c.GetHeader(HeaderAccessToken))
	var bearer string
	if auth := strings.TrimSpace(c.GetHeader(HeaderAuthorization)); auth != "" {
		scheme, rest, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", response.ErrAuthScheme
		}
		bearer = strings.TrimSpace(rest)
		if bearer == "" || strings.ContainsAny(bearer, " \t") {
			return "", response.ErrBearerMalformed
		}
	}
	switch {
	case header != "" && bearer != "" && header != bearer:
		return "", response.ErrTokenDisagree
	case header != "":
		return header, nil
	case bearer != "":
		return bearer, nil
	}
	return "", auth.ErrTokenMissing
}

type principalKey struct{}

// PrincipalFrom returns the caller Auth verified for this request's
// context; false on a route without Auth.
func PrincipalFrom(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(auth.Principal)
	return p, ok
}
