package middleware

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services/signing"
)

// Sign verifies the request signature (the README, "Signing a request by
// hand") before the handler runs, and hands the handler the parameters it
// verified: they are on the request's context (signing.FromContext), and
// handlers bind from them, so what is bound is what was signed. The body is read once, up to
// maxBody bytes (server.max_body_bytes; 413 "request body is too large"
// past it, whether or not Content-Length says so), and left readable:
// c.Request.Body and GetBody read the same bytes and ContentLength is their
// number. Parameter errors are 400, among them more than signing.MaxParams
// parameters or a JSON body nested deeper than signing.MaxJSONDepth, both
// refused before any signature check; the signature checks answer 511, 512,
// 400, 513, 514, 201 or 503 as signing.Signer.Verify says. Every refusal is
// marked for the request log's observer (RequestRecord.SignRejected: the
// signature rejection metric).
func Sign(r Renderer, signer *signing.Signer, maxBody int64) gin.HandlerFunc {
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
			reject(c, signError(err))
			return
		}
		app, err := signer.Verify(c.Request.Context(), c.Request.Method, p)
		if err != nil {
			reject(c, signError(err))
			return
		}
		c.Set(ctxSignApp, app.Name)
		c.Request = c.Request.WithContext(signing.NewContext(c.Request.Context(), p))
		setBody(c.Request, body)
		c.Next()
	}
}

// signError is the envelope error of an error of package signing.
func signError(err error) error {
	var dup *signing.DuplicateMemberError
	switch {
	case errors.As(err, &dup):
		return models.NewError(models.CodeBadRequest, dup.Error())
	case errors.Is(err, signing.ErrTokenMissing):
		return models.NewError(models.CodeSignMissing, "signature token is missing")
	case errors.Is(err, signing.ErrAuthKeyMissing):
		return models.NewError(models.CodeAuthKey, "auth_key is missing")
	case errors.Is(err, signing.ErrAuthKeyUnknown):
		return models.NewError(models.CodeAuthKey, "auth_key is unknown")
	case errors.Is(err, signing.ErrTimestampMissing):
		return models.FieldErr("timestamp", "timestamp is missing")
	case errors.Is(err, signing.ErrTimestampInvalid):
		return models.FieldErr("timestamp", "timestamp must be an integer (ms since the Unix epoch)")
	case errors.Is(err, signing.ErrExpired):
		return models.NewError(models.CodeSignExpired, "signature has expired: timestamp is outside the allowed window")
	case errors.Is(err, signing.ErrSignatureInvalid):
		return models.NewError(models.CodeSignInvalid, "signature verification failed")
	case errors.Is(err, signing.ErrReplayed):
		return models.NewError(models.CodeDuplicate, "duplicate submission")
	case errors.Is(err, signing.ErrReplayStore):
		return &models.AppError{Code: models.CodeUnavailable, Msg: "database unavailable", Cause: err}
	}
	for _, e := range []error{signing.ErrQuerySemicolon, signing.ErrQueryEscape, signing.ErrFormSemicolon, signing.ErrFormEscape,
		signing.ErrMultipartBoundary, signing.ErrMultipart, signing.ErrNotUTF8, signing.ErrMalformedJSON, signing.ErrNotObject,
		signing.ErrTooManyParams, signing.ErrTooDeep} {
		if errors.Is(err, e) {
			return models.NewError(models.CodeBadRequest, e.Error())
		}
	}
	return err
}

func errBodyTooLarge() *models.AppError {
	return models.NewError(models.CodeBodyTooLarge, "request body is too large")
}

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
			return nil, &models.AppError{Code: models.CodeBadRequest, Msg: "request body could not be read", Cause: err}
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
