// Package account holds the use-cases of a user's account: registration,
// login and logout, token renewal, the profile, password change and reset,
// and email verification. Tokens, sessions, password hashing and the login
// guard are services/auth; the captcha is services/captcha; mail is
// services/mail.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/captcha"
	"github.com/blogapi/blogapi/services/mail"
	"github.com/blogapi/blogapi/services/media"
)

// Lifetimes of mailed tokens.
const (
	VerifyTokenTTL = 24 * time.Hour
	ResetTokenTTL  = 30 * time.Minute
	// AvatarMaxLen bounds the avatar URL in characters.
	AvatarMaxLen = 512
)

// EmailTokenStore keeps mailed single-use tokens; models.EmailTokenStore
// satisfies it.
type EmailTokenStore interface {
	Create(ctx context.Context, t models.EmailToken) error
	Take(ctx context.Context, id, kind string, now time.Time) (models.EmailToken, error)
	Peek(ctx context.Context, id, kind string, now time.Time) (models.EmailToken, error)
	DeleteForUser(ctx context.Context, userID, kind string) error
}

// Service holds the rules of accounts, from registration to deletion:
// registration and the account-name check, login, renewal and logout, the
// user-status part of authentication, the profile, password change and
// reset, and email verification.
type Service struct {
	users     UserStore
	tokens    EmailTokenStore
	sessions  *auth.SessionService
	hasher    *auth.PasswordHasher
	captcha   *captcha.Service
	guard     *auth.LoginGuard
	transport *auth.PasswordTransport
	mail      *mail.Queue
	templates *mail.Templates
	observer  Observer
	counters  Counters
	logins    LoginCounter
	logger    *slog.Logger
	now       func() time.Time
	accessTTL time.Duration
	uploads   Uploads
	authors   Authors
}

// Counters are windowed counters shared by every instance
// (models.LoginAttemptStore): Add counts n for key in its window of length
// window holding now and returns the count after it and the window's
// start.
type Counters interface {
	Add(ctx context.Context, key string, n int, now time.Time, window time.Duration) (count int, windowStart time.Time, err error)
}

// LoginCounter counts events per day (models.DailyCountStore).
type LoginCounter interface {
	Add(ctx context.Context, kind string, at time.Time) error
}

// Limits on e-mail changes through UpdateProfile: a logged-in user can
// neither probe many addresses in seconds (is it registered?) nor flood a
// third party's mailbox with verification mails.
const (
	emailChangesPerUser   = 3 // per user per emailChangeUserWindow
	emailChangeUserWindow = time.Hour
	emailChangeToWindow   = 10 * time.Minute // one verification mail per address per window
)

// Deps are the collaborators of Service. Transport may be nil (no RSA
// password transport); Mail nil sends no mail (then Tokens and Templates
// are not used either); Observer nil observes nothing.
type Deps struct {
	Users     UserStore
	Tokens    EmailTokenStore
	Sessions  *auth.SessionService
	Hasher    *auth.PasswordHasher
	Captcha   *captcha.Service
	Guard     *auth.LoginGuard
	Transport *auth.PasswordTransport
	Mail      *mail.Queue
	Templates *mail.Templates
	// Observer counts login outcomes.
	Observer Observer
	// Counters limit e-mail changes (nil: no limit).
	Counters Counters
	// Logins counts successful logins per day for the admin's dashboard
	// (models.DailyCountStore; nil: not counted).
	Logins LoginCounter
	Logger *slog.Logger
	Now    func() time.Time
	// AccessTTL is reported to clients as expiresIn (seconds).
	AccessTTL time.Duration
	// Uploads marks an avatar that is one of this server's uploads used,
	// so the staged sweep keeps it (nil: no uploads).
	Uploads Uploads
	// Authors keeps the nick and cover shown by the user's articles and
	// comments current after a profile change (nil: not kept).
	Authors Authors
}

// Uploads is what the profile needs of the media service: Use marks the
// upload behind url used by the actor; ours is false for a URL that is not
// one of this server's uploads; media.ErrUploadNotFound for one that is
// missing or another user's.
type Uploads interface {
	Use(ctx context.Context, a media.Actor, url string) (ours bool, err error)
}

// New returns the account service.
func New(d Deps) *Service {
	return &Service{users: d.Users, tokens: d.Tokens, sessions: d.Sessions, hasher: d.Hasher, captcha: d.Captcha, guard: d.Guard,
		transport: d.Transport, mail: d.Mail, templates: d.Templates, observer: orNop(d.Observer), counters: d.Counters, logins: d.Logins,
		logger: d.Logger, now: d.Now, accessTTL: d.AccessTTL, uploads: d.Uploads, authors: d.Authors}
}

// newMailToken returns a token of 32 random bytes (base64url) and the hex
// SHA-256 under which it is stored.
func newMailToken() (token, id string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, mailTokenID(token)
}

func mailTokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// validMailToken: 43 base64url characters (32 bytes), so junk never
// reaches the store.
func validMailToken(token string) bool {
	if len(token) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// SendVerification mails u a link that verifies u.Email (24 h,
// single-use); registration calls it.
func (s *Service) SendVerification(ctx context.Context, u models.User) error {
	token, id := newMailToken()
	now := s.now()
	if err := s.tokens.Create(ctx, models.EmailToken{ID: id, Kind: models.TokenEmailVerify, UserID: u.ID.Hex(),
		Email: u.Email, CreatedAt: now, ExpiresAt: now.Add(VerifyTokenTTL)}); err != nil {
		return services.Unavailable(err)
	}
	m, err := s.templates.VerifyEmail(u.Email, u.Nick, token)
	if err != nil {
		return err
	}
	s.mail.Enqueue(ctx, m)
	return nil
}

// ErrMailTokenInvalid answers a mailed token that is unknown, used or expired.
var ErrMailTokenInvalid = errors.New("mail token invalid")

// ErrMailTokenStale answers a verification link sent to an address the
// account no longer has.
var ErrMailTokenStale = errors.New("mail token for an old address")

// Refusals of the account's own requests.
var (
	ErrEmailVerified          = errors.New("email already verified")
	ErrEmailOrAccountRequired = errors.New("email or account required")
	ErrPasswordIncorrect      = errors.New("password incorrect")
	ErrOldPasswordIncorrect   = errors.New("old password incorrect")
	// ErrUserGone is a principal whose user was deleted.
	ErrUserGone = errors.New("user no longer exists")
)

// VerifyEmail uses a verification token: the user's email becomes
// verified and a pending user becomes normal. Errors: ErrMailTokenInvalid
// (unknown, used or expired), ErrMailTokenStale (sent to an address the
// user no longer has), ErrUserGone.
func (s *Service) VerifyEmail(ctx context.Context, token string) (User, error) {
	if !validMailToken(token) {
		return User{}, ErrMailTokenInvalid
	}
	t, err := s.tokens.Take(ctx, mailTokenID(token), models.TokenEmailVerify, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return User{}, ErrMailTokenInvalid
	}
	if err != nil {
		return User{}, services.Unavailable(err)
	}
	u, err := s.userByHex(ctx, t.UserID)
	if err != nil {
		return User{}, err
	}
	if !strings.EqualFold(u.Email, t.Email) {
		return User{}, ErrMailTokenStale
	}
	verified := true
	up := models.UserUpdate{EmailVerified: &verified}
	if u.Status == models.StatusPending {
		normal := models.StatusNormal
		up.Status = &normal
	}
	u, err = s.users.Update(ctx, u.ID.Hex(), up)
	if err != nil {
		return User{}, s.userErr(err)
	}
	return userOf(u), nil
}

// ResendVerification mails the caller a new verification link. Errors:
// ErrEmailVerified.
func (s *Service) ResendVerification(ctx context.Context, p auth.Principal) error {
	if p.User.EmailVerified {
		return ErrEmailVerified
	}
	return s.SendVerification(ctx, p.User)
}

// ProfileInput is the body of PUT /blogapi/user/update. A field left out
// (nil) is not changed. Changing Email needs the current Password.
type ProfileInput struct {
	Nick        *string
	Email       *string
	Avatar      *string
	Summary     *string
	Web         *string
	Phone       *string
	Password    string
	PasswordEnc string
}

// UpdateProfile changes nick, email and avatar (an http(s) URL of at most
// 512 characters, or "" to clear it). A new email needs the current
// password (ErrPasswordIncorrect when wrong), becomes unverified, gets a
// verification mail, and the old address is told; links mailed to the old
// address (verification, password reset) stop working. ErrEmailTaken when
// the email is another user's.
func (s *Service) UpdateProfile(ctx context.Context, p auth.Principal, in ProfileInput, ip string) (User, error) {
	var up models.UserUpdate
	if in.Nick != nil {
		nick := strings.TrimSpace(*in.Nick)
		if nick == "" {
			return User{}, services.Invalid("nick", "must not be empty")
		}
		if err := ValidateNick(nick); err != nil {
			return User{}, err
		}
		up.Nick = &nick
	}
	if in.Avatar != nil {
		if err := validateAvatar(*in.Avatar); err != nil {
			return User{}, err
		}
		if err := s.useAvatar(ctx, p.User, *in.Avatar); err != nil {
			return User{}, err
		}
		up.Avatar = in.Avatar
	}
	if in.Summary != nil {
		summary := strings.TrimSpace(*in.Summary)
		if len([]rune(summary)) > SummaryMaxLen || strings.ContainsFunc(summary, unicode.IsControl) {
			return User{}, services.Invalid("summary", "must be at most 200 characters of text")
		}
		up.Summary = &summary
	}
	if in.Web != nil {
		if err := validateURL("web", *in.Web); err != nil {
			return User{}, err
		}
		up.Web = in.Web
	}
	if in.Phone != nil {
		phone := strings.TrimSpace(*in.Phone)
		if !phonePattern.MatchString(phone) {
			return User{}, services.Invalid("phone", "must be at most 32 digits, spaces and + - ( )")
		}
		up.Phone = &phone
	}
	if in.Email != nil {
		email, err := ValidateEmail(*in.Email)
		if err != nil {
			return User{}, err
		}
		if models.EmailKey(email) != models.EmailKey(p.User.Email) {
			if err := s.checkPassword(ctx, p.User, in.PasswordEnc, "password", in.Password, ip); err != nil {
				return User{}, err
			}
			if err := s.limitEmailChange(ctx, p.User, email); err != nil {
				return User{}, err
			}
			verified := false
			up.Email, up.EmailVerified = &email, &verified
		}
	}
	if up == (models.UserUpdate{}) {
		return userOf(p.User), nil
	}
	// A nick or cover that articles and comments show: the durable mark
	// first, the copies' pass after the change (docs/blog.md, "Author
	// copies").
	shown := s.authors != nil && (up.Nick != nil && *up.Nick != p.User.Nick || up.Avatar != nil && *up.Avatar != p.User.Avatar)
	if shown {
		if err := s.authors.MarkAuthor(ctx, p.User.ID.Hex()); err != nil {
			return User{}, services.Unavailable(err)
		}
	}
	u, err := s.users.Update(ctx, p.User.ID.Hex(), up)
	if errors.Is(err, models.ErrDuplicateEmail) {
		return User{}, ErrEmailTaken
	}
	if err != nil {
		return User{}, s.userErr(err)
	}
	if up.Email != nil {
		s.afterEmailChange(ctx, p.User.Email, u)
	}
	if shown {
		s.authors.AuthorChanged(p.User.ID.Hex())
	}
	return userOf(u), nil
}

// limitEmailChange counts an e-mail change of u to email: at most
// emailChangesPerUser per user per hour, and one per address per
// emailChangeToWindow. Over either it refuses with ErrEmailChangeLimited
// inside a RetryLater (the rest of the window). Two round trips, on the
// e-mail change path only.
func (s *Service) limitEmailChange(ctx context.Context, u models.User, email string) error {
	if s.counters == nil {
		return nil
	}
	now := s.now()
	for _, l := range []struct {
		key    string
		limit  int
		window time.Duration
	}{
		{"email-change:user:" + u.ID.Hex(), emailChangesPerUser, emailChangeUserWindow},
		{"email-change:to:" + models.EmailKey(email), 1, emailChangeToWindow},
	} {
		n, start, err := s.counters.Add(ctx, l.key, 1, now, l.window)
		if err != nil {
			return services.Unavailable(err)
		}
		if n > l.limit {
			return &services.RetryLater{Err: ErrEmailChangeLimited, RetryAfter: max(start.Add(l.window).Sub(now), time.Second)}
		}
	}
	return nil
}

// afterEmailChange runs once the new address is stored: it revokes the
// links mailed to the old address (verification and password reset alike),
// tells the old address, and mails the new one a verification link. The
// change is committed, so a failure here is logged, not answered: the user
// can ask for a new link (resend).
func (s *Service) afterEmailChange(ctx context.Context, oldEmail string, u models.User) {
	for _, kind := range []string{models.TokenEmailVerify, models.TokenPasswordReset} {
		if err := s.tokens.DeleteForUser(ctx, u.ID.Hex(), kind); err != nil {
			s.logger.ErrorContext(ctx, "email change: old links not revoked", "kind", kind, "err", err.Error())
		}
	}
	if m, err := s.templates.EmailChanged(oldEmail, u.Nick, u.Email); err != nil {
		s.logger.ErrorContext(ctx, "email change: notice not rendered", "err", err.Error())
	} else {
		s.mail.Enqueue(ctx, m)
	}
	if err := s.SendVerification(ctx, u); err != nil {
		s.logger.ErrorContext(ctx, "email change: verification not sent", "err", err.Error())
	}
}

// useAvatar marks avatar used when it is one of this server's uploads
// (docs/uploads.md): only the user's own are accepted, other http(s) URLs
// are left as they are.
func (s *Service) useAvatar(ctx context.Context, u models.User, avatar string) error {
	if s.uploads == nil || avatar == "" {
		return nil
	}
	_, err := s.uploads.Use(ctx, media.ActorOf(u), avatar)
	if errors.Is(err, media.ErrUploadNotFound) {
		return services.Invalid("avatar", "must be one of your uploads or another http(s) URL")
	}
	return err
}

// Limits of the profile's summary and phone.
const SummaryMaxLen = 200

var phonePattern = regexp.MustCompile(`^[0-9+() -]{0,32}$`)

func validateAvatar(avatar string) error { return validateURL("avatar", avatar) }

// validateURL accepts "" or an http(s) URL with a host and no user info,
// at most AvatarMaxLen characters; the error names field.
func validateURL(field, avatar string) error {
	if avatar == "" {
		return nil
	}
	bad := services.Invalid(field, "must be an http(s) URL of at most 512 characters")
	if len([]rune(avatar)) > AvatarMaxLen {
		return bad
	}
	u, err := url.Parse(avatar)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return bad
	}
	return nil
}

// PasswordChangeInput is the body of PUT /blogapi/user/reset (seed 003
// 修改密码): both md5 hex, or RSA ciphertexts with password_enc.
type PasswordChangeInput struct {
	OldPassword string
	Password    string
	PasswordEnc string
}

// ChangePassword checks oldPassword (ErrOldPasswordIncorrect when wrong),
// stores the new hash,
// ends every session of the user, the caller's included, and starts a new
// one whose pair it returns (seed 003: 修改成功后需要分配新的token). The
// user is told by mail.
func (s *Service) ChangePassword(ctx context.Context, p auth.Principal, in PasswordChangeInput, userAgent, ip string) (LoginResult, error) {
	newPw, err := decodePassword(s.transport, in.PasswordEnc, "password", in.Password)
	if err != nil {
		return LoginResult{}, err
	}
	if err := s.checkPassword(ctx, p.User, in.PasswordEnc, "oldPassword", in.OldPassword, ip); err != nil {
		return LoginResult{}, err
	}
	if err := s.setPassword(ctx, p.User.ID.Hex(), newPw, models.EndPasswordChange); err != nil {
		return LoginResult{}, err
	}
	pair, err := s.sessions.Start(ctx, p.User.ID.Hex(), userAgent, ip)
	if err != nil {
		return LoginResult{}, err
	}
	s.tellPasswordChanged(ctx, p.User)
	u := p.User
	return newLoginResult(pair, u, s.accessTTL), nil
}

// ForgotInput is the body of POST /blogapi/password/forgot: an email or
// an account, and a captcha.
type ForgotInput struct {
	Email     string
	Account   string
	Captcha   string
	CaptchaID string
}

// ForgotPassword mails a reset link (30 min, single-use) when the email
// or account names a user. Whether it does is not told: after the input
// and captcha checks, the lookup, the token and the mail all happen in the
// mail queue, so the answer and its cost are the same either way. Errors
// only for the input and the captcha.
func (s *Service) ForgotPassword(ctx context.Context, in ForgotInput) error {
	email, account := strings.TrimSpace(in.Email), strings.TrimSpace(in.Account)
	if email == "" && account == "" {
		return ErrEmailOrAccountRequired
	}
	if len(email) > EmailMaxLen {
		return services.Invalid("email", "is not a valid address")
	}
	if len(account) > EmailMaxLen {
		return services.Invalid("account", "is too long")
	}
	if err := s.captcha.Verify(ctx, in.CaptchaID, in.Captcha); err != nil {
		return err
	}
	s.mail.EnqueueJob(ctx, func(ctx context.Context) (mail.Message, bool, error) {
		return s.resetMail(ctx, email, account)
	})
	return nil
}

// resetMail looks the user up, stores a reset token and renders its mail;
// false when there is no such user. It runs in the mail queue, so the
// forgot-password answer neither waits for it nor shows its outcome.
func (s *Service) resetMail(ctx context.Context, email, account string) (mail.Message, bool, error) {
	var u models.User
	var err error
	if email != "" {
		u, err = s.users.ByEmail(ctx, email)
	} else {
		u, err = s.users.ByAccount(ctx, account)
	}
	if errors.Is(err, models.ErrNotFound) {
		return mail.Message{}, false, nil
	}
	if err != nil {
		return mail.Message{}, false, err
	}
	token, id := newMailToken()
	now := s.now()
	if err := s.tokens.Create(ctx, models.EmailToken{ID: id, Kind: models.TokenPasswordReset, UserID: u.ID.Hex(),
		Email: u.Email, CreatedAt: now, ExpiresAt: now.Add(ResetTokenTTL)}); err != nil {
		return mail.Message{}, false, err
	}
	m, err := s.templates.PasswordReset(u.Email, u.Nick, token)
	if err != nil {
		return mail.Message{}, false, err
	}
	return m, true, nil
}

// ResetCheck says whether a password reset token can still be used.
type ResetCheck struct {
	Valid bool
	// ExpiresAt is when the token stops working, ms since the Unix epoch (0 when invalid).
	ExpiresAt int64
}

// CheckResetToken says whether a reset token can still be used, without
// using it.
func (s *Service) CheckResetToken(ctx context.Context, token string) (ResetCheck, error) {
	if !validMailToken(token) {
		return ResetCheck{}, nil
	}
	t, err := s.tokens.Peek(ctx, mailTokenID(token), models.TokenPasswordReset, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return ResetCheck{}, nil
	}
	if err != nil {
		return ResetCheck{}, services.Unavailable(err)
	}
	return ResetCheck{Valid: true, ExpiresAt: t.ExpiresAt.UnixMilli()}, nil
}

// ResetInput is the body of POST /blogapi/password/reset. The reset token
// may come as `token` when the signature travels in the query
// string, or as `resetToken` anywhere: the signature's own parameter is
// also called `token` (docs/signing.md), and the two cannot share a body.
type ResetInput struct {
	Token       string
	ResetToken  string
	Password    string
	PasswordEnc string
}

// ResetPassword uses a reset token to set a new password: ErrMailTokenInvalid
// when the token is unknown, used or expired, ErrUserGone. Every
// session of the user ends, the user's other reset links stop working and
// the user is told by mail. Nobody is logged in.
func (s *Service) ResetPassword(ctx context.Context, in ResetInput) error {
	pw, err := decodePassword(s.transport, in.PasswordEnc, "password", in.Password)
	if err != nil {
		return err
	}
	token := in.ResetToken
	if token == "" {
		token = in.Token
	}
	if !validMailToken(token) {
		return ErrMailTokenInvalid
	}
	t, err := s.tokens.Take(ctx, mailTokenID(token), models.TokenPasswordReset, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return ErrMailTokenInvalid
	}
	if err != nil {
		return services.Unavailable(err)
	}
	u, err := s.userByHex(ctx, t.UserID)
	if err != nil {
		return err
	}
	if err := s.setPassword(ctx, u.ID.Hex(), pw, models.EndPasswordReset); err != nil {
		return err
	}
	s.tellPasswordChanged(ctx, u)
	return nil
}

func (s *Service) setPassword(ctx context.Context, id, md5hex, reason string) error {
	hash, err := s.hasher.Hash(ctx, md5hex)
	if err != nil {
		return err
	}
	// Sessions and reset links (which would undo the change) go first: if
	// the hash then cannot be stored, the user is logged out with the old
	// password still valid, never left with old sessions on a new one.
	if err := s.sessions.EndAll(ctx, id, "", reason); err != nil {
		return err
	}
	if err := s.tokens.DeleteForUser(ctx, id, models.TokenPasswordReset); err != nil {
		return services.Unavailable(err)
	}
	if _, err := s.users.Update(ctx, id, models.UserUpdate{PasswordHash: &hash}); err != nil {
		return s.userErr(err)
	}
	return nil
}

func (s *Service) tellPasswordChanged(ctx context.Context, u models.User) {
	m, err := s.templates.PasswordChanged(u.Email, u.Nick)
	if err != nil {
		s.logger.ErrorContext(ctx, "password-changed mail", "err", err.Error())
		return
	}
	s.mail.Enqueue(ctx, m)
}

// checkPassword verifies the user's current password sent in field from
// the client ip: a FieldError when malformed, ErrPasswordIncorrect or
// ErrOldPasswordIncorrect when wrong. The check counts against the user's
// brute-force budget, shared with login, so a stolen access token cannot
// guess the password without limit: auth.ErrTooManyFailedLogins once the
// account is locked.
func (s *Service) checkPassword(ctx context.Context, u models.User, enc, field, value, ip string) error {
	pw, err := decodePassword(s.transport, enc, field, value)
	if err != nil {
		return err
	}
	key := auth.GuardKeyUser(u)
	if _, err := s.guard.Attempt(ctx, key, ip); err != nil {
		return err
	}
	ok, err := s.hasher.Verify(ctx, u.PasswordHash, pw)
	if err != nil {
		return err
	}
	if !ok {
		if field == "oldPassword" {
			return ErrOldPasswordIncorrect
		}
		return ErrPasswordIncorrect
	}
	return s.guard.Succeeded(ctx, key, ip)
}

func (s *Service) userByHex(ctx context.Context, hexID string) (models.User, error) {
	u, err := s.users.ByID(ctx, hexID)
	if err != nil {
		return models.User{}, s.userErr(err)
	}
	return u, nil
}

func (s *Service) userErr(err error) error {
	if errors.Is(err, models.ErrNotFound) {
		return ErrUserGone
	}
	return services.Unavailable(err)
}
