// Package auth holds who a caller is: JWT access and refresh tokens,
// sessions, argon2id password hashing, the brute-force login guard, the
// RSA transport of password fields, and the Principal of an authenticated
// request. The account rules that use them are services/account.
package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	lru "github.com/hashicorp/golang-lru/v2"
)

// Token types, the `typ` claim (docs/security.md).
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// tokenLeeway absorbs clock skew between the instance that issued a token
// and the one that checks it (exp, iat).
const tokenLeeway = 5 * time.Second

// TokenConfig is the jwt section of the configuration (docs/security.md, §9).
type TokenConfig struct {
	// Secret is the HS256 key. An empty secret makes Issue fail with
	// ErrTokenIssue and every token invalid.
	Secret []byte
	// Issuer is written to and required in `iss`.
	Issuer string
	// AccessTTL is the access token lifetime (default 2 h in config).
	AccessTTL time.Duration
	// RefreshTTL is the refresh token lifetime (default 15 days in config).
	RefreshTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Claims are the claims of both token types (docs/security.md): `sub` is the user id
// (hex ObjectID), `sid` the session id, `typ` "access" or "refresh", `jti`
// 16 random bytes in hex, plus `iss`, `iat` and `exp`.
type Claims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
	Type      string `json:"typ"`
}

// TokenPair is what a login or a renewal hands out. The expiry times are
// those written into the tokens (whole seconds).
type TokenPair struct {
	Access           string
	Refresh          string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	// RefreshJTI is the refresh token's `jti`, recorded in its session so
	// that only the latest refresh token of a session is accepted.
	RefreshJTI string
}

// TokenService issues and verifies the HS256 JWTs of docs/security.md. It is safe for
// concurrent use.
//
// Access tokens it verified are remembered (the last verifiedAccessTokens,
// by their whole text, signature included), so that a client sending the
// same token on every request costs its HMAC and JSON decoding once: a
// remembered token is answered after its `exp` and `iat` are checked
// against the clock again, as the parser would; any other text, or a
// remembered one past its `exp`, is parsed in full. The secret is fixed
// for the life of the service, so what verified once verifies again.
type TokenService struct {
	secret     []byte
	issuer     string
	accessTTL  time.Duration
	refreshTTL time.Duration
	now        func() time.Time
	parser     *jwt.Parser
	verified   *lru.Cache[string, Claims]
}

// verifiedAccessTokens is how many verified access tokens a TokenService
// remembers: one per active session of the instance, about 2 MB at most.
const verifiedAccessTokens = 4096

// NewTokenService returns a TokenService for cfg.
func NewTokenService(cfg TokenConfig) *TokenService {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	t := &TokenService{
		secret:     cfg.Secret,
		issuer:     cfg.Issuer,
		accessTTL:  cfg.AccessTTL,
		refreshTTL: cfg.RefreshTTL,
		now:        now,
	}
	t.verified, _ = lru.New[string, Claims](verifiedAccessTokens) // errs only for a size ≤ 0
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(tokenLeeway),
		jwt.WithTimeFunc(now),
	)
	return t
}

var (
	// ErrTokenIssue is a token that could not be signed; it wraps the cause.
	ErrTokenIssue = errors.New("token could not be issued")
	// ErrTokenMissing is a request without an access token.
	ErrTokenMissing = errors.New("access token missing")
	ErrTokenExpired = errors.New("token expired")
	// ErrTokenInvalid is a token malformed, of a bad signature, algorithm,
	// issuer or type.
	ErrTokenInvalid = errors.New("token invalid")
)

// Issue returns a new access and refresh token for the user's session.
// Errors: ErrTokenIssue (e.g. no secret configured).
func (t *TokenService) Issue(userID, sessionID string) (TokenPair, error) {
	if len(t.secret) == 0 {
		return TokenPair{}, fmt.Errorf("%w: jwt secret is empty", ErrTokenIssue)
	}
	now := t.now()
	access, accessExp, _, err := t.sign(userID, sessionID, TokenAccess, now, t.accessTTL)
	if err != nil {
		return TokenPair{}, err
	}
	refresh, refreshExp, jti, err := t.sign(userID, sessionID, TokenRefresh, now, t.refreshTTL)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{
		Access: access, Refresh: refresh,
		AccessExpiresAt: accessExp, RefreshExpiresAt: refreshExp,
		RefreshJTI: jti,
	}, nil
}

func (t *TokenService) sign(userID, sessionID, typ string, now time.Time, ttl time.Duration) (signed string, exp time.Time, jti string, err error) {
	jti = randomTokenHex(16)
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   userID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        jti,
		},
		SessionID: sessionID,
		Type:      typ,
	}
	signed, err = jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	if err != nil {
		return "", time.Time{}, "", fmt.Errorf("%w: %w", ErrTokenIssue, err)
	}
	return signed, c.ExpiresAt.Time, jti, nil
}

// Parse verifies token and returns its claims; wantType is TokenAccess or
// TokenRefresh. Only HS256 is accepted; `exp`, `sub`, `sid`, `jti` and
// `iss` (equal to the configured issuer, when one is configured) are
// required; `exp` and `iat`
// are checked against the clock with a 5 s leeway (docs/security.md).
// Errors: "" → ErrTokenMissing; expired → ErrTokenExpired; anything else
// wrong, including a token of the other type → ErrTokenInvalid.
func (t *TokenService) Parse(token, wantType string) (*Claims, error) {
	if token == "" {
		return nil, ErrTokenMissing
	}
	if wantType == TokenAccess {
		if c, ok := t.verified.Get(token); ok {
			if t.stillValid(c) {
				return &c, nil
			}
			t.verified.Remove(token) // the full parse says why
		}
	}
	var c Claims
	_, err := t.parser.ParseWithClaims(token, &c, t.key)
	switch {
	case err == nil:
	case onlyExpired(err):
		// The signature is good and the token only aged out: say so, unless
		// it was the wrong type anyway.
		if c.Type != wantType {
			return nil, ErrTokenInvalid
		}
		return nil, ErrTokenExpired
	default:
		return nil, ErrTokenInvalid
	}
	if c.Type != wantType || c.Subject == "" || c.SessionID == "" || c.ID == "" {
		return nil, ErrTokenInvalid
	}
	if wantType == TokenAccess {
		t.verified.Add(token, c)
	}
	return &c, nil
}

// stillValid reports whether claims that verified before are still within
// their time bounds: the parser's `exp` and `iat` checks with the same
// leeway.
func (t *TokenService) stillValid(c Claims) bool {
	now := t.now()
	return c.ExpiresAt != nil && now.Before(c.ExpiresAt.Add(tokenLeeway)) &&
		c.IssuedAt != nil && !now.Add(tokenLeeway).Before(c.IssuedAt.Time)
}

func (t *TokenService) key(*jwt.Token) (any, error) {
	if len(t.secret) == 0 {
		return nil, errors.New("jwt secret is empty")
	}
	return t.secret, nil
}

// onlyExpired reports whether err says the claims are expired and nothing
// else: a token that is expired and also from another issuer is invalid.
func onlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return false
	}
	for _, other := range []error{
		jwt.ErrTokenMalformed, jwt.ErrTokenUnverifiable, jwt.ErrTokenSignatureInvalid,
		jwt.ErrTokenRequiredClaimMissing, jwt.ErrTokenInvalidIssuer, jwt.ErrTokenUsedBeforeIssued,
		jwt.ErrTokenNotValidYet, jwt.ErrTokenInvalidAudience, jwt.ErrTokenInvalidSubject,
	} {
		if errors.Is(err, other) {
			return false
		}
	}
	return true
}

// randomTokenHex returns n random bytes in hex (crypto/rand; Read never fails
// since Go 1.24).
func randomTokenHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
