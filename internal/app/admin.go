package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/admin"
	"github.com/blogapi/blogapi/services/auth"
)

// newAdminService is the admin service over db's stores.
func newAdminService(cfg config.Config, db *models.DB, logger *slog.Logger, now func() time.Time,
	hasher admin.Hasher, guard admin.Guard, comments admin.Moderator, articles admin.Articles, banners admin.Banners, stats admin.ContentStats, taxonomy admin.Taxonomy) *admin.Service {
	return admin.New(admin.Deps{
		Users: db.Users, Sessions: db.Sessions, Leases: db.Leases, AdminSet: db.AdminSet, Audit: db.Audit,
		Hasher: hasher, Guard: guard, FailedLogins: db.LoginAttempts, DailyCounts: db.DailyCounts, GuardKey: auth.GuardKeyUser,
		LoginWindow: cfg.Security.LoginWindow, Comments: comments, Articles: articles, Banners: banners, Content: stats, Logger: logger, Now: now,
		Taxonomy: taxonomy,
	})
}

// AdminUsage is the help of the admin sub-command.
const AdminUsage = `usage:
  blogapi [-config PATH] admin create -account NAME -email ADDR
      creates the admin NAME (status normal, email verified) with the
      password read from standard input (first line), or asked twice on a
      terminal; an existing account NAME is promoted instead (its password
      is kept and not asked)
  blogapi [-config PATH] admin list
      prints every admin`

// Admin runs the admin sub-command args ("create ...", "list") against the
// configured database (README, "The first admin"). stdin gives the
// password of a new admin: read without echo when it is a terminal. On the
// embedded database, stop the server first: two processes must not run
// FerretDB over the same files.
func Admin(ctx context.Context, cfg config.Config, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(AdminUsage)
	}
	fs := flag.NewFlagSet("admin "+args[0], flag.ContinueOnError)
	fs.SetOutput(stdout)
	account := fs.String("account", "", "account name of the admin")
	email := fs.String("email", "", "email address of a new admin")
	switch args[0] {
	case "create", "list":
	default:
		return fmt.Errorf("admin: unknown command %q\n%s", args[0], AdminUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin %s: unexpected %q\n%s", args[0], fs.Arg(0), AdminUsage)
	}
	if args[0] == "create" && *account == "" {
		return fmt.Errorf("admin create: -account is required\n%s", AdminUsage)
	}
	// Only errors: the embedded database's warning would clutter the output.
	logger := NewLogger(stdout, config.Log{Level: "error", Format: cfg.Log.Format})
	db, err := OpenDatabase(ctx, cfg, logger, stdout, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	guard := auth.NewLoginGuard(auth.LoginGuardConfig{
		CaptchaAfter: cfg.Security.LoginCaptchaAfter, LockAfter: cfg.Security.LoginLockAfter, Window: cfg.Security.LoginWindow,
	}, db.LoginAttempts)
	svc := newAdminService(cfg, db, logger, time.Now, auth.NewPasswordHasher(cfg.Security.HashConcurrency), guard, nil, nil, nil, nil, nil)

	if args[0] == "list" {
		return listAdmins(ctx, svc, stdout)
	}
	u, created, err := svc.Bootstrap(ctx, *account, *email, func() (string, error) { return readPassword(stdin, stdout) })
	if err != nil {
		var fe *services.FieldError
		if errors.As(err, &fe) {
			return fmt.Errorf("admin create: -%s %s", fe.Field, fe.Reason)
		}
		return fmt.Errorf("admin create: %w", err)
	}
	verb := "promoted"
	if created {
		verb = "created"
	}
	_, err = fmt.Fprintf(stdout, "%s admin %s <%s> id %s\n", verb, u.Account, u.Email, u.ID)
	return err
}

// listAdmins prints the admins as a table.
func listAdmins(ctx context.Context, svc *admin.Service, stdout io.Writer) error {
	admins, err := svc.Admins(ctx)
	if err != nil {
		return fmt.Errorf("admin list: %w", err)
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tACCOUNT\tEMAIL\tSTATUS\tLAST LOGIN")
	for _, u := range admins {
		status := u.Status
		if u.DeletedAt != 0 {
			status = "deleted"
		}
		last := "never"
		if u.LastLoginAt > 0 {
			last = time.UnixMilli(u.LastLoginAt).UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.Account, u.Email, status, last)
	}
	if len(admins) == 0 {
		fmt.Fprintln(w, "(no admin: create one with `blogapi admin create -account NAME -email ADDR`)")
	}
	return w.Flush()
}

// readPassword reads a new admin's password: asked twice without echo on a
// terminal, else the first line of stdin.
func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		fmt.Fprint(stdout, "password: ")
		first, err := term.ReadPassword(fd)
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stdout, "again: ")
		again, err := term.ReadPassword(fd)
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(again) {
			return "", errors.New("the two passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("read password: no line on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
