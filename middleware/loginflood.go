package middleware

import (
	"context"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/captcha"
	"github.com/blogapi/blogapi/services/signing"
)

// LoginFlood is the gate of POST /login under a site-wide flood of failed
// logins (security.login_flood_per_minute): flood counts the attempt and
// reports the flood (auth.LoginGuard.Flood); a login without a captcha
// answer is then refused at once with 400 "captcha required", before its
// replay record, any database read and the password hash, so a flood
// costs the signature check only. It runs after the signature check, whose
// parameters it reads. A nil flood lets everything through.
//
// flood counts the attempt: the answer travels in the request context
// (auth.WithFlood) so that the login service does not count it twice.
func LoginFlood(r response.Renderer, flood func(context.Context) bool) gin.HandlerFunc {
	if flood == nil {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		flooded := flood(ctx)
		if flooded && !hasCaptcha(ctx) {
			r.Abort(c, captcha.ErrRequired)
			return
		}
		// The attempt is counted: the login service takes this answer.
		c.Request = c.Request.WithContext(auth.WithFlood(ctx, flooded))
		c.Next()
	}
}

// CarriesCaptcha reports whether the signed parameters of the request (Sign
// before it) carry a captcha answer: the login's priority for a hashing
// slot (Bulkhead.Handler), so that users who answered the captcha during
// a flood wait only for the hash in progress. Whether the answer is right
// is the login's to check, first thing in its slot: a wrong one leaves it
// at once, without a hash.
func CarriesCaptcha(c *gin.Context) bool { return hasCaptcha(c.Request.Context()) }

// hasCaptcha reports whether the signed parameters of ctx carry a captcha
// answer.
func hasCaptcha(ctx context.Context) bool {
	params, ok := signing.FromContext(ctx)
	if !ok {
		return false
	}
	p, found := params.Lookup("captcha")
	return found && strings.TrimSpace(p.Value) != ""
}
