package signing

import (
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// App is one entry of sign.apps: a calling app, the auth_key it sends and
// the auth_secret its tokens are made with.
type App struct{ Name, Key, Secret string }

// ReplayStore keeps the signatures already accepted, shared by every
// server instance.
type ReplayStore interface {
	// Record stores key until expiresAt. It returns ErrReplayed when key
	// is stored and has not expired; any other error means the store did
	// not answer.
	Record(ctx context.Context, key string, expiresAt time.Time) error
}

// Replay modes (sign.replay): which methods a signature may be used once
// only for.
const (
	ReplayAll      = "all"      // every method
	ReplayMutating = "mutating" // POST, PUT, PATCH and DELETE (the default)
	ReplayOff      = "off"      // none
)

// DefaultMaxSkew is sign.max_skew when none is configured.
const DefaultMaxSkew = 5 * time.Minute

// Config configures a Signer.
type Config struct {
	// Apps are the known apps; the first app of a repeated Key wins.
	Apps []App
	// MaxSkew is the largest allowed |now − timestamp|; zero means
	// DefaultMaxSkew.
	MaxSkew time.Duration
	// Replay is ReplayAll, ReplayMutating or ReplayOff; anything else
	// (including "") means ReplayMutating.
	Replay string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Signer checks request signatures. It is safe for concurrent use.
type Signer struct {
	apps    map[string]App
	maxSkew time.Duration
	replay  string
	now     func() time.Time
	store   ReplayStore
}

// NewSigner returns a Signer for cfg. store may be nil only when
// cfg.Replay is ReplayOff; NewSigner panics otherwise, as that is a wiring
// mistake.
func NewSigner(cfg Config, store ReplayStore) *Signer {
	s := &Signer{
		apps:    make(map[string]App, len(cfg.Apps)),
		maxSkew: cfg.MaxSkew,
		replay:  cfg.Replay,
		now:     cfg.Now,
		store:   store,
	}
	for _, a := range cfg.Apps {
		if _, ok := s.apps[a.Key]; !ok {
			s.apps[a.Key] = a
		}
	}
	if s.maxSkew <= 0 {
		s.maxSkew = DefaultMaxSkew
	}
	if s.replay != ReplayAll && s.replay != ReplayOff {
		s.replay = ReplayMutating
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.replay != ReplayOff && store == nil {
		panic("signing.NewSigner: a ReplayStore is required unless sign.replay is off")
	}
	return s
}

// Signature is a request signature Verify accepted.
type Signature struct {
	// App is the calling app.
	App App
	sum [md5.Size]byte
}

// Request names a signed request for the replay check: the same signature
// of another request (another route, another user's session) is another
// request.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Route is the route's path pattern, e.g. "/blogapi/logout" (gin's
	// FullPath), not the path with its parameters filled in.
	Route string
	// Session is the caller's session, the sid of an access token that
	// verified; "" on a route without one.
	Session string
}

// Verify checks the signature of a request with parameters p and returns
// it. The checks, in order (docs/signing.md, "Checks, in order"):
//
//   - `token` missing or empty: ErrTokenMissing;
//   - `auth_key` missing or empty: ErrAuthKeyMissing; unknown:
//     ErrAuthKeyUnknown;
//   - `timestamp` (ms since the Unix epoch) missing: ErrTimestampMissing;
//     not a decimal integer: ErrTimestampInvalid;
//   - |now − timestamp| > MaxSkew: ErrExpired;
//   - token ≠ md5(canonical string), compared in constant time (hex of
//     either case; anything but 32 hex digits fails): ErrSignatureInvalid.
//
// A parameter sent several times is read at its first occurrence. Verify
// does not check replays: Replay does, once the caller is known.
func (s *Signer) Verify(p *Params) (Signature, error) {
	token, ok := p.first("token")
	if !ok || token == "" {
		return Signature{}, ErrTokenMissing
	}
	key, ok := p.first("auth_key")
	if !ok || key == "" {
		return Signature{}, ErrAuthKeyMissing
	}
	app, ok := s.apps[key]
	if !ok {
		return Signature{}, ErrAuthKeyUnknown
	}
	tsText, ok := p.first("timestamp")
	if !ok || tsText == "" {
		return Signature{}, ErrTimestampMissing
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || tsText[0] == '+' {
		return Signature{}, ErrTimestampInvalid
	}
	now := s.now()
	nowMs, skewMs := now.UnixMilli(), s.maxSkew.Milliseconds()
	if ts < nowMs-skewMs || ts > nowMs+skewMs {
		return Signature{}, ErrExpired
	}

	var buf [256]byte
	sum := md5.Sum(p.AppendCanonical(buf[:0], app.Secret))
	// Decoding the token tells nothing about the expected one; the
	// comparison with it is constant-time.
	var got [md5.Size]byte
	if len(token) != hex.EncodedLen(md5.Size) {
		return Signature{}, ErrSignatureInvalid
	}
	if _, err := hex.Decode(got[:], []byte(token)); err != nil {
		return Signature{}, ErrSignatureInvalid
	}
	if subtle.ConstantTimeCompare(sum[:], got[:]) != 1 {
		return Signature{}, ErrSignatureInvalid
	}

	return Signature{App: app, sum: sum}, nil
}

// Replay records that sig was used for req, for 2×MaxSkew (a signature
// older than MaxSkew is refused as expired anyway), and fails with
// ErrReplayed when it already was within that time; any other error of the
// store is returned wrapped. The record is keyed by auth_key, token,
// method, route and session: the token covers only the parameter values
// and the timestamp, so two users sending the same parameterless POST in
// one millisecond sign alike and must still be two requests
// (docs/signing.md, "Replays"). Methods the replay mode does not cover are
// not recorded.
func (s *Signer) Replay(ctx context.Context, sig Signature, req Request) error {
	if !s.replayChecked(req.Method) {
		return nil
	}
	key := sig.App.Key + ":" + hex.EncodeToString(sig.sum[:]) + ":" + req.Method + ":" + req.Session + ":" + req.Route
	err := s.store.Record(ctx, key, s.now().Add(2*s.maxSkew))
	if errors.Is(err, ErrReplayed) {
		return ErrReplayed
	}
	if err != nil {
		return fmt.Errorf("signing: replay record: %w", err)
	}
	return nil
}

func (s *Signer) replayChecked(method string) bool {
	switch s.replay {
	case ReplayAll:
		return true
	case ReplayOff:
		return false
	}
	switch method {
	case "POST", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}
