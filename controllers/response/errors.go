package response

import "errors"

// Refusals of the HTTP layer itself: the router and the middleware that
// reads headers. They are declared here, beside the table, because
// middleware imports this package (the services declare their own).
var (
	ErrNoRoute          = errors.New("no such route")
	ErrMethodNotAllowed = errors.New("method not allowed")
	ErrAuthScheme       = errors.New("authorization scheme is not bearer")
	ErrBearerMalformed  = errors.New("bearer credentials malformed")
	ErrTokenDisagree    = errors.New("access-token and authorization headers disagree")
	ErrOriginNotAllowed = errors.New("cors origin not allowed")
	ErrRateLimited      = errors.New("rate limited")
	// ErrBodyTooLarge and ErrBodyUnreadable are a request body the
	// signature check could not read whole (server.max_body_bytes).
	ErrBodyTooLarge   = errors.New("request body too large")
	ErrBodyUnreadable = errors.New("request body unreadable")
	// ErrURITooLong and ErrHeadersTooLarge are a request line or headers
	// above the API's limits (middleware.HeaderLimits), which sit below
	// the server's own, so the client gets an envelope, not Go's
	// plain-text 431.
	ErrURITooLong      = errors.New("request uri too long")
	ErrHeadersTooLarge = errors.New("request headers too large")
	// ErrRequestDeadline is the cause of a request context that
	// middleware.Deadline ended, a second before the server's write
	// timeout.
	ErrRequestDeadline = errors.New("request ran past its deadline")
	// ErrPanic is a handler that panicked; the panic is logged where it
	// was recovered.
	ErrPanic = errors.New("handler panicked")
)
