package services

import (
	"errors"
	"fmt"
	"testing"
)

// TestObserverClassification: every error Login and CaptchaService.Check
// return lands on its own label, wrapped or not, and anything unknown is
// an error.
func TestObserverClassification(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("wrapped: %w", err) }
	captcha := []struct {
		err   error
		check CaptchaResult
	}{
		{nil, CaptchaVerified},
		{ErrCaptchaWrong, CaptchaWrong},
		{ErrCaptchaExpired, CaptchaExpired},
		{ErrCaptchaUnknown, CaptchaUnknown},
		{ErrCaptchaMissing, CaptchaMissing},
		{ErrCaptchaNoID, CaptchaMissing},
		{storeUnavailable(errors.New("down")), CaptchaError},
		{errors.New("anything else"), CaptchaError},
	}
	for _, c := range captcha {
		if got := captchaResult(c.err); got != c.check {
			t.Errorf("captchaResult(%v) = %s, want %s", c.err, got, c.check)
		}
		if c.err != nil {
			if got := captchaResult(wrap(c.err)); got != c.check {
				t.Errorf("captchaResult(wrapped %v) = %s, want %s", c.err, got, c.check)
			}
		}
	}

	login := []struct {
		err  error
		want LoginOutcome
	}{
		{nil, LoginSuccess},
		{ErrBadCredentials, LoginBadCredentials},
		{ErrCaptchaRequired, LoginCaptchaRequired},
		{ErrCaptchaWrong, LoginCaptchaFailed},
		{ErrCaptchaExpired, LoginCaptchaFailed},
		{ErrCaptchaUnknown, LoginCaptchaFailed},
		{ErrCaptchaMissing, LoginCaptchaFailed},
		{ErrCaptchaNoID, LoginCaptchaFailed},
		{ErrTooManyFailedLogins, LoginLocked},
		{ErrAccountFrozen, LoginForbidden},
		{ErrAccountRejected, LoginForbidden},
		{Invalid("account", "is required"), LoginInvalid},
		{storeUnavailable(errors.New("down")), LoginError},
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
