package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
)

// LoginAttemptStore is what LoginGuard needs from the `login_attempts`
// collection (models.LoginAttemptStore): counters per key in a fixed window
// that opens at the key's first failure.
type LoginAttemptStore interface {
	Fail(ctx context.Context, key string, now time.Time, window time.Duration) (count int, windowStart time.Time, err error)
	Forgive(ctx context.Context, now time.Time, keys ...string) error
	Clear(ctx context.Context, key string, now time.Time, forgive ...string) error
}

// ErrTooManyFailedLogins is what Attempt refuses a locked account with,
// inside a RetryLater.
var ErrTooManyFailedLogins = errors.New("too many failed logins")

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

// LoginGuard throttles password guessing: it counts attempts per account
// and per client IP in MongoDB, so every instance sees the same counts,
// asks for a captcha after a few failures and locks the account after
// many.
//
// An attempt is counted as a failure before the password is checked, by
// one atomic increment, and taken back when it succeeds: so concurrent
// guesses each see the ones before them, and a guesser gets at most
// LockAfter password checks per Window per account, however many requests
// it sends at once. Windows are fixed: a key's window opens at its first
// failure and lasts Window; a locked account stays locked until its window
// ends, whatever is tried meanwhile.
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

// Attempt counts a password check for account (an AccountKey) and the
// client ip ("" skips the IP) before it is made. It refuses with
// ErrTooManyFailedLogins in a services.RetryLater whose RetryAfter is the
// rest of the window when the account already had LockAfter or more
// failures in its window (a correct password does not bypass it), and
// captchaRequired=true when the account or the IP already had CaptchaAfter
// or more. Call Succeeded when the password was right. Errors:
// services.ErrUnavailable when the store fails.
func (g *LoginGuard) Attempt(ctx context.Context, account, ip string) (captchaRequired bool, err error) {
	now := g.cfg.Now()
	n, opened, err := g.store.Fail(ctx, account, now, g.cfg.Window)
	if err != nil {
		return false, services.Unavailable(err)
	}
	before := n - 1
	if before >= g.cfg.LockAfter {
		// No password is checked: take the attempt back, so that a burst
		// counted in advance cannot lock an account by itself.
		if err := g.store.Forgive(ctx, now, account); err != nil {
			return false, services.Unavailable(err)
		}
		return false, &services.RetryLater{Err: ErrTooManyFailedLogins, RetryAfter: max(opened.Add(g.cfg.Window).Sub(now), time.Second)}
	}
	captchaRequired = before >= g.cfg.CaptchaAfter
	if ip != "" {
		n, _, err := g.store.Fail(ctx, ipKey(ip), now, g.cfg.Window)
		if err != nil {
			return false, services.Unavailable(err)
		}
		captchaRequired = captchaRequired || n-1 >= g.cfg.CaptchaAfter
	}
	return captchaRequired, nil
}

// Succeeded takes back an attempt whose password was right: the account's
// failures are cleared, and the IP's count loses this attempt only (one
// good password from an address does not excuse its guesses at other
// accounts). One database round trip. Errors: services.ErrUnavailable
// when the store fails.
func (g *LoginGuard) Succeeded(ctx context.Context, account, ip string) error {
	if err := g.store.Clear(ctx, account, g.cfg.Now(), ipKeys(ip)...); err != nil {
		return services.Unavailable(err)
	}
	return nil
}

// Unchecked takes back an attempt whose password was never checked (the
// captcha it needed was missing or wrong), so requests without a solved
// captcha cannot push an account towards its lock. One database round
// trip. Errors: services.ErrUnavailable.
func (g *LoginGuard) Unchecked(ctx context.Context, account, ip string) error {
	if err := g.store.Forgive(ctx, g.cfg.Now(), append([]string{account}, ipKeys(ip)...)...); err != nil {
		return services.Unavailable(err)
	}
	return nil
}

// ipKeys is the counter key of ip, none when ip is "".
func ipKeys(ip string) []string {
	if ip == "" {
		return nil
	}
	return []string{ipKey(ip)}
}

// maxKeyAccount bounds the account text kept in a key; longer input (which
// no valid account or email is, SPEC §5) is stored as its SHA-256 so that
// junk cannot make huge keys.
const maxKeyAccount = 254

// GuardKeyUser is the LoginGuard key of an existing user: the same however
// the user was named (account name, email, any case), and shared by login
// and the password checks of logged-in routes.
func GuardKeyUser(u models.User) string { return "user:" + u.ID.Hex() }

// GuardKeyTyped is the LoginGuard key of an account name or email that
// names no user: what was typed, lower-cased.
func GuardKeyTyped(account string) string {
	account = strings.ToLower(account)
	if len(account) > maxKeyAccount {
		sum := sha256.Sum256([]byte(account))
		return "acct:sha256:" + hex.EncodeToString(sum[:])
	}
	return "acct:" + account
}

// ipKey is the counter key of a client IP (ClientNetwork).
func ipKey(ip string) string { return "ip:" + ClientNetwork(ip) }

// ClientNetwork is what counts as one client for per-IP budgets (the login
// guard, the rate limits): an IPv4 address, or the /64 of an IPv6 address,
// the block one subscriber gets, so rotating addresses within it does not
// reset a count. IPv4-mapped IPv6 addresses count as their IPv4 address;
// text that is not an IP address is used as it is.
func ClientNetwork(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if addr.Is6() && !addr.Is4In6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.Unmap().String()
}
