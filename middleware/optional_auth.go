package middleware

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/services/auth"
)

// OptionalAuth is Auth for public reads that answer more to a logged-in
// caller (the article's isPraise, one's own held comments): a valid access
// token sets the principal; a missing, expired or invalid one is ignored
// and the request goes on anonymous (the SPA sends its token on every
// request, stale ones too).
func OptionalAuth(authenticate func(ctx context.Context, token string) (auth.Principal, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if token, err := accessToken(c); err == nil {
			if p, err := authenticate(c.Request.Context(), token); err == nil {
				c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), principalKey{}, p))
			}
		}
		c.Next()
	}
}
