package middleware

import (
	"net/http"
	"slices"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
)

// CORS lets browsers call the API from the origins listed in
// server.cors.allowed_origins ("scheme://host[:port]", validated by config),
// with gin-contrib/cors doing the protocol (Fetch standard, "CORS protocol"):
//
//   - preflights (OPTIONS with Access-Control-Request-Method) answer 204 and
//     allow the methods the API uses and the headers a client sends:
//     access-token, Authorization, Content-Type (plus Accept, X-Request-Id);
//   - X-Request-Id, Retry-After, the rate-limit headers and the handlers'
//     own headers named in expose (X-Captcha-Id) are exposed to scripts;
//   - credentials (the captcha cookie) are allowed for listed origins only,
//     never with "*" (which release mode refuses anyway);
//   - a request whose Origin is not listed (and not the server's own host) is
//     answered 403 with the envelope, before any other work. The library
//     alone would answer a bodiless 403.
//
// A request without an Origin header (curl, Postman, server-to-server) is
// not a CORS request and passes untouched.
func CORS(r response.Renderer, origins []string, expose ...string) gin.HandlerFunc {
	anyOrigin := slices.Contains(origins, "*")
	apply := cors.New(cors.Config{
		AllowOrigins:     origins,
		AllowMethods:     []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions},
		AllowHeaders:     []string{"Origin", "Content-Type", "Accept", "access-token", "Authorization", HeaderRequestID},
		ExposeHeaders:    append([]string{HeaderRequestID, "Retry-After", HeaderRateLimit, HeaderRateRemaining, HeaderRateReset}, expose...),
		AllowCredentials: !anyOrigin,
		MaxAge:           12 * time.Hour,
	})
	return func(c *gin.Context) {
		// Answers differ by Origin: a shared cache must not hand one
		// origin's answer (or an answer without CORS headers) to another.
		c.Header("Vary", "Origin")
		origin := c.GetHeader("Origin")
		if origin != "" && !anyOrigin && !slices.Contains(origins, origin) &&
			origin != "http://"+c.Request.Host && origin != "https://"+c.Request.Host {
			r.Abort(c, response.ErrOriginNotAllowed)
			return
		}
		apply(c)
	}
}
