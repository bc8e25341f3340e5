// Package response is the wire contract of the API: the `<code, msg,
// data>` envelope, its codes, the HTTP-status policy, the one table that
// maps domain errors to codes and messages (table.go) and the renderer
// that middleware, controllers and routes answer with (README, "Responses";
// docs/openapi.yaml, Envelope).
package response

// Codes of the envelope (the API document, seed 004, status codes).
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
	CodeBodyTooLarge    = 413 // request body above server.max_body_bytes, an upload above media.max_bytes
	CodeURITooLong      = 414 // request URI (path and query string) above the API's limit
	CodeUnsupported     = 415 // an upload that is not a JPEG, PNG, GIF or WebP image
	CodeHeadersTooLarge = 431 // request headers above the API's limit
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

// Envelope is the body of every response. Data is set on success only;
// Errors carries the field a 400 (or 401, 409) is about.
type Envelope struct {
	Code   int          `json:"code"`
	Msg    string       `json:"msg"`
	Data   any          `json:"data,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError names the request field an error is about; Msg is the
// envelope's msg. Reason, when set, is a stable token for a refusal a
// client is expected to act on rather than only show (docs/openapi.yaml,
// FieldError): ReasonCaptchaRequired.
type FieldError struct {
	Field  string `json:"field"`
	Msg    string `json:"msg"`
	Reason string `json:"reason,omitempty"`
}

// ReasonCaptchaRequired is the reason of login's 400 "captcha required"
// (the brute-force guard, docs/routes.md): fetch a captcha, show it, and
// send its answer as captcha with captcha_id. It tells this refusal from
// a wrong or expired captcha answer, which name the same field.
const ReasonCaptchaRequired = "captcha_required"

// Success wraps data in a success envelope. A nil data becomes an empty
// object so that `data` is always present on success.
func Success(data any) Envelope {
	if data == nil {
		data = struct{}{}
	}
	return Envelope{Code: CodeOK, Msg: "success", Data: data}
}
