package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
)

// LoginAttemptStore is what LoginGuard needs from the `login_attempts`
// collection (models.LoginAttemptStore): counters per key in fixed windows
// aligned on the Unix epoch.
type LoginAttemptStore interface {
	Fail(ctx context.Context, key string, now time.Time, window time.Duration) (count int, windowStart time.Time, err error)
	Add(ctx context.Context, key string, n int, now time.Time, window time.Duration) (count int, windowStart time.Time, err error)
	Forgive(ctx context.Context, now time.Time, window time.Duration, keys ...string) error
	Clear(ctx context.Context, key string, now time.Time, window time.Duration, forgive ...string) error
}

// ErrTooManyFailedLogins is what Attempt refuses a locked account with,
// inside a RetryLater.
var ErrTooManyFailedLogins = errors.New("too many failed logins")

// LoginGuardConfig sets the brute-force thresholds (docs/security.md; OWASP
// ASVS 6.1.1 / 6.3.1). Zero values take the defaults shown.
type LoginGuardConfig struct {
	// CaptchaAfter failures of the account in the window make a captcha
	// required (default 3).
	CaptchaAfter int
	// CaptchaAfterIP failures from one client IP in the window make a
	// captcha required (default 20: many people behind one NAT address
	// should not need one after three mistakes by anyone).
	CaptchaAfterIP int
	// FloodPerMinute failed logins across the whole site in the last
	// minute make every login need a captcha, so that a
	// distributed flood is refused before it reaches the password hash
	// (default 60, one a second: a tenth or less of what one hashing slot
	// checks, an argon2id check at the default cost taking 40–110 ms on a
	// busy 2-core machine, so the flood never saturates it; the load
	// harness saw 9 a second saturate one).
	FloodPerMinute int
	// LockAfter failures of the account in the window lock it until the
	// window ends (default 10).
	LockAfter int
	// Window is the length of the fixed windows failures are counted in
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
//
// Site-wide, every login attempt that does not succeed is counted (Flood),
// in memory and added to a shared counter at most once a second per
// instance; past FloodPerMinute every login needs a captcha.
type LoginGuard struct {
	cfg   LoginGuardConfig
	store LoginAttemptStore
	flood floodMeter
}

// floodKey is the site-wide counter of login attempts in login_attempts.
const floodKey = "site:logins"

// floodMeter counts login attempts site-wide: locally, and into the
// shared counter floodKey at most once per second (one round trip then),
// so that the count costs no database work per login.
type floodMeter struct {
	mu       sync.Mutex
	pending  int       // attempts not yet added to the shared counter (less successes)
	window   time.Time // start of the minute total counts in
	total    int       // the shared count of window at the last flush, plus local attempts since
	previous int       // total of the minute before window
	flushed  time.Time // last flush started
	flushing bool
}

// Flood counts a login attempt site-wide and reports whether the failed
// logins across the site before it reached FloodPerMinute in the last
// minute (a sliding estimate over this minute's and the previous one's
// counts): then every login needs a captcha. Call Succeeded when the
// password was right (it takes the attempt back). It never fails: when
// the shared counter cannot be reached, this instance's own count decides.
func (g *LoginGuard) Flood(ctx context.Context) bool {
	now := g.cfg.Now()
	m := &g.flood
	m.mu.Lock()
	m.roll(now)
	// The attempts before this one decide.
	flooded := m.rate(now, m.total) >= float64(g.cfg.FloodPerMinute)
	m.pending++
	m.total++
	if m.flushed.IsZero() {
		m.flushed = now // the first flush a second after the first attempt
	}
	flush := !m.flushing && now.Sub(m.flushed) >= time.Second
	n := m.pending
	if flush {
		m.flushing, m.flushed, m.pending = true, now, 0
	}
	m.mu.Unlock()
	if !flush {
		return flooded
	}
	count, start, err := g.store.Add(ctx, floodKey, n, now, time.Minute)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.flushing = false
	if err != nil {
		m.pending += n // counted at the next flush
		return flooded
	}
	if start.Equal(m.window) {
		m.total = max(m.total, count)
	}
	return m.rate(now, m.total-1) >= float64(g.cfg.FloodPerMinute)
}

type floodCtxKey struct{}

// WithFlood returns ctx carrying the answer Flood gave for this login
// attempt, counted already (the login route's gate, middleware.LoginFlood).
func WithFlood(ctx context.Context, flooded bool) context.Context {
	return context.WithValue(ctx, floodCtxKey{}, flooded)
}

// FloodFor is Flood for the login attempt of ctx: the answer WithFlood put
// in ctx, else Flood's (which counts the attempt).
func (g *LoginGuard) FloodFor(ctx context.Context) bool {
	if flooded, ok := ctx.Value(floodCtxKey{}).(bool); ok {
		return flooded
	}
	return g.Flood(ctx)
}

// Flooded reports, without counting, whether the site is under a login
// flood now, leaving out one attempt (the caller's, counted already by
// Flood): a login that waited for a hashing slot checks again before its
// hash, so the attempts queued before the flood guard tripped are refused
// instead of hashed.
func (g *LoginGuard) Flooded() bool {
	now := g.cfg.Now()
	m := &g.flood
	m.mu.Lock()
	defer m.mu.Unlock()
	m.roll(now)
	return m.rate(now, m.total-1) >= float64(g.cfg.FloodPerMinute)
}

// rate estimates the attempts of the last minute at now from total, the
// count of the current minute, and the previous minute's, weighted by how
// much of it the last minute still covers (a sliding window over two
// fixed ones): a flood that straddles a minute boundary trips it as one
// inside a minute would. The caller holds mu.
func (m *floodMeter) rate(now time.Time, total int) float64 {
	left := 1 - float64(now.Sub(m.window))/float64(time.Minute)
	return float64(total) + float64(m.previous)*max(left, 0)
}

// roll moves the meter to the minute holding now. The caller holds mu.
func (m *floodMeter) roll(now time.Time) {
	start := now.Truncate(time.Minute)
	if start.Equal(m.window) {
		return
	}
	if start.Sub(m.window) == time.Minute {
		m.previous = m.total
	} else {
		m.previous = 0
	}
	// Attempts not yet flushed belong to the minute that ended.
	m.window, m.total, m.pending = start, 0, 0
}

// succeeded takes back an attempt Flood counted.
func (m *floodMeter) succeeded(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.roll(now)
	if m.total > 0 {
		m.total--
	}
	m.pending-- // below zero when already flushed: the next flush takes it back
}

// NewLoginGuard returns a LoginGuard over store with cfg (zero fields take
// their defaults).
func NewLoginGuard(cfg LoginGuardConfig, store LoginAttemptStore) *LoginGuard {
	if cfg.CaptchaAfter <= 0 {
		cfg.CaptchaAfter = 3
	}
	if cfg.CaptchaAfterIP <= 0 {
		cfg.CaptchaAfterIP = 20
	}
	if cfg.FloodPerMinute <= 0 {
		cfg.FloodPerMinute = 60
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
// captchaRequired=true when the account already had CaptchaAfter or more,
// or the IP CaptchaAfterIP or more. Call Succeeded when the password was
// right. Errors: services.ErrUnavailable when the store fails.
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
		if err := g.store.Forgive(ctx, now, g.cfg.Window, account); err != nil {
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
		captchaRequired = captchaRequired || n-1 >= g.cfg.CaptchaAfterIP
	}
	return captchaRequired, nil
}

// Succeeded takes back an attempt whose password was right: the account's
// failures are cleared, and the IP's count loses this attempt only (one
// good password from an address does not excuse its guesses at other
// accounts). One database round trip. Errors: services.ErrUnavailable
// when the store fails.
func (g *LoginGuard) Succeeded(ctx context.Context, account, ip string) error {
	now := g.cfg.Now()
	g.flood.succeeded(now)
	if err := g.store.Clear(ctx, account, now, g.cfg.Window, ipKeys(ip)...); err != nil {
		return services.Unavailable(err)
	}
	return nil
}

// Unchecked takes back an attempt whose password was never checked (the
// captcha it needed was missing or wrong), so requests without a solved
// captcha cannot push an account towards its lock. One database round
// trip. Errors: services.ErrUnavailable.
func (g *LoginGuard) Unchecked(ctx context.Context, account, ip string) error {
	if err := g.store.Forgive(ctx, g.cfg.Now(), g.cfg.Window, append([]string{account}, ipKeys(ip)...)...); err != nil {
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
// no valid account or email is, docs/security.md) is stored as its SHA-256 so that
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
