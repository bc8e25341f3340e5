package captcha

import (
	"errors"
	"fmt"
	"testing"

	"github.com/blogapi/blogapi/services"
)

// TestResultOf: every error Service.Check returns lands on its own label,
// wrapped or not, and anything unknown is an error.
func TestResultOf(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("wrapped: %w", err) }
	tests := []struct {
		err   error
		check Result
	}{
		{nil, ResultVerified},
		{ErrWrong, ResultWrong},
		{ErrExpired, ResultExpired},
		{ErrUnknown, ResultUnknown},
		{ErrMissing, ResultMissing},
		{ErrNoID, ResultMissing},
		{services.Unavailable(errors.New("down")), ResultError},
		{errors.New("anything else"), ResultError},
	}
	for _, c := range tests {
		if got := ResultOf(c.err); got != c.check {
			t.Errorf("ResultOf(%v) = %s, want %s", c.err, got, c.check)
		}
		if c.err != nil {
			if got := ResultOf(wrap(c.err)); got != c.check {
				t.Errorf("ResultOf(wrapped %v) = %s, want %s", c.err, got, c.check)
			}
		}
	}

}
