package models

import (
	"errors"
	"net/http"
	"time"
)

// Codes of the `<code, msg, data>` envelope (SPEC §2, seed 004 状态码说明).
const (
	CodeOK              = 200 // success
	CodeDuplicate       = 201 // a signed request replayed (same auth_key + token)
	CodeBadRequest      = 400 // parameter missing, malformed or out of range; wrong or expired captcha
	CodeUnauthorized    = 401 // no access token, wrong account or password, session ended
	CodeTokenExpired    = 402 // the access or refresh token has expired
	CodeForbidden       = 403 // frozen or rejected account, non-admin on an admin route
	CodeNotFound        = 404 // no such resource or route
	CodeMethodNotAllow  = 405 // route exists, method does not
	CodeConflict        = 409 // account or email already registered
	CodeBodyTooLarge    = 413 // request body above server.max_body_bytes
	CodeTooManyRequests = 429 // rate limited; Retry-After says when to come back
	CodeInternal        = 500 // internal error, details only in the log
	CodeUnavailable     = 503 // dependency (MongoDB) unavailable
	CodeSignMissing     = 511 // signature parameter `token` missing
	CodeAuthKey         = 512 // `auth_key` missing or unknown
	CodeSignExpired     = 513 // `timestamp` outside sign.max_skew
	CodeSignInvalid     = 514 // signature mismatch
	CodeJWTIssue        = 520 // a JWT could not be issued
	CodeJWTInvalid      = 521 // JWT malformed, bad signature, wrong algorithm or issuer
)

// Envelope is the body of every response (SPEC §2). Data is set on success
// only; Errors carries field-level details of a 400.
type Envelope struct {
	Code   int          `json:"code"`
	Msg    string       `json:"msg"`
	Data   any          `json:"data,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError names the request field a 400 is about.
type FieldError struct {
	Field string `json:"field"`
	Msg   string `json:"msg"`
}

// OK wraps data in a success envelope. A nil data becomes an empty object so
// that `data` is always present on success.
func OK(data any) Envelope {
	if data == nil {
		data = struct{}{}
	}
	return Envelope{Code: CodeOK, Msg: "success", Data: data}
}

// AppError is an error a client may see: Code and Msg go into the envelope
// as they are, so Msg must be a sentence written for the client. Cause, when
// set, is logged and never shown.
type AppError struct {
	Code   int
	Msg    string
	Fields []FieldError
	// RetryAfter, when positive, is sent as the Retry-After header (whole
	// seconds, rounded up) with a 429.
	RetryAfter time.Duration
	Cause      error
}

// NewError returns an AppError with the given envelope code and message.
func NewError(code int, msg string) *AppError { return &AppError{Code: code, Msg: msg} }

// FieldErr returns a 400 about one request field; msg is also the envelope msg.
func FieldErr(field, msg string) *AppError {
	return &AppError{Code: CodeBadRequest, Msg: msg, Fields: []FieldError{{Field: field, Msg: msg}}}
}

func (e *AppError) Error() string {
	if e.Cause != nil {
		return e.Msg + ": " + e.Cause.Error()
	}
	return e.Msg
}

func (e *AppError) Unwrap() error { return e.Cause }

// Is makes errors.Is match two AppErrors of the same code and message, so
// the shared values below work as sentinels even when copied.
func (e *AppError) Is(target error) bool {
	t, ok := target.(*AppError)
	return ok && t.Code == e.Code && t.Msg == e.Msg
}

// AsAppError reports the AppError in err's chain, if any.
func AsAppError(err error) (*AppError, bool) {
	var ae *AppError
	ok := errors.As(err, &ae)
	return ae, ok
}

// StatusPolicy is response.http_status (SPEC §2): which HTTP status carries
// an envelope code.
type StatusPolicy string

const (
	// StatusMirror sends the HTTP status equal to code, as the document says.
	StatusMirror StatusPolicy = "mirror"
	// StatusStandard keeps code in the body but maps 51x/52x, 402 and 201 to
	// statuses proxies and CDNs understand.
	StatusStandard StatusPolicy = "standard"
)

// HTTPStatus is the HTTP status that carries code under policy p.
func (p StatusPolicy) HTTPStatus(code int) int {
	if p != StatusStandard {
		return code
	}
	switch code {
	case CodeSignMissing, CodeAuthKey, CodeSignExpired, CodeSignInvalid, CodeJWTInvalid, CodeTokenExpired:
		return http.StatusUnauthorized
	case CodeJWTIssue:
		return http.StatusInternalServerError
	case CodeDuplicate:
		return http.StatusConflict
	}
	return code
}

// FieldErrCode returns an error with code about one request field, e.g. a
// 409 about `email`.
func FieldErrCode(code int, field, msg string) *AppError {
	return &AppError{Code: code, Msg: msg, Fields: []FieldError{{Field: field, Msg: msg}}}
}
