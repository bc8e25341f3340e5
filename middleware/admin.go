package middleware

import (
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services/auth"
)

// Admin guards the admin routes; it runs after Auth. Auth has read the
// caller's user from the database on this request, so authorize (the admin
// service's rule: type admin, status normal, not deleted) sees a demotion,
// a freeze or a deletion on the very next request, on every instance.
// Refusals are whatever authorize returns (403).
func Admin(r response.Renderer, authorize func(auth.Principal) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, ok := PrincipalFrom(c.Request.Context())
		if !ok {
			r.Abort(c, auth.ErrTokenMissing)
			return
		}
		if err := authorize(p); err != nil {
			r.Abort(c, err)
			return
		}
		c.Next()
	}
}

// NoStore marks every answer of its group, refusals included, as private
// and not to be stored by any cache (the admin API).
func NoStore(c *gin.Context) {
	c.Header("Cache-Control", "private, no-store")
	c.Next()
}
