package admin

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/content"
)

// The fixed sets the admin's filters and changes take values from.
var (
	Statuses = []string{models.StatusPending, models.StatusNormal, models.StatusReject, models.StatusFreeze}
	Types    = []string{models.TypeClient, models.TypeAuthor, models.TypeAdmin}
	Sorts    = []string{models.SortCreated, models.SortLastLogin}
)

// Limits of the admin's inputs (docs/admin.md).
const (
	MaxLevel      = 10
	MaxQ          = 64  // characters of a search
	MaxReason     = 200 // characters of a status reason
	SessionsShown = 50  // sessions in a user's detail, most recent first
)

// DeletedNick replaces a deleted user's nick: their articles and comments
// stay, shown under it.
const DeletedNick = "deleted user"

// Audit actions on users.
const (
	ActionUserStatus   = "user.status"
	ActionUserLevel    = "user.level"
	ActionUserType     = "user.type"
	ActionUserSessions = "user.sessions.end"
	ActionUserDelete   = "user.delete"
	ActionAdminCreate  = "admin.create" // the command-line bootstrap
)

// UserQuery selects and orders a page of users (GET /blogapi/admin/users).
type UserQuery struct {
	Status, Type  string
	Level         *int
	Q             string
	EmailVerified *bool
	// From and To bound the registration time, ms since the Unix epoch.
	From, To int64
	Deleted  *bool
	// Sort is created (default) or lastLogin; newest first unless Asc.
	Sort     string
	Asc      bool
	Page     int
	PageSize int
}

// Page is one page of a list and the size of the whole.
type Page[T any] struct {
	Items    []T
	Total    int64
	Page     int
	PageSize int
}

// PageBounds clamps page (≥ 1) and pageSize (1–100, default 15) as the
// blog's lists do (content.PageRequest.Clamp).
func PageBounds(page, pageSize int) (int, int) {
	r := content.PageRequest{Page: page, Size: pageSize}.Clamp()
	return r.Page, r.Size
}

func oneOf(field, v string, set []string) error {
	if v != "" && !slices.Contains(set, v) {
		return services.Invalid(field, "must be one of "+strings.Join(set, ", "))
	}
	return nil
}

func checkLevel(field string, level int) error {
	if level < 0 || level > MaxLevel {
		return services.Invalid(field, "must be 0 to 10")
	}
	return nil
}

// ListUsers returns a page of the users q selects. Errors: a FieldError
// for a value outside its set; ErrUnavailable. On the embedded database
// this scans the users (docs/admin.md, "Costs").
func (s *Service) ListUsers(ctx context.Context, q UserQuery) (Page[User], error) {
	for _, err := range []error{oneOf("status", q.Status, Statuses), oneOf("type", q.Type, Types), oneOf("sort", q.Sort, Sorts)} {
		if err != nil {
			return Page[User]{}, err
		}
	}
	if q.Level != nil {
		if err := checkLevel("level", *q.Level); err != nil {
			return Page[User]{}, err
		}
	}
	if utf8.RuneCountInString(q.Q) > MaxQ {
		return Page[User]{}, services.Invalid("q", "must be at most 64 characters")
	}
	page, size := PageBounds(q.Page, q.PageSize)
	users, total, err := s.d.Users.List(ctx, models.UserFilter{
		Status: q.Status, Type: q.Type, Level: q.Level, Q: q.Q, EmailVerified: q.EmailVerified,
		CreatedFrom: q.From, CreatedTo: q.To, Deleted: q.Deleted,
	}, q.Sort, q.Asc, page, size)
	if err != nil {
		return Page[User]{}, unavailable(err)
	}
	items := make([]User, len(users))
	for i, u := range users {
		items[i] = userOf(u)
	}
	return Page[User]{Items: items, Total: total, Page: page, PageSize: size}, nil
}

// UserDetail is everything the admin sees of a user: the user (the
// controller leaves the password hash out), their sessions and their
// failed logins in the guard's open window.
type UserDetail struct {
	User         User
	Sessions     []Session
	FailedLogins int
}

// Session is one session of a user (models.Session) as the admin sees it.
type Session struct {
	ID, Device, IP                   string
	CreatedAt, LastUsedAt, ExpiresAt time.Time
	// Alive: not ended and not expired now.
	Alive bool
	// EndedAt is nil while alive; EndReason says why it ended.
	EndedAt   *time.Time
	EndReason string
}

// User returns the detail of the user id. Errors: ErrUserNotFound;
// ErrUnavailable.
func (s *Service) User(ctx context.Context, id string) (UserDetail, error) {
	u, err := s.user(ctx, id)
	if err != nil {
		return UserDetail{}, err
	}
	sessions, err := s.d.Sessions.ForUser(ctx, id, SessionsShown)
	if err != nil {
		return UserDetail{}, unavailable(err)
	}
	failed, _, err := s.d.FailedLogins.Count(ctx, s.d.GuardKey(u), s.d.Now(), s.d.LoginWindow)
	if err != nil {
		return UserDetail{}, unavailable(err)
	}
	now := s.d.Now()
	out := UserDetail{User: userOf(u), Sessions: make([]Session, len(sessions)), FailedLogins: failed}
	for i, x := range sessions {
		out.Sessions[i] = Session{ID: x.ID, Device: x.UserAgent, IP: x.IP, CreatedAt: x.CreatedAt, LastUsedAt: x.LastUsedAt,
			ExpiresAt: x.ExpiresAt, Alive: x.Alive(now), EndedAt: x.EndedAt, EndReason: x.EndReason}
	}
	return out, nil
}

func (s *Service) user(ctx context.Context, id string) (models.User, error) {
	u, err := s.d.Users.ByID(ctx, id)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return models.User{}, ErrUserNotFound
	case err != nil:
		return models.User{}, unavailable(err)
	}
	return u, nil
}

// SetStatus sets the user id's status with a reason the user sees on
// login (required for reject and freeze, at most 200 characters). Reject
// and freeze end every session of the user at once. Errors: FieldError
// (status, reason); ErrUserNotFound; ErrUserDeleted; ErrLastAdmin;
// ErrBusy; ErrUnavailable.
func (s *Service) SetStatus(ctx context.Context, a Actor, id, status, reason string) (User, error) {
	reason = strings.TrimSpace(reason)
	if status == "" {
		return User{}, services.Invalid("status", "is required")
	}
	if err := oneOf("status", status, Statuses); err != nil {
		return User{}, err
	}
	if utf8.RuneCountInString(reason) > MaxReason {
		return User{}, services.Invalid("reason", "must be at most 200 characters")
	}
	if reason == "" && (status == models.StatusReject || status == models.StatusFreeze) {
		return User{}, services.Invalid("reason", "is required to reject or freeze")
	}
	u, err := s.change(ctx, a, id, ActionUserStatus, reason, func(u models.User) (models.UserChange, fields) {
		var f fields
		f.add("status", u.Status, status)
		f.add("reason", u.StatusReason, reason)
		return models.UserChange{Status: &status, StatusReason: &reason}, f
	})
	if err != nil {
		return User{}, err
	}
	if end := endReason(status); end != "" {
		if _, err := s.d.Sessions.EndAllForUser(ctx, id, "", end, s.d.Now()); err != nil {
			return User{}, unavailable(err)
		}
	}
	return userOf(u), nil
}

func endReason(status string) string {
	switch status {
	case models.StatusFreeze:
		return models.EndAccountFreeze
	case models.StatusReject:
		return models.EndAccountReject
	}
	return ""
}

// SetLevel sets the user id's level (0–10). Errors: FieldError (level);
// ErrUserNotFound; ErrUserDeleted; ErrBusy; ErrUnavailable.
func (s *Service) SetLevel(ctx context.Context, a Actor, id string, level int) (User, error) {
	if err := checkLevel("level", level); err != nil {
		return User{}, err
	}
	return view(s.change(ctx, a, id, ActionUserLevel, "", func(u models.User) (models.UserChange, fields) {
		var f fields
		f.add("level", u.Level, level)
		return models.UserChange{Level: &level}, f
	}))
}

// SetType sets the user id's type (client, author, admin) after
// re-checking the admin's password (md5 hex). Errors: FieldError (type,
// password); the guard's refusal; ErrUserNotFound; ErrUserDeleted;
// ErrLastAdmin; ErrBusy; ErrUnavailable.
func (s *Service) SetType(ctx context.Context, a Actor, id, typ, password string) (User, error) {
	if typ == "" {
		return User{}, services.Invalid("type", "is required")
	}
	if err := oneOf("type", typ, Types); err != nil {
		return User{}, err
	}
	if err := s.CheckPassword(ctx, a, password); err != nil {
		return User{}, err
	}
	return view(s.change(ctx, a, id, ActionUserType, "", func(u models.User) (models.UserChange, fields) {
		var f fields
		f.add("type", u.Type, typ)
		return models.UserChange{Type: &typ}, f
	}))
}

// EndSessions ends every session of the user id and returns how many were
// alive. Errors: ErrUserNotFound; ErrUnavailable.
func (s *Service) EndSessions(ctx context.Context, a Actor, id string) (int64, error) {
	if _, err := s.user(ctx, id); err != nil {
		return 0, err
	}
	n, err := s.d.Sessions.EndAllForUser(ctx, id, "", models.EndByAdmin, s.d.Now())
	if err != nil {
		return 0, unavailable(err)
	}
	s.record(ctx, a, models.AuditEntry{Action: ActionUserSessions, TargetType: "user", Target: id,
		After: map[string]any{"sessionsEnded": n}})
	return n, nil
}

// DeleteUser deletes the user id after re-checking the admin's password:
// the account can no longer log in, its sessions end, its nick becomes
// DeletedNick, and its name and email are released for others after the
// retention period (Deps.Retention). Its articles and comments stay.
// Deleting a deleted user completes what a failed attempt left undone and
// records nothing. Errors: FieldError (password); the guard's refusal;
// ErrUserNotFound; ErrLastAdmin; ErrBusy; ErrUnavailable.
func (s *Service) DeleteUser(ctx context.Context, a Actor, id, password string) (User, error) {
	if err := s.CheckPassword(ctx, a, password); err != nil {
		return User{}, err
	}
	u, err := s.user(ctx, id)
	if err != nil {
		return User{}, err
	}
	if u.DeletedAt == 0 {
		now := s.d.Now().UnixMilli()
		nick := DeletedNick
		u, err = s.change(ctx, a, id, ActionUserDelete, "", func(u models.User) (models.UserChange, fields) {
			var f fields
			f.add("deletedAt", u.DeletedAt, now)
			f.add("nick", u.Nick, nick)
			return models.UserChange{DeletedAt: &now, Nick: &nick}, f
		})
		if err != nil {
			return User{}, err
		}
	}
	at := time.UnixMilli(u.DeletedAt).Add(s.d.Retention)
	if err := s.d.Users.ScheduleRelease(ctx, id, at); err != nil {
		return User{}, unavailable(err)
	}
	if _, err := s.d.Sessions.EndAllForUser(ctx, id, "", models.EndUserDeleted, s.d.Now()); err != nil {
		return User{}, unavailable(err)
	}
	return userOf(u), nil
}

// fields collects the changed fields of an action: before and after, by
// their API names.
type fields struct{ before, after map[string]any }

func (f *fields) add(name string, before, after any) {
	if before == after {
		return
	}
	if f.before == nil {
		f.before, f.after = map[string]any{}, map[string]any{}
	}
	f.before[name], f.after[name] = before, after
}

// Lease of the last-admin rule: every change that could remove an active
// admin takes it, so two of them cannot both count the other admin.
const (
	adminsLease     = "admins"
	adminsLeaseTTL  = 30 * time.Second
	adminsLeaseWait = 5 * time.Second
	changeRetries   = 5
)

// change applies decide's change to the user id as a compare-and-set
// (models.UserStore.Change), retried when another change came first, and
// records one audit entry. A change that changes nothing is not applied
// and not recorded. A change that would leave no active admin is refused
// (ErrLastAdmin): it runs under the "admins" lease and looks for another
// active admin (otherActiveAdmin).
func (s *Service) change(ctx context.Context, a Actor, id, action, reason string, decide func(models.User) (models.UserChange, fields)) (models.User, error) {
	u, f, err := s.apply(ctx, id, decide)
	if err == nil && f.after != nil {
		s.record(ctx, a, models.AuditEntry{Action: action, TargetType: "user", Target: id,
			Before: f.before, After: f.after, Reason: reason})
	}
	return u, err
}

// apply is change without the audit entry: the user after the change and
// the changed fields (none: nothing was applied).
func (s *Service) apply(ctx context.Context, id string, decide func(models.User) (models.UserChange, fields)) (models.User, fields, error) {
	var lease *models.Lease
	defer func() {
		if lease != nil {
			_ = lease.Release(ctx)
		}
	}()
	for range changeRetries {
		u, err := s.user(ctx, id)
		if err != nil {
			return models.User{}, fields{}, err
		}
		if u.DeletedAt != 0 {
			return models.User{}, fields{}, ErrUserDeleted
		}
		ch, f := decide(u)
		if f.after == nil {
			return u, f, nil
		}
		if u.ActiveAdmin() && !u.With(ch).ActiveAdmin() {
			if lease == nil {
				lease, err = s.d.Leases.Acquire(ctx, adminsLease, adminsLeaseTTL, adminsLeaseWait)
				if err != nil {
					return models.User{}, fields{}, leaseErr(err)
				}
				continue // read again under the lease
			}
			if err := s.otherActiveAdmin(ctx, u); err != nil {
				return models.User{}, fields{}, err
			}
		}
		changed, err := s.d.Users.Change(ctx, id, u.Version, ch)
		switch {
		case errors.Is(err, models.ErrStale):
			continue
		case errors.Is(err, models.ErrNotFound):
			return models.User{}, fields{}, ErrUserNotFound
		case err != nil:
			return models.User{}, fields{}, leaseErr(err)
		}
		s.noteType(ctx, id, u.Type, changed.Type)
		return changed, f, nil
	}
	return models.User{}, fields{}, ErrBusy
}

// otherActiveAdmin returns ErrLastAdmin unless an active admin other than
// u exists. It reads the candidates of the admin set by `_id`; only when
// none of them is an active admin does it scan the users for admins (the
// authority; a scan on the embedded database) and rewrite the set.
func (s *Service) otherActiveAdmin(ctx context.Context, u models.User) error {
	ids, err := s.d.AdminSet.Candidates(ctx)
	if err != nil {
		return unavailable(err)
	}
	for _, id := range ids {
		if id == u.ID.Hex() {
			continue
		}
		o, err := s.d.Users.ByID(ctx, id)
		switch {
		case err == nil && o.ActiveAdmin():
			return nil
		case err != nil && !errors.Is(err, models.ErrNotFound):
			return unavailable(err)
		}
	}
	admins, err := s.d.Users.Admins(ctx)
	if err != nil {
		return unavailable(err)
	}
	found := false
	listed := make([]string, 0, len(admins))
	for _, o := range admins {
		listed = append(listed, o.ID.Hex())
		found = found || o.ID != u.ID && o.ActiveAdmin()
	}
	if err := s.d.AdminSet.Replace(ctx, listed); err != nil {
		s.d.Logger.WarnContext(ctx, "admin set not rewritten", "err", err.Error())
	}
	if !found {
		return ErrLastAdmin
	}
	return nil
}

// noteType keeps the admin set in step with a change of u's type to typ
// (a failure is logged: the set is a hint, see otherActiveAdmin).
func (s *Service) noteType(ctx context.Context, id, before, after string) {
	var err error
	switch {
	case after == models.TypeAdmin && before != models.TypeAdmin:
		err = s.d.AdminSet.Add(ctx, id)
	case before == models.TypeAdmin && after != models.TypeAdmin:
		err = s.d.AdminSet.Remove(ctx, id)
	}
	if err != nil {
		s.d.Logger.WarnContext(ctx, "admin set not updated", "user", id, "err", err.Error())
	}
}

func leaseErr(err error) error {
	if errors.Is(err, models.ErrBusy) {
		return ErrBusy
	}
	return unavailable(err)
}
