package middleware

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ulule/limiter/v3"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/auth"
)

// Rate limit headers set on every response RateLimit lets through or
// refuses.
const (
	HeaderRateLimit     = "X-RateLimit-Limit"     // requests allowed per window
	HeaderRateRemaining = "X-RateLimit-Remaining" // requests left in the window
	HeaderRateReset     = "X-RateLimit-Reset"     // end of the window, Unix seconds
)

// RateLimit limits requests per client IP with l; its store
// is shared by every instance (models.RateLimitStore). The key is name + ":"
// + the client's network (auth.ClientNetwork: an IPv6 /64 is one
// client, as for the login guard) of the IP gin's ClientIP gives, which
// believes X-Forwarded-For only from the engine's trusted proxies
// (server.trusted_proxies). Every answer carries X-RateLimit-Limit,
// -Remaining and -Reset; past the limit the request is refused with 429 "too
// many requests; retry later" and Retry-After (seconds until the window
// ends, at least 1).
//
// It fails open: when the store cannot be reached the request goes through
// and a warning is logged with the request id, so a database hiccup does
// not take the routes down (the handlers behind will meet the database
// anyway). A nil l limits nothing. now is the clock of l's store, from
// which Retry-After is counted.
func RateLimit(r response.Renderer, l *limiter.Limiter, name string, now func() time.Time) gin.HandlerFunc {
	return RateLimitBy(r, l, name, now, ClientKey)
}

// ClientKey is RateLimit's key: the client's network
// (auth.ClientNetwork) of the IP gin's ClientIP gives.
func ClientKey(c *gin.Context) string { return auth.ClientNetwork(c.ClientIP()) }

// UserKey counts per user: "user:" + the id of the principal Auth
// authenticated, or ClientKey on a route without Auth before it.
func UserKey(c *gin.Context) string {
	if p, ok := PrincipalFrom(c.Request.Context()); ok {
		return "user:" + p.User.ID.Hex()
	}
	return ClientKey(c)
}

// RateLimitBy is RateLimit counting under name + ":" + key(c) instead of
// the client's network: UserKey after Auth limits each user wherever they
// connect from.
func RateLimitBy(r response.Renderer, l *limiter.Limiter, name string, now func() time.Time, key func(*gin.Context) string) gin.HandlerFunc {
	if l == nil {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		key := name + ":" + key(c)
		lctx, err := l.Get(c.Request.Context(), key)
		if err != nil {
			r.Logger.WarnContext(c.Request.Context(), "rate limit store failed; request let through",
				"request_id", response.RequestID(c), "limit", name, "err", err.Error())
			c.Next()
			return
		}
		c.Header(HeaderRateLimit, strconv.FormatInt(lctx.Limit, 10))
		c.Header(HeaderRateRemaining, strconv.FormatInt(lctx.Remaining, 10))
		c.Header(HeaderRateReset, strconv.FormatInt(lctx.Reset, 10))
		if lctx.Reached {
			r.Abort(c, &services.RetryLater{
				Err:        response.ErrRateLimited,
				RetryAfter: max(time.Unix(lctx.Reset, 0).Sub(now()), time.Second),
			})
			return
		}
		c.Next()
	}
}
