package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/blogapi/blogapi/models/dbtest"
)

// testClock is the settable clock of the token and session tests.
type testClock = dbtest.Clock

func newTestClock() *testClock { return dbtest.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)) }

var testTokenSecret = []byte("0123456789abcdef0123456789abcdef")

const testUserID = "65f0c0ffee0000000000beef"

func newTestTokens(clock *testClock) *TokenService {
	return NewTokenService(TokenConfig{
		Secret: testTokenSecret, Issuer: "blogapi-test",
		AccessTTL: 2 * time.Hour, RefreshTTL: 15 * 24 * time.Hour,
		Now: clock.Now,
	})
}

// wantErr fails unless err is (or wraps) want.
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}

func TestTokenRoundTrip(t *testing.T) {
	clock := newTestClock()
	ts := newTestTokens(clock)
	pair, err := ts.Issue(testUserID, "sid-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := clock.Now().Add(2 * time.Hour); !pair.AccessExpiresAt.Equal(want) {
		t.Errorf("AccessExpiresAt = %v, want %v", pair.AccessExpiresAt, want)
	}
	if want := clock.Now().Add(15 * 24 * time.Hour); !pair.RefreshExpiresAt.Equal(want) {
		t.Errorf("RefreshExpiresAt = %v, want %v", pair.RefreshExpiresAt, want)
	}

	access, err := ts.Parse(pair.Access, TokenAccess)
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := ts.Parse(pair.Refresh, TokenRefresh)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Claims{access, refresh} {
		if c.Subject != testUserID || c.SessionID != "sid-1" || c.Issuer != "blogapi-test" {
			t.Errorf("claims = %+v", c)
		}
		if !c.IssuedAt.Time.Equal(clock.Now()) {
			t.Errorf("iat = %v, want %v", c.IssuedAt.Time, clock.Now())
		}
		if len(c.ID) != 32 {
			t.Errorf("jti = %q, want 32 hex characters", c.ID)
		}
	}
	if access.Type != TokenAccess || refresh.Type != TokenRefresh {
		t.Errorf("typ = %q, %q", access.Type, refresh.Type)
	}
	if refresh.ID != pair.RefreshJTI {
		t.Errorf("refresh jti = %q, pair says %q", refresh.ID, pair.RefreshJTI)
	}
	if access.ID == refresh.ID {
		t.Error("access and refresh share a jti")
	}

	again, err := ts.Issue(testUserID, "sid-1")
	if err != nil {
		t.Fatal(err)
	}
	if again.RefreshJTI == pair.RefreshJTI || again.Refresh == pair.Refresh {
		t.Error("two issues gave the same refresh token")
	}
}

func TestTokenClaimNames(t *testing.T) {
	ts := newTestTokens(newTestClock())
	pair, err := ts.Issue(testUserID, "sid-1")
	if err != nil {
		t.Fatal(err)
	}
	header, payload := decodeSegments(t, pair.Access)
	if header["alg"] != "HS256" {
		t.Errorf("header = %v", header)
	}
	for _, name := range []string{"sub", "sid", "typ", "iss", "iat", "exp", "jti"} {
		if _, ok := payload[name]; !ok {
			t.Errorf("claim %q missing from %v", name, payload)
		}
	}
}

func TestTokenExpiry(t *testing.T) {
	tests := []struct {
		name    string
		advance time.Duration
		typ     string
		parseAs string
		want    error // nil: valid
	}{
		{"access just before exp", 2*time.Hour - time.Second, TokenAccess, TokenAccess, nil},
		{"access within leeway", 2*time.Hour + tokenLeeway - time.Second, TokenAccess, TokenAccess, nil},
		{"access expired", 2*time.Hour + tokenLeeway + time.Second, TokenAccess, TokenAccess, ErrTokenExpired},
		{"refresh valid after access expired", 3 * time.Hour, TokenRefresh, TokenRefresh, nil},
		{"refresh expired", 15*24*time.Hour + tokenLeeway + time.Second, TokenRefresh, TokenRefresh, ErrTokenExpired},
		{"expired refresh used as access", 16 * 24 * time.Hour, TokenRefresh, TokenAccess, ErrTokenInvalid},
		{"issued in the future", -time.Minute, TokenAccess, TokenAccess, ErrTokenInvalid},
	}
	// Each case twice: a token parsed for the first time, and one parsed
	// (and remembered as verified) when it was issued.
	for _, tt := range tests {
		for _, seen := range []bool{false, true} {
			name := tt.name
			if seen {
				name += ", verified before"
			}
			t.Run(name, func(t *testing.T) {
				clock := newTestClock()
				ts := newTestTokens(clock)
				pair, err := ts.Issue(testUserID, "sid-1")
				if err != nil {
					t.Fatal(err)
				}
				token := pair.Access
				if tt.typ == TokenRefresh {
					token = pair.Refresh
				}
				if seen {
					if _, err := ts.Parse(token, tt.typ); err != nil {
						t.Fatalf("at issue: %v", err)
					}
				}
				clock.Advance(tt.advance)
				_, err = ts.Parse(token, tt.parseAs)
				if tt.want == nil {
					if err != nil {
						t.Fatalf("err = %v, want valid", err)
					}
					return
				}
				wantErr(t, err, tt.want)
			})
		}
	}
}

// TestTokenVerifiedAgain: a remembered access token answers the same
// claims as its first parse; a copy with one character of its signature
// changed is still refused, and the remembered one is not accepted as a
// refresh token.
func TestTokenVerifiedAgain(t *testing.T) {
	clock := newTestClock()
	ts := newTestTokens(clock)
	pair, err := ts.Issue(testUserID, "sid-1")
	if err != nil {
		t.Fatal(err)
	}
	first, err := ts.Parse(pair.Access, TokenAccess)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ts.Parse(pair.Access, TokenAccess)
	if err != nil {
		t.Fatal(err)
	}
	if again.Subject != first.Subject || again.SessionID != first.SessionID || again.ID != first.ID ||
		!again.ExpiresAt.Equal(first.ExpiresAt.Time) || again.Type != TokenAccess {
		t.Fatalf("again %+v, first %+v", again, first)
	}
	last := pair.Access[len(pair.Access)-2:]
	flipped := "A"
	if last[0] == 'A' {
		flipped = "B"
	}
	tampered := pair.Access[:len(pair.Access)-2] + flipped + last[1:]
	_, err = ts.Parse(tampered, TokenAccess)
	wantErr(t, err, ErrTokenInvalid)
	_, err = ts.Parse(pair.Access, TokenRefresh)
	wantErr(t, err, ErrTokenInvalid)
}

func TestTokenInvalid(t *testing.T) {
	clock := newTestClock()
	ts := newTestTokens(clock)
	pair, err := ts.Issue(testUserID, "sid-1")
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Now()
	valid := func() jwt.MapClaims {
		return jwt.MapClaims{
			"iss": "blogapi-test", "sub": testUserID, "sid": "sid-1", "typ": TokenAccess,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": strings.Repeat("ab", 16),
		}
	}
	without := func(name string) jwt.MapClaims { c := valid(); delete(c, name); return c }
	with := func(name string, v any) jwt.MapClaims { c := valid(); c[name] = v; return c }
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}

	parts := strings.Split(pair.Access, ".")
	tamperedPayload := func() string {
		_, payload := decodeSegments(t, pair.Access)
		payload["sub"] = "65f0c0ffee0000000000dead"
		return parts[0] + "." + encodeSegment(t, payload) + "." + parts[2]
	}()
	sig := []byte(parts[2])
	sig[0] ^= 1 // the first character carries 6 whole bits of the MAC
	tamperedSig := parts[0] + "." + parts[1] + "." + string(sig)

	tests := []struct {
		name    string
		token   string
		parseAs string
	}{
		{"tampered payload", tamperedPayload, TokenAccess},
		{"tampered signature", tamperedSig, TokenAccess},
		{"signature dropped", parts[0] + "." + parts[1] + ".", TokenAccess},
		{"alg none", unsignedToken(t, valid()), TokenAccess},
		{"alg none with the real signature", strings.Join([]string{
			base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)), parts[1], parts[2]}, "."), TokenAccess},
		{"HS512 with the right secret", signToken(t, jwt.SigningMethodHS512, valid(), testTokenSecret), TokenAccess},
		{"RS256", signToken(t, jwt.SigningMethodRS256, valid(), rsaKey), TokenAccess},
		{"other secret", signToken(t, jwt.SigningMethodHS256, valid(), []byte("another secret of 32 bytes......")), TokenAccess},
		{"wrong issuer", signToken(t, jwt.SigningMethodHS256, with("iss", "someone-else"), testTokenSecret), TokenAccess},
		{"no issuer", signToken(t, jwt.SigningMethodHS256, without("iss"), testTokenSecret), TokenAccess},
		{"missing exp", signToken(t, jwt.SigningMethodHS256, without("exp"), testTokenSecret), TokenAccess},
		{"exp not a number", signToken(t, jwt.SigningMethodHS256, with("exp", "tomorrow"), testTokenSecret), TokenAccess},
		{"missing sub", signToken(t, jwt.SigningMethodHS256, without("sub"), testTokenSecret), TokenAccess},
		{"missing sid", signToken(t, jwt.SigningMethodHS256, without("sid"), testTokenSecret), TokenAccess},
		{"missing typ", signToken(t, jwt.SigningMethodHS256, without("typ"), testTokenSecret), TokenAccess},
		{"unknown typ", signToken(t, jwt.SigningMethodHS256, with("typ", "admin"), testTokenSecret), TokenAccess},
		{"expired and wrong issuer", signToken(t, jwt.SigningMethodHS256, func() jwt.MapClaims {
			c := with("iss", "x")
			c["exp"] = now.Add(-time.Hour).Unix()
			c["iat"] = now.Add(-2 * time.Hour).Unix()
			return c
		}(), testTokenSecret), TokenAccess},
		{"refresh as access", pair.Refresh, TokenAccess},
		{"access as refresh", pair.Access, TokenRefresh},
		{"garbage", "not a token", TokenAccess},
		{"three garbage segments", "a.b.c", TokenAccess},
		{"two segments", parts[0] + "." + parts[1], TokenAccess},
		{"header not json", base64.RawURLEncoding.EncodeToString([]byte("{")) + "." + parts[1] + "." + parts[2], TokenAccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := ts.Parse(tt.token, tt.parseAs)
			if claims != nil {
				t.Errorf("claims = %+v, want nil", claims)
			}
			wantErr(t, err, ErrTokenInvalid)
		})
	}
	// The hand-made valid claims are accepted, so the cases above fail for
	// the one reason each names.
	if _, err := ts.Parse(signToken(t, jwt.SigningMethodHS256, valid(), testTokenSecret), TokenAccess); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
}

func TestTokenMissing(t *testing.T) {
	_, err := newTestTokens(newTestClock()).Parse("", TokenAccess)
	wantErr(t, err, ErrTokenMissing)
}

func TestTokenNoSecret(t *testing.T) {
	ts := NewTokenService(TokenConfig{Issuer: "blogapi-test", AccessTTL: time.Hour, RefreshTTL: time.Hour})
	_, err := ts.Issue(testUserID, "sid-1")
	wantErr(t, err, ErrTokenIssue)
	// A token signed with an empty key is not accepted by an unconfigured service either.
	tok := signToken(t, jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "blogapi-test", "sub": testUserID, "sid": "s", "typ": TokenAccess, "jti": "j",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	}, []byte{})
	_, err = ts.Parse(tok, TokenAccess)
	wantErr(t, err, ErrTokenInvalid)
}

func signToken(t testing.TB, m jwt.SigningMethod, claims jwt.MapClaims, key any) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unsignedToken builds an `alg: none` token by hand, the way an attacker would.
func unsignedToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		encodeSegment(t, claims) + "."
}

func encodeSegment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSegments(t *testing.T, token string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, payload
}

func BenchmarkParseAccessToken(b *testing.B) {
	ts := newTestTokens(newTestClock())
	pair, err := ts.Issue(testUserID, strings.Repeat("5e", 16))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ts.Parse(pair.Access, TokenAccess); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHMACBaseline is the floor Parse is measured against: one
// HMAC-SHA256 over the same signing input (header.payload).
func BenchmarkHMACBaseline(b *testing.B) {
	ts := newTestTokens(newTestClock())
	pair, err := ts.Issue(testUserID, strings.Repeat("5e", 16))
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(pair.Access[:strings.LastIndexByte(pair.Access, '.')])
	want, err := base64.RawURLEncoding.DecodeString(pair.Access[len(input)+1:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		mac := hmac.New(sha256.New, testTokenSecret)
		mac.Write(input)
		if !hmac.Equal(mac.Sum(nil), want) {
			b.Fatal("signature mismatch")
		}
	}
}
