package account

import (
	"errors"
	"fmt"
	"testing"

	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/captcha"
)

// TestObserverClassification: every error Login returns lands on its own
// label, wrapped or not, and anything unknown is
// an error.
func TestObserverClassification(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("wrapped: %w", err) }
	login := []struct {
		err  error
		want LoginOutcome
	}{
		{nil, LoginSuccess},
		{ErrBadCredentials, LoginBadCredentials},
		{captcha.ErrRequired, LoginCaptchaRequired},
		{captcha.ErrWrong, LoginCaptchaFailed},
		{captcha.ErrExpired, LoginCaptchaFailed},
		{captcha.ErrUnknown, LoginCaptchaFailed},
		{captcha.ErrMissing, LoginCaptchaFailed},
		{captcha.ErrNoID, LoginCaptchaFailed},
		{auth.ErrTooManyFailedLogins, LoginLocked},
		{ErrAccountFrozen, LoginForbidden},
		{ErrAccountRejected, LoginForbidden},
		{services.Invalid("account", "is required"), LoginInvalid},
		{services.Unavailable(errors.New("down")), LoginError},
		{errors.New("anything else"), LoginError},
	}
	for _, c := range login {
		if got := loginOutcome(c.err); got != c.want {
			t.Errorf("loginOutcome(%v) = %s, want %s", c.err, got, c.want)
		}
		if c.err != nil {
			if got := loginOutcome(wrap(c.err)); got != c.want {
				t.Errorf("loginOutcome(wrapped %v) = %s, want %s", c.err, got, c.want)
			}
		}
	}
}
