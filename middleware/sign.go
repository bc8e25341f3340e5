package middleware

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services/signing"
)

// Sign verifies the request signature (docs/signing.md) before the handler
// runs, and hands the handler the parameters it verified: they are on the
// request's context (signing.FromContext), and handlers bind from them, so
// what is bound is what was signed. The body is read once, up to maxBody
// bytes (server.max_body_bytes; 413 "request body is too large" past it,
// whether or not Content-Length says so), and left readable: c.Request.Body
// and GetBody read the same bytes and ContentLength is their number.
// Parameter errors are 400, among them more than signing.MaxParams
// parameters or a JSON body nested deeper than signing.MaxJSONDepth, both
// refused before any signature check; the signature checks answer 511,
// 512, 400, 513 or 514 as signing.Signer.Verify says. Replays are Replay's
// to refuse, once the caller is known. Every refusal is marked for the
// request log's observer (RequestRecord.SignRejected: the signature
// rejection metric).
func Sign(r response.Renderer, signer *signing.Signer, maxBody int64) gin.HandlerFunc {
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
		p, err := signing.Parse(c.Request.URL.RawQuery, c.GetHeader("Content-Type"), body)
		if err != nil {
			reject(c, err)
			return
		}
		sig, err := signer.Verify(p)
		if err != nil {
			reject(c, err)
			return
		}
		c.Set(ctxSignApp, sig.App.Name)
		c.Set(ctxSignature, sig)
		c.Request = c.Request.WithContext(signing.NewContext(c.Request.Context(), p))
		setBody(c.Request, body)
		c.Next()
	}
}

// ctxSignature is the signing.Signature Sign verified, for Replay.
const ctxSignature = "blogapi.signature"

// errNoSignature is Replay on a route without Sign before it: a wiring
// mistake, answered 500.
var errNoSignature = errors.New("middleware: Replay without Sign before it")

// Replay refuses a signed request that was already accepted: 201
// "duplicate submission" (sign.replay says for which methods; a store that
// does not answer is a 503). The record names the request, not only its
// values: auth_key, token, method, route (c.FullPath()) and the caller's
// session, the sid of the access token Auth verified. Place it after Auth
// on the routes that need an access token: two users who send the same
// parameterless POST in one millisecond sign alike but are two requests,
// and a request whose access token fails records nothing, so tokens
// recorded in advance by a client without a session cannot spend a user's
// request. On a route without Auth the session is empty, whatever access
// token is sent (docs/signing.md, "Replays"). A refusal is marked as
// Sign's are.
func Replay(r response.Renderer, signer *signing.Signer) gin.HandlerFunc {
	return func(c *gin.Context) {
		v, _ := c.Get(ctxSignature)
		sig, ok := v.(signing.Signature)
		if !ok {
			r.Abort(c, errNoSignature)
			return
		}
		req := signing.Request{Method: c.Request.Method, Route: c.FullPath()}
		if p, ok := PrincipalFrom(c.Request.Context()); ok && p.Claims != nil {
			req.Session = p.Claims.SessionID
		}
		if err := signer.Replay(c.Request.Context(), sig, req); err != nil {
			c.Set(ctxSignRejected, true)
			r.Abort(c, err)
			return
		}
		c.Next()
	}
}

func errBodyTooLarge() error { return response.ErrBodyTooLarge }

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
			return nil, fmt.Errorf("%w: %w", response.ErrBodyUnreadable, err)
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
