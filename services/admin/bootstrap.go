package admin

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/account"
)

// MinBootstrapPassword is the shortest password the command line accepts
// for a new admin, in characters.
const MinBootstrapPassword = 8

// cli is the actor of the command-line bootstrap in the audit log.
var cli = Actor{User: models.User{Account: "cli"}}

// Bootstrap makes the account name an admin, from the command line (`blogapi admin
// create`; README, "The first admin"). An existing account (any case) is
// promoted: type admin, status normal; its password is kept and password
// is not called. Otherwise a user is created with type admin, status
// normal and the email verified, its password the one password returns
// (the plain text an operator typed; hashed as a login's md5 hex is). The
// action is recorded in the audit log. created says which happened.
// Errors: FieldError (account, email, password); account.ErrEmailTaken
// when email is another account's; ErrUserDeleted; ErrUnavailable.
func (s *Service) Bootstrap(ctx context.Context, name, email string, password func() (string, error)) (User, bool, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return User{}, false, services.Invalid("account", "is required")
	}
	u, err := s.d.Users.ByAccount(ctx, name)
	switch {
	case err == nil:
		if email != "" && !strings.EqualFold(strings.TrimSpace(email), u.Email) {
			return User{}, false, account.ErrEmailTaken
		}
		typ, status := models.TypeAdmin, models.StatusNormal
		u, err = s.change(ctx, cli, u.ID.Hex(), ActionAdminCreate, "", func(u models.User) (models.UserChange, fields) {
			var f fields
			f.add("type", u.Type, typ)
			f.add("status", u.Status, status)
			return models.UserChange{Type: &typ, Status: &status}, f
		})
		out, err := view(u, err)
		return out, false, err
	case !errors.Is(err, models.ErrNotFound):
		return User{}, false, unavailable(err)
	}
	if err := account.ValidateAccount(name); err != nil {
		return User{}, false, services.Invalid("account", "3 to 32 letters, digits, '_', '.' or '-'")
	}
	email, err = account.ValidateEmail(email)
	if err != nil {
		return User{}, false, services.Invalid("email", "must be a valid address")
	}
	plain, err := password()
	if err != nil {
		return User{}, false, err
	}
	if utf8.RuneCountInString(plain) < MinBootstrapPassword {
		return User{}, false, services.Invalid("password", "must be at least 8 characters")
	}
	sum := md5.Sum([]byte(plain))
	hash, err := s.d.Hasher.Hash(ctx, hex.EncodeToString(sum[:]))
	if err != nil {
		return User{}, false, err
	}
	u = models.User{
		Account: name, Email: email, EmailVerified: true, Status: models.StatusNormal, Type: models.TypeAdmin,
		Nick: name, Created: s.d.Now().UnixMilli(), PasswordHash: hash,
	}
	switch err := s.d.Users.Create(ctx, &u); {
	case errors.Is(err, models.ErrDuplicateEmail):
		return User{}, false, account.ErrEmailTaken
	case errors.Is(err, models.ErrDuplicateAccount):
		return User{}, false, services.Invalid("account", "was registered meanwhile; run the command again")
	case err != nil:
		return User{}, false, unavailable(err)
	}
	s.noteType(ctx, u.ID.Hex(), "", u.Type)
	s.record(ctx, cli, models.AuditEntry{Action: ActionAdminCreate, TargetType: "user", Target: u.ID.Hex(),
		After: map[string]any{"type": u.Type, "status": u.Status}})
	return userOf(u), true, nil
}

// Admins returns every admin, deleted or not, oldest first (`blogapi admin
// list`). Errors: ErrUnavailable.
func (s *Service) Admins(ctx context.Context) ([]User, error) {
	admins, err := s.d.Users.Admins(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]User, len(admins))
	for i, u := range admins {
		out[i] = userOf(u)
	}
	return out, nil
}
