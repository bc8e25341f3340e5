package middleware

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services"
)

// Sign verifies the request signature (SPEC §3) before the handler runs.
// The body is read once, up to maxBody bytes (server.max_body_bytes; 413
// "request body is too large" past it, whether or not Content-Length says
// so), and handed on unchanged: c.Request.Body and GetBody then read the
// same bytes, and ContentLength is their number, so what the handler binds
// is exactly what was signed. Parameter errors are 400, among them more
// than services.MaxSignParams parameters or a JSON body nested deeper than
// services.MaxJSONDepth, both refused before any signature check; the
// signature checks answer 511, 512, 400, 513, 514, 201 or 503 as
// Signer.Verify says. Every refusal is marked for the request log's
// observer (RequestRecord.SignRejected: the signature rejection metric).
func Sign(r response.Renderer, signer *services.Signer, maxBody int64) gin.HandlerFunc {
	reject := func(c *gin.Context, err error) {
		c.Set(ctxSignRejected, true)
		r.Abort(c, err)
	}
	return func(c *gin.Context) {
		body, err := readBody(c, maxBody)
		if err != nil {
			reject(c, err)
			return
		}
		p, err := services.ParseSignParams(c.Request.URL.RawQuery, c.GetHeader("Content-Type"), body)
		if err != nil {
			reject(c, err)
			return
		}
		app, err := signer.Verify(c.Request.Context(), c.Request.Method, p)
		if err != nil {
			reject(c, err)
			return
		}
		c.Set(ctxSignApp, app.Name)
		setBody(c.Request, body)
		c.Next()
	}
}

func errBodyTooLarge() error { return services.ErrBodyTooLarge }

// readBody reads the whole body, at most maxBody bytes.
func readBody(c *gin.Context, maxBody int64) ([]byte, error) {
	req := c.Request
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if req.ContentLength > maxBody {
		return nil, errBodyTooLarge()
	}
	// MaxBytesReader also tells the server to close the connection once
	// the limit is hit, so an oversized upload is not drained.
	rd := http.MaxBytesReader(c.Writer, req.Body, maxBody)
	size := req.ContentLength
	if size < 0 || size > maxBody {
		size = min(maxBody, 4096)
	}
	// One byte of room past Content-Length lets the read see EOF without
	// growing the buffer.
	buf := make([]byte, 0, size+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			var maxErr *http.MaxBytesError
			if errors.As(err, &maxErr) {
				return nil, errBodyTooLarge()
			}
			return nil, fmt.Errorf("%w: %w", services.ErrBodyUnreadable, err)
		}
	}
	return buf, nil
}

// setBody makes req's body read body from the start, as often as asked.
func setBody(req *http.Request, body []byte) {
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
}
