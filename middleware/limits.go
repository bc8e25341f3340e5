package middleware

import (
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
)

// The API's limits on a request's head, below the server's own
// (http.Server.MaxHeaderBytes, 64 KiB, internal/app.NewServer), so that a
// request over them is answered with the envelope rather than Go's
// plain-text 431.
const (
	MaxURIBytes    = 8 << 10  // request URI: path and query string
	MaxHeaderBytes = 32 << 10 // header names and values, the URI included
)

// HeaderLimits refuses a request whose URI is longer than MaxURIBytes
// (414 "request URI is too long") or whose URI and headers together are
// larger than MaxHeaderBytes (431 "request headers are too large").
func HeaderLimits(r response.Renderer) gin.HandlerFunc {
	return func(c *gin.Context) {
		uri := len(c.Request.RequestURI)
		if uri > MaxURIBytes {
			r.Abort(c, response.ErrURITooLong)
			return
		}
		size := uri
		for name, values := range c.Request.Header {
			for _, v := range values {
				size += len(name) + len(v) + 4 // ": " and CRLF
			}
		}
		if size > MaxHeaderBytes {
			r.Abort(c, response.ErrHeadersTooLarge)
			return
		}
		c.Next()
	}
}
