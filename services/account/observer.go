package account

import (
	"errors"

	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/captcha"
)

// Observer receives the login outcomes operators watch; internal/metrics
// counts them with Prometheus. Values are from the fixed set below, never
// user data. Implementations must be safe for concurrent use and quick:
// they run on the request's goroutine. A nil Observer in Deps observes
// nothing.
type Observer interface {
	LoginAttempted(LoginOutcome)
}

// LoginOutcome is how a POST /blogapi/login ended.
type LoginOutcome string

// Login outcomes, one per answer Service.Login distinguishes.
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

// nopObserver observes nothing (deps without an Observer).
type nopObserver struct{}

func (nopObserver) LoginAttempted(LoginOutcome) {}

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
	case errors.Is(err, captcha.ErrRequired):
		return LoginCaptchaRequired
	case captcha.ResultOf(err) != captcha.ResultError: // one of captcha.Service.Check's refusals
		return LoginCaptchaFailed
	case errors.Is(err, auth.ErrTooManyFailedLogins):
		return LoginLocked
	case errors.Is(err, ErrAccountFrozen), errors.Is(err, ErrAccountRejected):
		return LoginForbidden
	case errors.As(err, new(*services.FieldError)), errors.Is(err, auth.ErrPasswordUndecryptable), errors.Is(err, auth.ErrPasswordFormat):
		return LoginInvalid
	}
	return LoginError
}
