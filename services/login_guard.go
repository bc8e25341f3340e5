package services

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/blogapi/blogapi/models"
)

// LoginAttemptStore is what LoginGuard needs from the `login_attempts`
// collection (models.LoginAttemptStore): failure counters per key in a
// fixed window that opens at the key's first failure.
type LoginAttemptStore interface {
	Fail(ctx context.Context, key string, now time.Time, window time.Duration) (count int, windowStart time.Time, err error)
	Count(ctx context.Context, key string, now time.Time) (count int, windowStart time.Time, err error)
	Clear(ctx context.Context, key string) error
}

// ErrTooManyFailedLogins is the 429 Check returns for a locked account
// (errors.Is matches it; the returned copy carries RetryAfter).
var ErrTooManyFailedLogins = models.NewError(models.CodeTooManyRequests, "too many failed logins; retry later")

// LoginGuardConfig sets the brute-force thresholds (issue 3 item 7, OWASP
// ASVS 6.1.1 / 6.3.1). Zero values take the defaults shown.
type LoginGuardConfig struct {
	// CaptchaAfter failures of the account or of the client IP in the window
	// make a captcha required (default 3).
	CaptchaAfter int
	// LockAfter failures of the account in the window lock it until the
	// window ends (default 10).
	LockAfter int
	// Window is how long a key's failures count, from its first failure
	// (default 15 minutes).
	Window time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// LoginGuard throttles password guessing: it counts failed logins per
// account and per client IP in MongoDB, so every instance sees the same
// counts, asks for a captcha after a few failures and locks the account
// after many.
//
// Windows are fixed: a key's window opens at its first failure and lasts
// Window; once it ends the count starts again from zero. A locked account
// stays locked until its window ends, whatever is tried meanwhile, so a
// guesser gets at most LockAfter tries per Window per account.
//
// The account key is what the user typed (an account name or an email),
// lower-cased, whether or not such a user exists, so the answers do not
// reveal which accounts exist.
type LoginGuard struct {
	cfg   LoginGuardConfig
	store LoginAttemptStore
}

// NewLoginGuard returns a LoginGuard over store with cfg (zero fields take
// their defaults).
func NewLoginGuard(cfg LoginGuardConfig, store LoginAttemptStore) *LoginGuard {
	if cfg.CaptchaAfter <= 0 {
		cfg.CaptchaAfter = 3
	}
	if cfg.LockAfter <= 0 {
		cfg.LockAfter = 10
	}
	if cfg.Window <= 0 {
		cfg.Window = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &LoginGuard{cfg: cfg, store: store}
}

// Check runs before the password is verified. It returns a 429 "too many
// failed logins; retry later" (ErrTooManyFailedLogins) with RetryAfter set to
// the rest of the window when the account has LockAfter or more failures in
// its window (a correct password does not bypass it), and
// captchaRequired=true when the account or the client IP (ip; "" skips it)
// has CaptchaAfter or more. Errors: 503 "database unavailable" when the
// store fails.
func (g *LoginGuard) Check(ctx context.Context, account, ip string) (captchaRequired bool, err error) {
	now := g.cfg.Now()
	acct, opened, err := g.store.Count(ctx, accountKey(account), now)
	if err != nil {
		return false, storeUnavailable(err)
	}
	if acct >= g.cfg.LockAfter {
		locked := *ErrTooManyFailedLogins
		locked.RetryAfter = max(opened.Add(g.cfg.Window).Sub(now), time.Second)
		return false, &locked
	}
	if acct >= g.cfg.CaptchaAfter {
		return true, nil
	}
	if ip == "" {
		return false, nil
	}
	byIP, _, err := g.store.Count(ctx, ipKey(ip), now)
	if err != nil {
		return false, storeUnavailable(err)
	}
	return byIP >= g.cfg.CaptchaAfter, nil
}

// Failed counts one failed login for the account and for the client IP
// ("" skips the IP). Call it for a wrong password and for an unknown
// account alike. Errors: 503 "database unavailable" when the store fails.
func (g *LoginGuard) Failed(ctx context.Context, account, ip string) error {
	now := g.cfg.Now()
	if _, _, err := g.store.Fail(ctx, accountKey(account), now, g.cfg.Window); err != nil {
		return storeUnavailable(err)
	}
	if ip == "" {
		return nil
	}
	if _, _, err := g.store.Fail(ctx, ipKey(ip), now, g.cfg.Window); err != nil {
		return storeUnavailable(err)
	}
	return nil
}

// Succeeded clears the account's failures after a successful login. The
// IP's are kept: one good password from an address does not excuse its
// guesses at other accounts. Errors: 503 "database unavailable" when the
// store fails.
func (g *LoginGuard) Succeeded(ctx context.Context, account, ip string) error {
	if err := g.store.Clear(ctx, accountKey(account)); err != nil {
		return storeUnavailable(err)
	}
	return nil
}

// maxKeyAccount bounds the account text kept in a key; longer input (which
// no valid account or email is, SPEC §5) is stored as its SHA-256 so that
// junk cannot make huge keys.
const maxKeyAccount = 254

// accountKey is the counter key of what the user typed as the account.
func accountKey(account string) string {
	account = strings.ToLower(account)
	if len(account) > maxKeyAccount {
		sum := sha256.Sum256([]byte(account))
		return "acct:sha256:" + hex.EncodeToString(sum[:])
	}
	return "acct:" + account
}

// ipKey is the counter key of a client IP.
func ipKey(ip string) string { return "ip:" + ip }
