package services

import (
	"errors"
)

// Observer receives the outcomes operators watch (issue 5: login outcomes,
// captchas issued and checked); internal/metrics counts them with
// Prometheus. Values are from the fixed sets below, never user data.
// Implementations must be safe for concurrent use and quick: they run on
// the request's goroutine. A nil Observer in a service's deps observes
// nothing.
type Observer interface {
	LoginAttempted(LoginOutcome)
	CaptchaIssued()
	CaptchaChecked(CaptchaResult)
}

// LoginOutcome is how a POST /blogapi/login ended.
type LoginOutcome string

// Login outcomes, one per answer UserService.Login distinguishes.
const (
	LoginSuccess         LoginOutcome = "success"          // 200, a session started
	LoginBadCredentials  LoginOutcome = "bad_credentials"  // 401, unknown account or wrong password
	LoginCaptchaRequired LoginOutcome = "captcha_required" // 400, the guard asked for a captcha and none came
	LoginCaptchaFailed   LoginOutcome = "captcha_failed"   // 400, the captcha was wrong, expired, unknown or had no id
	LoginLocked          LoginOutcome = "locked"           // 429, too many failures: the account is locked
	LoginForbidden       LoginOutcome = "forbidden"        // 403, frozen or rejected account
	LoginInvalid         LoginOutcome = "invalid"          // 400, a missing or malformed field
	LoginError           LoginOutcome = "error"            // 5xx, database unavailable or tokens not issued
)

// LoginOutcomes lists every LoginOutcome (metrics start each at zero).
func LoginOutcomes() []LoginOutcome {
	return []LoginOutcome{LoginSuccess, LoginBadCredentials, LoginCaptchaRequired, LoginCaptchaFailed,
		LoginLocked, LoginForbidden, LoginInvalid, LoginError}
}

// CaptchaResult is how a captcha check ended (SPEC §6).
type CaptchaResult string

// Captcha check results.
const (
	CaptchaVerified CaptchaResult = "verified" // the answer was right
	CaptchaWrong    CaptchaResult = "wrong"    // the answer was wrong (the captcha is used up)
	CaptchaExpired  CaptchaResult = "expired"  // the captcha's TTL had passed
	CaptchaUnknown  CaptchaResult = "unknown"  // no such captcha, or already used
	CaptchaMissing  CaptchaResult = "missing"  // no answer or no captcha id
	CaptchaError    CaptchaResult = "error"    // the store failed (503)
)

// CaptchaResults lists every CaptchaResult (metrics start each at zero).
func CaptchaResults() []CaptchaResult {
	return []CaptchaResult{CaptchaVerified, CaptchaWrong, CaptchaExpired, CaptchaUnknown, CaptchaMissing, CaptchaError}
}

// nopObserver observes nothing (deps without an Observer).
type nopObserver struct{}

func (nopObserver) LoginAttempted(LoginOutcome)  {}
func (nopObserver) CaptchaIssued()               {}
func (nopObserver) CaptchaChecked(CaptchaResult) {}

// orNop is o, or an Observer that observes nothing when o is nil.
func orNop(o Observer) Observer {
	if o == nil {
		return nopObserver{}
	}
	return o
}

// loginOutcome classifies what Login returned.
func loginOutcome(err error) LoginOutcome {
	switch {
	case err == nil:
		return LoginSuccess
	case errors.Is(err, ErrBadCredentials):
		return LoginBadCredentials
	case errors.Is(err, ErrCaptchaRequired):
		return LoginCaptchaRequired
	case captchaResult(err) != CaptchaError: // one of CaptchaService.Check's refusals
		return LoginCaptchaFailed
	case errors.Is(err, ErrTooManyFailedLogins):
		return LoginLocked
	case errors.Is(err, ErrAccountFrozen), errors.Is(err, ErrAccountRejected):
		return LoginForbidden
	case errors.As(err, new(*FieldError)), errors.Is(err, ErrPasswordUndecryptable), errors.Is(err, ErrPasswordFormat):
		return LoginInvalid
	}
	return LoginError
}

// captchaResult classifies what CaptchaService.Check returned.
func captchaResult(err error) CaptchaResult {
	switch {
	case err == nil:
		return CaptchaVerified
	case errors.Is(err, ErrCaptchaWrong):
		return CaptchaWrong
	case errors.Is(err, ErrCaptchaExpired):
		return CaptchaExpired
	case errors.Is(err, ErrCaptchaUnknown):
		return CaptchaUnknown
	case errors.Is(err, ErrCaptchaMissing), errors.Is(err, ErrCaptchaNoID):
		return CaptchaMissing
	}
	return CaptchaError
}
