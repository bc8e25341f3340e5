package captcha

import "errors"

// Observer receives the captchas issued and checked (internal/metrics
// counts them). Values are from the fixed set below, never user data; it
// runs on the request's goroutine and must be quick. A nil Observer in a
// Config observes nothing.
type Observer interface {
	CaptchaIssued()
	CaptchaChecked(Result)
}

// Result is how a captcha check ended (docs/security.md).
type Result string

// Captcha check results.
const (
	ResultVerified Result = "verified" // the answer was right
	ResultWrong    Result = "wrong"    // the answer was wrong (the captcha is used up)
	ResultExpired  Result = "expired"  // the captcha's TTL had passed
	ResultUnknown  Result = "unknown"  // no such captcha, or already used
	ResultMissing  Result = "missing"  // no answer or no captcha id
	ResultError    Result = "error"    // the store failed (503)
)

// Results lists every Result (metrics start each at zero).
func Results() []Result {
	return []Result{ResultVerified, ResultWrong, ResultExpired, ResultUnknown, ResultMissing, ResultError}
}

type nopObserver struct{}

func (nopObserver) CaptchaIssued()        {}
func (nopObserver) CaptchaChecked(Result) {}

// ResultOf classifies what Service.Check returned.
func ResultOf(err error) Result {
	switch {
	case err == nil:
		return ResultVerified
	case errors.Is(err, ErrWrong):
		return ResultWrong
	case errors.Is(err, ErrExpired):
		return ResultExpired
	case errors.Is(err, ErrUnknown):
		return ResultUnknown
	case errors.Is(err, ErrMissing), errors.Is(err, ErrNoID):
		return ResultMissing
	}
	return ResultError
}

// orNop is o, or an Observer that observes nothing when o is nil.
func orNop(o Observer) Observer {
	if o == nil {
		return nopObserver{}
	}
	return o
}
