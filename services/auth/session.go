package auth

import (
	"context"
	"errors"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
)

// SessionStore is what SessionService needs from the `sessions` collection
// (models.SessionStore).
type SessionStore interface {
	Create(ctx context.Context, s *models.Session) error
	Get(ctx context.Context, id string) (models.Session, error)
	Rotate(ctx context.Context, id, userID, oldJTI, newJTI string, newExpiresAt, now time.Time) error
	End(ctx context.Context, id, reason string, now time.Time) error
	EndAllForUser(ctx context.Context, userID, exceptID, reason string, now time.Time) (int64, error)
}

// Session errors (docs/security.md).
var (
	// ErrSessionEnded: the token's session was ended (logout, password
	// change, freeze...), has expired, or never existed.
	ErrSessionEnded = errors.New("session ended")
	// ErrRefreshReused: a refresh token that was already rotated was
	// presented again; its session has been ended.
	ErrRefreshReused = errors.New("refresh token reused")
)

// SessionService ties tokens to sessions stored in MongoDB (docs/security.md): a
// token is only good while its session is alive, a refresh token only
// once. Every check reads the database, so ending a session takes effect
// on every instance at once.
type SessionService struct {
	store  SessionStore
	tokens *TokenService
	now    func() time.Time
}

// NewSessionService returns a SessionService; now is the clock (nil means
// time.Now) and should be the one tokens uses.
func NewSessionService(store SessionStore, tokens *TokenService, now func() time.Time) *SessionService {
	if now == nil {
		now = time.Now
	}
	return &SessionService{store: store, tokens: tokens, now: now}
}

// Start opens a session for userID (hex ObjectID) on the device described
// by userAgent and ip, and returns its first token pair. Errors:
// ErrTokenIssue, services.ErrUnavailable when the store fails.
func (s *SessionService) Start(ctx context.Context, userID, userAgent, ip string) (TokenPair, error) {
	sid := randomTokenHex(16)
	pair, err := s.tokens.Issue(userID, sid)
	if err != nil {
		return TokenPair{}, err
	}
	now := s.now()
	err = s.store.Create(ctx, &models.Session{
		ID:         sid,
		UserID:     userID,
		RefreshJTI: pair.RefreshJTI,
		CreatedAt:  now,
		LastUsedAt: now,
		ExpiresAt:  pair.RefreshExpiresAt,
		UserAgent:  userAgent,
		IP:         ip,
	})
	if err != nil {
		return TokenPair{}, services.Unavailable(err)
	}
	return pair, nil
}

// Authenticate verifies an access token and that its session is alive and
// belongs to the token's subject. Whether the user may still log in is the
// caller's check. Errors: the TokenService.Parse errors (ErrTokenMissing,
// ErrTokenExpired, ErrTokenInvalid); ErrSessionEnded;
// services.ErrUnavailable when the store fails.
func (s *SessionService) Authenticate(ctx context.Context, accessToken string) (*Claims, error) {
	claims, err := s.tokens.Parse(accessToken, TokenAccess)
	if err != nil {
		return nil, err
	}
	sess, err := s.store.Get(ctx, claims.SessionID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, ErrSessionEnded
	}
	if err != nil {
		return nil, services.Unavailable(err)
	}
	if !sess.Alive(s.now()) || sess.UserID != claims.Subject {
		return nil, ErrSessionEnded
	}
	return claims, nil
}

// Renew rotates a refresh token (docs/security.md): it returns a new pair for the
// same session and the presented token stops working. check, when not
// nil, vets the token's claims (e.g. that the user may still log in)
// before anything changes; its error is returned as is. A refresh
// token that was already rotated, or is being rotated by a concurrent
// request, ends its session (reuse detection: one of the two holders may
// not be the user). Errors: the TokenService.Parse errors;
// ErrRefreshReused; ErrSessionEnded; ErrTokenIssue; services.ErrUnavailable.
func (s *SessionService) Renew(ctx context.Context, refreshToken string, check func(*Claims) error) (TokenPair, error) {
	claims, err := s.tokens.Parse(refreshToken, TokenRefresh)
	if err != nil {
		return TokenPair{}, err
	}
	if check != nil {
		if err := check(claims); err != nil {
			return TokenPair{}, err
		}
	}
	pair, err := s.tokens.Issue(claims.Subject, claims.SessionID)
	if err != nil {
		return TokenPair{}, err
	}
	now := s.now()
	// The session must be the refresh token's subject's: a refresh token
	// re-signed with another user's sub must not renew the signer's own
	// session into the victim's profile.
	err = s.store.Rotate(ctx, claims.SessionID, claims.Subject, claims.ID, pair.RefreshJTI, pair.RefreshExpiresAt, now)
	if err == nil {
		return pair, nil
	}
	if !errors.Is(err, models.ErrNotFound) {
		return TokenPair{}, services.Unavailable(err)
	}
	// The compare-and-set failed: find out why.
	sess, err := s.store.Get(ctx, claims.SessionID)
	if errors.Is(err, models.ErrNotFound) {
		return TokenPair{}, ErrSessionEnded
	}
	if err != nil {
		return TokenPair{}, services.Unavailable(err)
	}
	if !sess.Alive(now) || sess.UserID != claims.Subject {
		return TokenPair{}, ErrSessionEnded
	}
	// Alive, so this refresh token was rotated already (its jti is no
	// longer the session's), or is being rotated by a concurrent request
	// right now: either way two parties hold it.
	if err := s.store.End(ctx, sess.ID, models.EndRefreshReuse, now); err != nil {
		return TokenPair{}, services.Unavailable(err)
	}
	return TokenPair{}, ErrRefreshReused
}

// End ends one session with reason (models.End*). Ending an ended or
// unknown session is not an error. Errors: services.ErrUnavailable when the
// store fails.
func (s *SessionService) End(ctx context.Context, sessionID, reason string) error {
	if err := s.store.End(ctx, sessionID, reason, s.now()); err != nil {
		return services.Unavailable(err)
	}
	return nil
}

// EndAll ends every live session of userID except exceptSessionID (""
// ends them all), e.g. the other devices on a password change. Errors:
// services.ErrUnavailable when the store fails.
func (s *SessionService) EndAll(ctx context.Context, userID, exceptSessionID, reason string) error {
	if _, err := s.store.EndAllForUser(ctx, userID, exceptSessionID, reason, s.now()); err != nil {
		return services.Unavailable(err)
	}
	return nil
}
