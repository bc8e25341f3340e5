package account

import (
	"context"
	"crypto/rand"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/captcha"
)

// UserStore is what the user service needs from storage; models.UserStore
// satisfies it.
type UserStore interface {
	Create(ctx context.Context, u *models.User) error
	ByID(ctx context.Context, hexID string) (models.User, error)
	ByAccount(ctx context.Context, account string) (models.User, error)
	ByEmail(ctx context.Context, email string) (models.User, error)
	AccountExists(ctx context.Context, account string) (bool, error)
	SetLastLogin(ctx context.Context, hexID string, ms int64) error
	Update(ctx context.Context, hexID string, up models.UserUpdate) (models.User, error)
}

// Account rules (docs/security.md).
const (
	AccountMinLen = 3
	AccountMaxLen = 32
	EmailMaxLen   = 254 // RFC 5321 path limit
	NickMaxLen    = 32  // characters, not bytes
	// NickDefaultPrefix starts the generated nick (seed 004 注册: '新用户-****').
	NickDefaultPrefix = "新用户-"
)

// User is a user as the account's use-cases hand it out: the stored user
// without the password hash and the lower-cased lookup keys.
type User struct {
	ID            string // 24 hex digits
	Account       string
	Email         string
	EmailVerified bool
	Status        string
	Nick          string
	Avatar        string
	Summary       string
	Web           string
	Phone         string
	Created       int64 // registration, ms since the Unix epoch
	Type          string
	Level         int
	LastLoginAt   int64 // last successful login, ms since the Unix epoch (0: never)
}

func userOf(u models.User) User {
	return User{ID: u.ID.Hex(), Account: u.Account, Email: u.Email, EmailVerified: u.EmailVerified, Status: u.Status,
		Nick: u.Nick, Avatar: u.Avatar, Summary: u.Summary, Web: u.Web, Phone: u.Phone, Created: u.Created, Type: u.Type, Level: u.Level, LastLoginAt: u.LastLoginAt}
}

// Me is the caller's user.
func (s *Service) Me(p auth.Principal) User { return userOf(p.User) }

// RegisterInput is the body of POST /blogapi/reg (seed 004 用户注册). Only
// these fields are read: type, level, status and emailVerified cannot be
// set by a client (docs/security.md).
type RegisterInput struct {
	Account     string
	Password    string
	PasswordEnc string
	Email       string
	Nick        string
	Captcha     string
	CaptchaID   string
}

// Register validates in, consumes the captcha, stores a new pending user
// with an argon2id hash of the md5 password and returns it. Errors: a
// services.FieldError for a field, the captcha's, ErrAccountTaken and
// ErrEmailTaken (ignoring case).
func (s *Service) Register(ctx context.Context, in RegisterInput) (User, error) {
	if err := ValidateAccount(in.Account); err != nil {
		return User{}, err
	}
	email, err := ValidateEmail(in.Email)
	if err != nil {
		return User{}, err
	}
	nick := strings.TrimSpace(in.Nick)
	if err := ValidateNick(nick); err != nil {
		return User{}, err
	}
	password, err := s.password(in.PasswordEnc, "password", in.Password)
	if err != nil {
		return User{}, err
	}
	if err := s.captcha.Verify(ctx, in.CaptchaID, in.Captcha); err != nil {
		return User{}, err
	}
	if nick == "" {
		nick = NickDefaultPrefix + randomNickSuffix()
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	u := models.User{
		Account:      in.Account,
		Email:        email,
		Status:       models.StatusPending,
		Nick:         nick,
		Created:      s.now().UnixMilli(),
		Type:         models.TypeClient,
		Level:        0,
		PasswordHash: hash,
	}
	switch err := s.users.Create(ctx, &u); {
	case errors.Is(err, models.ErrDuplicateAccount):
		return User{}, ErrAccountTaken
	case errors.Is(err, models.ErrDuplicateEmail):
		return User{}, ErrEmailTaken
	case err != nil:
		return User{}, services.Unavailable(err)
	}
	if s.mail != nil {
		_ = s.SendVerification(ctx, u)
	}
	return userOf(u), nil
}

// Availability says whether an account name is free.
type Availability struct {
	Account   string
	Available bool
}

// CheckAccount says whether account is valid and free (ignoring case). An
// invalid account is a FieldError, so the SPA can show the rule.
func (s *Service) CheckAccount(ctx context.Context, account string) (Availability, error) {
	if err := ValidateAccount(account); err != nil {
		return Availability{}, err
	}
	taken, err := s.users.AccountExists(ctx, account)
	if err != nil {
		return Availability{}, services.Unavailable(err)
	}
	return Availability{Account: account, Available: !taken}, nil
}

// LoginInput is the body of POST /blogapi/login. Account is an account
// name or an email address.
type LoginInput struct {
	Account     string
	Password    string
	PasswordEnc string
	Captcha     string
	CaptchaID   string
}

// LoginResult is the data of a successful login or renewal (docs/security.md).
type LoginResult struct {
	Token        string // the access token
	RefreshToken string
	ExpiresIn    int64 // access token lifetime, seconds
	User         User
}

// ErrBadCredentials is the one answer to an unknown account and a wrong
// password alike (docs/security.md).
var ErrBadCredentials = errors.New("bad credentials")

// Login finds the user, counts the attempt with the brute-force guard
// (keyed by the user, so an account name and an email share one count),
// checks the captcha when the guard asks for one, then the password (the
// same argon2id cost for an unknown account), then the account status
// (reject/freeze: ErrAccountRejected, ErrAccountFrozen, and their sessions
// end), and starts a session. Errors: a FieldError, the captcha's,
// ErrBadCredentials, auth.ErrTooManyFailedLogins in a RetryLater. The
// outcome is reported to the Observer.
func (s *Service) Login(ctx context.Context, in LoginInput, userAgent, ip string) (LoginResult, error) {
	res, err := s.login(ctx, in, userAgent, ip)
	s.observer.LoginAttempted(loginOutcome(err))
	return res, err
}

func (s *Service) login(ctx context.Context, in LoginInput, userAgent, ip string) (LoginResult, error) {
	account := strings.TrimSpace(in.Account)
	if account == "" {
		return LoginResult{}, services.Invalid("account", "is required")
	}
	if len(account) > EmailMaxLen || !utf8.ValidString(account) {
		return LoginResult{}, ErrBadCredentials
	}
	password, err := s.password(in.PasswordEnc, "password", in.Password)
	if err != nil {
		return LoginResult{}, err
	}
	// Under a site-wide flood of failed logins every login needs a
	// captcha, checked before any other work. The attempt was counted by
	// the route's flood gate (middleware.LoginFlood), which also refused it
	// if it carried no captcha: a flood without answers costs no database
	// read and no password hash.
	captchaChecked := false
	// Flooded again: the request may have waited for its hashing slot
	// while the flood guard tripped.
	if s.guard.FloodFor(ctx) || s.guard.Flooded() {
		if strings.TrimSpace(in.Captcha) == "" {
			return LoginResult{}, captcha.ErrRequired
		}
		if err := s.captcha.Check(ctx, in.CaptchaID, in.Captcha); err != nil {
			return LoginResult{}, err
		}
		captchaChecked = true
	}
	var u models.User
	if strings.Contains(account, "@") {
		u, err = s.users.ByEmail(ctx, account)
	} else {
		u, err = s.users.ByAccount(ctx, account)
	}
	var key string
	switch {
	case errors.Is(err, models.ErrNotFound):
		key = auth.GuardKeyTyped(account)
	case err != nil:
		return LoginResult{}, services.Unavailable(err)
	default:
		key = auth.GuardKeyUser(u)
	}
	captchaRequired, err := s.guard.Attempt(ctx, key, ip)
	if err != nil {
		return LoginResult{}, err
	}
	if captchaRequired && !captchaChecked {
		var err error = captcha.ErrRequired
		if strings.TrimSpace(in.Captcha) != "" {
			err = s.captcha.Check(ctx, in.CaptchaID, in.Captcha)
		}
		if err != nil {
			if uerr := s.guard.Unchecked(ctx, key, ip); uerr != nil {
				return LoginResult{}, uerr
			}
			return LoginResult{}, err
		}
	}
	ok, err := s.hasher.Verify(ctx, u.PasswordHash, password)
	if err != nil {
		return LoginResult{}, err
	}
	if !ok {
		return LoginResult{}, ErrBadCredentials
	}
	if err := s.guard.Succeeded(ctx, key, ip); err != nil {
		return LoginResult{}, err
	}
	if u.DeletedAt != 0 {
		return LoginResult{}, ErrBadCredentials // deleted by an admin (docs/admin.md)
	}
	if err := s.checkStatus(ctx, u); err != nil {
		return LoginResult{}, err
	}
	pair, err := s.sessions.Start(ctx, u.ID.Hex(), userAgent, ip)
	if err != nil {
		return LoginResult{}, err
	}
	u.LastLoginAt = s.now().UnixMilli()
	if err := s.users.SetLastLogin(ctx, u.ID.Hex(), u.LastLoginAt); err != nil {
		// The session exists: answer it rather than a 503 the client
		// would retry into a second session.
		s.logger.WarnContext(ctx, "last login not recorded", "err", err.Error())
	}
	if s.logins != nil {
		if err := s.logins.Add(ctx, models.CountLogins, s.now()); err != nil {
			s.logger.WarnContext(ctx, "login not counted", "err", err.Error())
		}
	}
	return newLoginResult(pair, u, s.accessTTL), nil
}

// newLoginResult is the answer of a login, a renewal or a password change.
func newLoginResult(p auth.TokenPair, u models.User, accessTTL time.Duration) LoginResult {
	return LoginResult{Token: p.Access, RefreshToken: p.Refresh, ExpiresIn: int64(accessTTL / time.Second), User: userOf(u)}
}

// Renew rotates a refresh token into a new pair (docs/security.md) after checking
// that the user still exists and may log in, so a refused renewal leaves
// the refresh token as it was.
func (s *Service) Renew(ctx context.Context, refreshToken string) (LoginResult, error) {
	if refreshToken == "" {
		return LoginResult{}, services.Invalid("refreshToken", "is required")
	}
	var u models.User
	pair, err := s.sessions.Renew(ctx, refreshToken, func(claims *auth.Claims) (err error) {
		u, err = s.activeUser(ctx, claims)
		return err
	})
	if err != nil {
		return LoginResult{}, err
	}
	return newLoginResult(pair, u, s.accessTTL), nil
}

// Authenticate verifies an access token and its session, then the user:
// gone → auth.ErrSessionEnded; reject/freeze → ErrAccountRejected,
// ErrAccountFrozen, and every session of the user ends (docs/security.md).
func (s *Service) Authenticate(ctx context.Context, accessToken string) (auth.Principal, error) {
	claims, err := s.sessions.Authenticate(ctx, accessToken)
	if err != nil {
		return auth.Principal{}, err
	}
	u, err := s.activeUser(ctx, claims)
	if err != nil {
		return auth.Principal{}, err
	}
	return auth.Principal{Claims: claims, User: u}, nil
}

func (s *Service) activeUser(ctx context.Context, claims *auth.Claims) (models.User, error) {
	u, err := s.users.ByID(ctx, claims.Subject)
	if errors.Is(err, models.ErrNotFound) {
		_ = s.sessions.EndAll(ctx, claims.Subject, "", models.EndUserDeleted)
		return models.User{}, auth.ErrSessionEnded
	}
	if err != nil {
		return models.User{}, services.Unavailable(err)
	}
	if err := s.checkStatus(ctx, u); err != nil {
		return models.User{}, err
	}
	return u, nil
}

// Refusals of a user's status, and of a new account's names.
var (
	ErrAccountFrozen   = errors.New("account frozen")
	ErrAccountRejected = errors.New("account rejected")
	ErrAccountTaken    = errors.New("account already registered")
	ErrEmailTaken      = errors.New("email already registered")
	// ErrEmailChangeLimited refuses an e-mail change past its limits
	// (inside a RetryLater).
	ErrEmailChangeLimited = errors.New("too many email changes")
)

// checkStatus refuses reject and freeze users (403) and ends their
// sessions; a user an admin deleted is gone (401 session ended).
func (s *Service) checkStatus(ctx context.Context, u models.User) error {
	if u.DeletedAt != 0 {
		if err := s.sessions.EndAll(ctx, u.ID.Hex(), "", models.EndUserDeleted); err != nil {
			return err
		}
		return auth.ErrSessionEnded
	}
	reason, refusal := models.EndAccountFreeze, ErrAccountFrozen
	switch u.Status {
	case models.StatusFreeze:
	case models.StatusReject:
		reason, refusal = models.EndAccountReject, ErrAccountRejected
	default:
		return nil
	}
	if err := s.sessions.EndAll(ctx, u.ID.Hex(), "", reason); err != nil {
		return err
	}
	if u.StatusReason != "" {
		return &StatusRefusal{Err: refusal, Reason: u.StatusReason}
	}
	return refusal
}

// StatusRefusal is ErrAccountFrozen or ErrAccountRejected with the reason
// an admin gave (docs/admin.md): the answer's msg carries it, so the user
// reads it on login.
type StatusRefusal struct {
	Err    error
	Reason string
}

func (e *StatusRefusal) Error() string { return e.Err.Error() + ": " + e.Reason }

// Unwrap returns ErrAccountFrozen or ErrAccountRejected.
func (e *StatusRefusal) Unwrap() error { return e.Err }

// password decodes a password field (see decodePassword).
func (s *Service) password(enc, field, value string) (string, error) {
	return decodePassword(s.transport, enc, field, value)
}

// decodePassword returns the md5 hex a client sent in field, decrypting it
// first when enc is auth.PasswordEncRSA. A FieldError when missing, not
// md5 hex or of an unknown enc; auth.ErrPasswordUndecryptable.
func decodePassword(transport *auth.PasswordTransport, enc, field, value string) (string, error) {
	if value == "" {
		return "", services.Invalid(field, "is required")
	}
	switch enc {
	case "":
	case auth.PasswordEncRSA:
		if transport == nil {
			return "", services.Invalid("password_enc", "is not supported by this server")
		}
		plain, err := transport.Decrypt(value)
		if err != nil {
			return "", err
		}
		value = plain
	default:
		return "", services.Invalid("password_enc", "must be empty or rsa-oaep-sha256")
	}
	if !auth.ValidMD5Hex(value) {
		return "", services.Invalid(field, "must be the md5 of the password in hex (32 characters)")
	}
	return strings.ToLower(value), nil
}

// ValidateAccount applies docs/security.md: 3–32 characters of [A-Za-z0-9_.-].
func ValidateAccount(account string) error {
	if account == "" {
		return services.Invalid("account", "is required")
	}
	if len(account) < AccountMinLen || len(account) > AccountMaxLen {
		return services.Invalid("account", "must be 3 to 32 characters long")
	}
	for i := 0; i < len(account); i++ {
		b := account[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '.' || b == '-') {
			return services.Invalid("account", "may contain only letters, digits, '_', '.' and '-'")
		}
	}
	return nil
}

// ValidateEmail applies docs/security.md: one bare address (no display name) of at
// most 254 bytes with a dotted domain, as net/mail parses it (RFC 5322).
// It returns the address trimmed of surrounding space.
func ValidateEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", services.Invalid("email", "is required")
	}
	bad := services.Invalid("email", "is not a valid address")
	if len(email) > EmailMaxLen || !utf8.ValidString(email) {
		return "", bad
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "", bad
	}
	at := strings.LastIndexByte(email, '@')
	domain := email[at+1:]
	if at < 1 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.ContainsAny(email, " \t\r\n\"()<>[]\\,;:") {
		return "", bad
	}
	return email, nil
}

// ValidateNick applies docs/security.md: at most 32 characters, printable.
func ValidateNick(nick string) error {
	if !utf8.ValidString(nick) || utf8.RuneCountInString(nick) > NickMaxLen {
		return services.Invalid("nick", "must be at most 32 characters")
	}
	for _, r := range nick {
		if r < 0x20 || r == 0x7f {
			return services.Invalid("nick", "must not contain control characters")
		}
	}
	return nil
}

// randomNickSuffix is 4 characters from crypto/rand for the default nick.
func randomNickSuffix() string {
	const chars = "abcdefghijkmnpqrstuvwxyz23456789"
	var b [4]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b[:])
}

// Logout ends the caller's session, or every session of the user when all
// is true (docs/security.md).
func (s *Service) Logout(ctx context.Context, p auth.Principal, all bool) error {
	if all {
		return s.sessions.EndAll(ctx, p.User.ID.Hex(), "", models.EndLogoutAll)
	}
	return s.sessions.End(ctx, p.Claims.SessionID, models.EndLogout)
}
