package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/auth"
)

const authTestUser = "65f0c0ffee0000000000beef"

type authFixture struct {
	now      time.Time
	sessions *auth.SessionService
	tokens   *auth.TokenService
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	f := &authFixture{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	f.tokens = auth.NewTokenService(auth.TokenConfig{
		Secret: []byte("middleware-test-secret-32-bytes!"), Issuer: "blogapi-test",
		AccessTTL: 2 * time.Hour, RefreshTTL: 24 * time.Hour, Now: clock,
	})
	f.sessions = auth.NewSessionService(dbtest.New(t).Sessions, f.tokens, clock)
	return f
}

// engine serves GET /me behind Auth; the handler answers the claims'
// subject and session id.
func (f *authFixture) engine(authenticate func(context.Context, string) (*auth.Claims, error)) *gin.Engine {
	principal := func(ctx context.Context, token string) (auth.Principal, error) {
		claims, err := authenticate(ctx, token)
		return auth.Principal{Claims: claims}, err
	}
	gin.SetMode(gin.TestMode)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := response.Renderer{Logger: logger, Policy: response.StatusMirror}
	e := gin.New()
	e.Use(r.Errors())
	e.GET("/me", middleware.Auth(r, principal), func(c *gin.Context) {
		p, _ := middleware.PrincipalFrom(c.Request.Context())
		claims := p.Claims
		response.OK(c, gin.H{"sub": claims.Subject, "sid": claims.SessionID})
	})
	return e
}

type authReply struct {
	status int
	env    struct {
		Code int               `json:"code"`
		Msg  string            `json:"msg"`
		Data map[string]string `json:"data"`
	}
}

func authGet(t *testing.T, e http.Handler, headers map[string]string) authReply {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/me", nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	var r authReply
	r.status = w.Code
	if err := json.Unmarshal(w.Body.Bytes(), &r.env); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return r
}

func TestAuthHeaders(t *testing.T) {
	ctx := context.Background()
	f := newAuthFixture(t)
	e := f.engine(f.sessions.Authenticate)
	pair, err := f.sessions.Start(ctx, authTestUser, "test", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.sessions.Start(ctx, authTestUser, "test", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		headers map[string]string
		code    int
	}{
		{"no token", nil, response.CodeUnauthorized},
		{"access-token header", map[string]string{"access-token": pair.Access}, response.CodeOK},
		{"Authorization Bearer", map[string]string{"Authorization": "Bearer " + pair.Access}, response.CodeOK},
		{"bearer in lower case", map[string]string{"Authorization": "bearer " + pair.Access}, response.CodeOK},
		{"both headers, same token", map[string]string{"access-token": pair.Access, "Authorization": "Bearer " + pair.Access}, response.CodeOK},
		{"both headers, different tokens", map[string]string{"access-token": pair.Access, "Authorization": "Bearer " + other.Access}, response.CodeBadRequest},
		{"Basic scheme", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, response.CodeUnauthorized},
		{"Basic scheme beside a good access-token", map[string]string{"access-token": pair.Access, "Authorization": "Basic dXNlcjpwYXNz"}, response.CodeUnauthorized},
		{"token without scheme", map[string]string{"Authorization": pair.Access}, response.CodeUnauthorized},
		{"Bearer without token", map[string]string{"Authorization": "Bearer "}, response.CodeUnauthorized},
		{"Bearer with two words", map[string]string{"Authorization": "Bearer " + pair.Access + " x"}, response.CodeUnauthorized},
		{"empty access-token", map[string]string{"access-token": " "}, response.CodeUnauthorized},
		{"garbage token", map[string]string{"access-token": "garbage"}, response.CodeJWTInvalid},
		{"refresh token", map[string]string{"access-token": pair.Refresh}, response.CodeJWTInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := authGet(t, e, tt.headers)
			if r.env.Code != tt.code || r.status != tt.code {
				t.Fatalf("status %d code %d (%q), want %d", r.status, r.env.Code, r.env.Msg, tt.code)
			}
			if tt.code == response.CodeOK {
				if r.env.Data["sub"] != authTestUser || r.env.Data["sid"] == "" {
					t.Fatalf("handler saw claims %v", r.env.Data)
				}
			} else if r.env.Data != nil {
				t.Fatalf("handler ran on a refused request: %v", r.env.Data)
			}
		})
	}
}

func TestAuthSessionAndClock(t *testing.T) {
	ctx := context.Background()
	f := newAuthFixture(t)
	e := f.engine(f.sessions.Authenticate)
	pair, err := f.sessions.Start(ctx, authTestUser, "", "")
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Authorization": "Bearer " + pair.Access}
	r := authGet(t, e, h)
	if r.env.Code != response.CodeOK {
		t.Fatalf("code %d %q", r.env.Code, r.env.Msg)
	}

	f.now = f.now.Add(3 * time.Hour)
	if r := authGet(t, e, h); r.env.Code != response.CodeTokenExpired || r.env.Msg != "token has expired" {
		t.Fatalf("expired token: code %d %q, want 402", r.env.Code, r.env.Msg)
	}

	fresh, err := f.sessions.Renew(ctx, pair.Refresh, nil)
	if err != nil {
		t.Fatal(err)
	}
	h = map[string]string{"access-token": fresh.Access}
	if r := authGet(t, e, h); r.env.Code != response.CodeOK {
		t.Fatalf("renewed token: code %d %q", r.env.Code, r.env.Msg)
	}
	if err := f.sessions.End(ctx, r.env.Data["sid"], models.EndLogout); err != nil {
		t.Fatal(err)
	}
	if r := authGet(t, e, h); r.env.Code != response.CodeUnauthorized || r.env.Msg != "session has ended" {
		t.Fatalf("after logout: code %d %q, want 401 session has ended", r.env.Code, r.env.Msg)
	}
}

// The caller wraps Authenticate with its own checks; whatever it answers is
// rendered, and errors outside the error table are hidden.
func TestAuthCallerErrors(t *testing.T) {
	ctx := context.Background()
	f := newAuthFixture(t)
	pair, err := f.sessions.Start(ctx, authTestUser, "", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		code int
		msg  string
	}{
		{"frozen user", account.ErrAccountFrozen, response.CodeForbidden, "account is frozen"},
		{"internal failure", errors.New("mongo: secret driver detail"), response.CodeInternal, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := f.engine(func(ctx context.Context, token string) (*auth.Claims, error) {
				if _, err := f.sessions.Authenticate(ctx, token); err != nil {
					return nil, err
				}
				return nil, tt.err
			})
			r := authGet(t, e, map[string]string{"access-token": pair.Access})
			if r.env.Code != tt.code || r.env.Msg != tt.msg || strings.Contains(r.env.Msg, "mongo") {
				t.Fatalf("code %d %q, want %d %q", r.env.Code, r.env.Msg, tt.code, tt.msg)
			}
		})
	}
}
