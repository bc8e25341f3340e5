// Package admin holds the use-cases of the admin API (docs/admin.md): users
// (list, detail, status, level, type, sessions, deletion), the last-admin
// rule, the password re-check of sensitive actions, the audit log, the
// dashboard, and the command-line bootstrap of the first admin.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/auth"
)

// Domain errors of the admin side; controllers/response maps them.
var (
	// ErrNotAdmin: the caller is not an active admin (403).
	ErrNotAdmin = errors.New("admin: caller is not an admin")
	// ErrUserNotFound: no such user, or a malformed id (404).
	ErrUserNotFound = errors.New("admin: user not found")
	// ErrLastAdmin: the change would leave no active admin (409).
	ErrLastAdmin = errors.New("admin: the last admin cannot be removed")
	// ErrUserDeleted: the user was deleted; only reading is allowed (409).
	ErrUserDeleted = errors.New("admin: user is deleted")
	// ErrBusy: another admin change held the same user (or the admins) for
	// too long; retry (409).
	ErrBusy = errors.New("admin: another change is in progress")
)

// Users is what the admin service needs from the `users` collection
// (models.UserStore).
type Users interface {
	Create(ctx context.Context, u *models.User) error
	ByID(ctx context.Context, hexID string) (models.User, error)
	ByAccount(ctx context.Context, account string) (models.User, error)
	ByEmail(ctx context.Context, email string) (models.User, error)
	Change(ctx context.Context, hexID string, version int64, ch models.UserChange) (models.User, error)
	List(ctx context.Context, f models.UserFilter, sort string, asc bool, page, pageSize int) ([]models.User, int64, error)
	Admins(ctx context.Context) ([]models.User, error)
	ScheduleRelease(ctx context.Context, hexID string, at time.Time) error
	Stats(ctx context.Context, to time.Time, days int) (models.UserStats, error)
}

// Sessions lists and ends users' sessions (models.SessionStore).
type Sessions interface {
	ForUser(ctx context.Context, userID string, limit int) ([]models.Session, error)
	EndAllForUser(ctx context.Context, userID, exceptID, reason string, now time.Time) (int64, error)
}

// Leases serialise the changes that could remove an admin
// (models.LeaseStore).
type Leases interface {
	Acquire(ctx context.Context, key string, ttl, wait time.Duration) (*models.Lease, error)
}

// AdminSet is the list of users that may be admins, a hint for the
// last-admin rule (models.AdminSetStore).
type AdminSet interface {
	Candidates(ctx context.Context) ([]string, error)
	Add(ctx context.Context, hexID string) error
	Remove(ctx context.Context, hexID string) error
	Replace(ctx context.Context, ids []string) error
}

// Audit appends to and lists the audit log (models.AuditStore).
type Audit interface {
	Add(ctx context.Context, e *models.AuditEntry) error
	List(ctx context.Context, f models.AuditFilter, page, pageSize int) ([]models.AuditEntry, int64, error)
}

// Hasher hashes and verifies the md5 hex a client sends as `password`
// (argon2id; the login's hasher).
type Hasher interface {
	Hash(ctx context.Context, md5hex string) (string, error)
	Verify(ctx context.Context, encoded, md5hex string) (bool, error)
}

// Guard is the login's brute-force guard: a password re-check counts
// against the admin's budget like a login.
type Guard interface {
	Attempt(ctx context.Context, key, ip string) (captchaRequired bool, err error)
	Succeeded(ctx context.Context, key, ip string) error
}

// FailedLogins reads a guard key's failed logins in its open window of the
// given length (models.LoginAttemptStore).
type FailedLogins interface {
	Count(ctx context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error)
}

// Deps are the admin service's collaborators.
type Deps struct {
	Users        Users
	Sessions     Sessions
	Leases       Leases
	AdminSet     AdminSet
	Audit        Audit
	Hasher       Hasher
	Guard        Guard
	FailedLogins FailedLogins
	// LoginWindow is the login guard's window (security.login_window), the
	// span FailedLogins counts over.
	LoginWindow time.Duration
	DailyCounts DailyCounts
	// Comments moderates the blog's comments (content.Service; nil: the
	// comment route answers 500).
	Comments Moderator
	// Articles manages the blog's articles (content.Service; nil: the
	// article routes answer 500).
	Articles Articles
	// Banners manages the home page's banners (content.Service; nil: the
	// banner routes answer 500).
	Banners Banners
	// Taxonomy manages the blog's types, categories and tags
	// (content.Service; nil: the taxonomy routes answer 500).
	Taxonomy Taxonomy
	// Content counts articles and comments for the dashboard
	// (content.Service; nil: no content figures).
	Content ContentStats
	// GuardKey is the guard's key of a user (the one login counts under).
	GuardKey func(models.User) string
	Logger   *slog.Logger
	Now      func() time.Time
	// Retention is how long a deleted account keeps its name and email
	// before others may register them (0: DefaultRetention).
	Retention time.Duration
}

// DefaultRetention is how long a deleted account's name and email stay
// reserved (docs/admin.md, "Deleting a user").
const DefaultRetention = 30 * 24 * time.Hour

// Service is the admin side's use-cases.
type Service struct{ d Deps }

// New returns the admin service over d.
func New(d Deps) *Service {
	if d.Retention <= 0 {
		d.Retention = DefaultRetention
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{d: d}
}

// Actor is the admin taking an action: the user as read from the database
// on this request, and where the request came from (for the audit log).
type Actor struct {
	User      models.User
	RequestID string
	IP        string
}

// ActorOf is the admin p (the caller the access-token check read from the
// database) taking an action in the request requestID from ip.
func ActorOf(p auth.Principal, requestID, ip string) Actor {
	return Actor{User: p.User, RequestID: requestID, IP: ip}
}

// Authorize returns nil when the caller p, as read from the database on
// this request, is an active admin (type admin, status normal, not
// deleted), and ErrNotAdmin otherwise.
func Authorize(p auth.Principal) error {
	if !p.User.ActiveAdmin() {
		return ErrNotAdmin
	}
	return nil
}

// User is a user as the admin sees it: everything but the password hash
// and the lookup keys.
type User struct {
	ID            string // 24 hex digits
	Account       string
	Email         string
	EmailVerified bool
	Nick          string
	Avatar        string
	Type          string
	Level         int
	Status        string
	StatusReason  string
	// Created, LastLoginAt, DeletedAt and ReleasedAt are ms since the
	// Unix epoch (0: never).
	Created, LastLoginAt, DeletedAt, ReleasedAt int64
	// CommentBanned: banned from commenting (BanCommenter), for
	// CommentBanReason.
	CommentBanned    bool
	CommentBanReason string
}

func userOf(u models.User) User {
	return User{ID: u.ID.Hex(), Account: u.Account, Email: u.Email, EmailVerified: u.EmailVerified, Nick: u.Nick,
		Avatar: u.Avatar, Type: u.Type, Level: u.Level, Status: u.Status, StatusReason: u.StatusReason,
		Created: u.Created, LastLoginAt: u.LastLoginAt, DeletedAt: u.DeletedAt, ReleasedAt: u.ReleasedAt,
		CommentBanned: u.CommentBanned, CommentBanReason: u.CommentBanReason}
}

// view is userOf for a store call's result.
func view(u models.User, err error) (User, error) {
	if err != nil {
		return User{}, err
	}
	return userOf(u), nil
}

// AuditEntry is one entry of the audit log (models.AuditEntry).
type AuditEntry struct {
	ID string
	// At is ms since the Unix epoch.
	At                      int64
	Who, WhoAccount, Action string
	TargetType, Target      string
	Before, After           map[string]any
	Reason, RequestID, IP   string
}

func auditOf(e models.AuditEntry) AuditEntry {
	return AuditEntry{ID: e.ID.Hex(), At: e.At, Who: e.Who, WhoAccount: e.WhoAccount, Action: e.Action,
		TargetType: e.TargetType, Target: e.Target, Before: e.Before, After: e.After, Reason: e.Reason,
		RequestID: e.RequestID, IP: e.IP}
}

// CheckPassword re-checks the admin's current password (md5hex as at
// login) for a sensitive action. It counts against the admin's login
// budget (the guard's lock applies; a captcha is not asked: the admin has
// a session). Errors: auth.ErrPasswordFormat, account.ErrPasswordIncorrect
// (the field `password`); the guard's refusal; ErrUnavailable.
func (s *Service) CheckPassword(ctx context.Context, a Actor, md5hex string) error {
	if !auth.ValidMD5Hex(md5hex) {
		return auth.ErrPasswordFormat
	}
	key := s.d.GuardKey(a.User)
	if _, err := s.d.Guard.Attempt(ctx, key, a.IP); err != nil {
		return err
	}
	ok, err := s.d.Hasher.Verify(ctx, a.User.PasswordHash, md5hex)
	if err != nil {
		return err
	}
	if !ok {
		return account.ErrPasswordIncorrect
	}
	return s.d.Guard.Succeeded(ctx, key, a.IP)
}

// record appends one audit entry for a's action. A failure is logged: the
// action itself has been applied and is answered.
func (s *Service) record(ctx context.Context, a Actor, e models.AuditEntry) {
	e.At = s.d.Now().UnixMilli()
	e.WhoAccount, e.RequestID, e.IP = a.User.Account, a.RequestID, a.IP
	if !a.User.ID.IsZero() {
		e.Who = a.User.ID.Hex()
	}
	if err := s.d.Audit.Add(ctx, &e); err != nil {
		s.d.Logger.ErrorContext(ctx, "audit entry not recorded", "request_id", a.RequestID,
			"action", e.Action, "target", e.Target, "err", err.Error())
	}
}

// unavailable wraps a store failure: answered 503, logged with its cause.
func unavailable(err error) error { return fmt.Errorf("%w: %w", services.ErrUnavailable, err) }

// AuditQuery selects a page of the audit log (GET /blogapi/admin/audit).
type AuditQuery struct {
	Who, Action, TargetType, Target string
	// From and To bound the time, ms since the Unix epoch, inclusive.
	From, To       int64
	Page, PageSize int
}

// AuditLog returns a page of the audit log, newest first. Errors:
// ErrUnavailable.
func (s *Service) AuditLog(ctx context.Context, q AuditQuery) (Page[AuditEntry], error) {
	page, size := PageBounds(q.Page, q.PageSize)
	entries, total, err := s.d.Audit.List(ctx, models.AuditFilter{
		Who: q.Who, Action: q.Action, TargetType: q.TargetType, Target: q.Target, From: q.From, To: q.To,
	}, page, size)
	if err != nil {
		return Page[AuditEntry]{}, unavailable(err)
	}
	items := make([]AuditEntry, len(entries))
	for i, e := range entries {
		items[i] = auditOf(e)
	}
	return Page[AuditEntry]{Items: items, Total: total, Page: page, PageSize: size}, nil
}
