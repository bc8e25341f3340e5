package services

import (
	"errors"
	"fmt"
	"time"
)

// Domain errors shared by every services/<domain> package. A service returns
// a plain sentinel (errors.New, declared in its own package) or one of the
// small typed errors below; it never returns an API code or a sentence for
// the client. controllers/response holds the one table that turns them into
// envelope codes and messages (docs/architecture.md, "Errors").

// ErrUnavailable marks a dependency (the database, the mail server) that did
// not answer; wrapped with the cause (fmt.Errorf("%w: %w", ...)), which is
// logged, never shown. The HTTP layer answers 503.
var ErrUnavailable = errors.New("dependency unavailable")

// Unavailable wraps cause, a failure of the database or another
// dependency, as ErrUnavailable, inside a RetryLater: the 503 says when to
// come back (UnavailableRetry).
func Unavailable(cause error) error {
	return &RetryLater{Err: fmt.Errorf("%w: %w", ErrUnavailable, cause), RetryAfter: UnavailableRetry}
}

// UnavailableRetry is the Retry-After of a 503 "database unavailable": a
// database that hung or restarted is usually back within seconds.
const UnavailableRetry = 5 * time.Second

// ErrBusy is a request refused because the server is at a concurrency
// limit (password hashing, the credential routes' bulkhead); 503.
var ErrBusy = errors.New("server busy")

// FieldError is a client input that failed a rule: Field is the request
// parameter's name as the API document spells it, Reason a short sentence
// about the value ("must be 2 to 20 characters"). Err, when set, is the
// sentinel the table maps, and Field then overrides the row's field;
// without it the error is a 400 whose message is Field + " " + Reason
// ("account must be 3 to 32 characters long").
type FieldError struct {
	Field  string
	Reason string
	Err    error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap returns the sentinel the error carries, if any.
func (e *FieldError) Unwrap() error { return e.Err }

// Invalid returns a 400-class error about one request field.
func Invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

// RetryLater is a refusal that ends at a known time: a rate limit, a login
// guard lock-out, a resend cool-down. RetryAfter is sent as the Retry-After
// header (whole seconds, rounded up, RFC 9110 §10.2.3).
type RetryLater struct {
	Err        error
	RetryAfter time.Duration
}

func (e *RetryLater) Error() string { return e.Err.Error() }

// Unwrap returns the sentinel saying what was refused.
func (e *RetryLater) Unwrap() error { return e.Err }
