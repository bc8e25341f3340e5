// Command blogapi serves the signed blog API (see README.md).
//
//	go run .                      # config.yaml, embedded database under ./data
//	go run . -config prod.yaml    # another file; BLOGAPI_* variables override either
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/docs"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/routes"
	"github.com/blogapi/blogapi/services"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal stops the process at once
	}()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "blogapi:", err)
		os.Exit(1)
	}
}

// run loads the configuration named by args (-config PATH, default
// config.yaml), opens the database (embedded FerretDB when mongo.uri is
// empty), serves until ctx ends, then drains in-flight requests for at most
// server.shutdown_timeout and closes the database (SPEC §10).
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stdout)
	configPath := fs.String("config", "config.yaml", "configuration file (YAML); BLOGAPI_* environment variables override it")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(*configPath, getenv)
	if err != nil {
		return err
	}
	logger := newLogger(stdout, cfg.Log)
	routes.SetMode(cfg.Server.Mode)

	db, closeDB, err := openDatabase(ctx, cfg, logger, stdout)
	if err != nil {
		return err
	}
	defer closeDB()

	a, err := newApp(ctx, cfg, db, logger, time.Now)
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("server.addr: %w", err)
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.Server.ReadTimeout,
		WriteTimeout:      cfg.Server.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", ln.Addr().String(), "mode", cfg.Server.Mode)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.Server.ShutdownTimeout.String())
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Server.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func newLogger(w io.Writer, c config.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDatabase connects to mongo.uri, or starts the embedded FerretDB
// under data.dir/db when it is empty (SPEC §8). The returned func closes
// what was opened.
func openDatabase(ctx context.Context, cfg config.Config, logger *slog.Logger, stdout io.Writer) (*mongo.Database, func(), error) {
	uri := cfg.Mongo.URI
	var embedded *models.Embedded
	if uri == "" {
		// FerretDB logs whole wire messages (documents: hashes, session ids,
		// captcha answers) below error level, so it gets errors only,
		// whatever log.level says (SPEC §10).
		quiet := newLogger(stdout, config.Log{Level: "error", Format: cfg.Log.Format}).WithGroup("ferretdb")
		dir := filepath.Join(cfg.Data.Dir, "db")
		e, err := models.StartEmbedded(ctx, dir, cfg.Mongo.EmbeddedListen, quiet)
		if err != nil {
			return nil, nil, err
		}
		embedded = e
		uri = e.URI()
		logger.Warn("using the embedded FerretDB database: for development and single-node use; set mongo.uri for production",
			"dir", dir, "listen", strings.TrimPrefix(uri, "mongodb://"))
	}
	connectCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client, err := models.Connect(connectCtx, uri)
	if err != nil {
		if embedded != nil {
			embedded.Close()
		}
		return nil, nil, err
	}
	closeFn := func() {
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = client.Disconnect(dctx)
		if embedded != nil {
			embedded.Close()
		}
	}
	return client.Database(cfg.Mongo.Database), closeFn, nil
}

// app is one API instance over a database: its handler and the background
// work (the expiry sweep) that Close stops.
type app struct {
	Handler http.Handler
	// Mail is the outgoing mail queue (tests Wait on it).
	Mail *services.MailQueue
	// drain bounds how long Close delivers queued mail.
	drain time.Duration
	stop  context.CancelFunc
	done  chan struct{}
}

// Close stops the sweep and delivers the queued mail for at most
// server.shutdown_timeout. Call it after the HTTP server has stopped.
func (a *app) Close() {
	a.stop()
	<-a.done
	ctx, cancel := context.WithTimeout(context.Background(), a.drain)
	defer cancel()
	_ = a.Mail.Close(ctx)
}

// newApp builds stores → services → controllers → router over db. now is
// the clock every rule reads (tests inject one).
func newApp(ctx context.Context, cfg config.Config, db *mongo.Database, logger *slog.Logger, now func() time.Time) (*app, error) {
	users := models.NewUserStore(db)
	captchas := models.NewCaptchaStore(db)
	sessions := models.NewSessionStore(db)
	replays := models.NewReplayStore(db)
	replays.Now = now
	attempts := models.NewLoginAttemptStore(db)
	rateStore := models.NewRateLimitStore(db, now)
	emailTokens := models.NewEmailTokenStore(db)
	outbox := models.NewOutboxStore(db)

	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, ensure := range []func(context.Context) error{users.EnsureIndexes, sessions.EnsureIndexes, emailTokens.EnsureIndexes, outbox.EnsureIndexes} {
		if err := ensure(setupCtx); err != nil {
			return nil, err
		}
	}
	expiringColls := append([]*mongo.Collection{captchas.Collection(), replays.Collection(), attempts.Collection(),
		rateStore.Collection(), emailTokens.Collection()}, sessions.Collections()...)
	expiring, err := models.EnsureExpiry(setupCtx, logger, expiringColls...)
	if err != nil {
		return nil, err
	}

	apps := make([]services.SignApp, len(cfg.Sign.Apps))
	for i, a := range cfg.Sign.Apps {
		apps[i] = services.SignApp{Name: a.Name, Key: a.Key, Secret: a.Secret}
	}
	signer := services.NewSigner(services.SignerConfig{Apps: apps, MaxSkew: cfg.Sign.MaxSkew, Replay: cfg.Sign.Replay, Now: now}, replays)
	tokens := services.NewTokenService(services.TokenConfig{
		Secret: []byte(cfg.JWT.Secret), Issuer: cfg.JWT.Issuer,
		AccessTTL: cfg.JWT.AccessTTL, RefreshTTL: cfg.JWT.RefreshTTL, Now: now,
	})
	sessionSvc := services.NewSessionService(sessions, tokens, now)
	renderer, err := services.NewCaptchaRenderer()
	if err != nil {
		return nil, err
	}
	captchaSvc := services.NewCaptchaService(services.CaptchaConfig{
		Enabled: cfg.Captcha.Enabled, Driver: cfg.Captcha.Driver, Length: cfg.Captcha.Length, TTL: cfg.Captcha.TTL, Now: now,
	}, captchas, renderer)
	guard := services.NewLoginGuard(services.LoginGuardConfig{
		CaptchaAfter: cfg.Security.LoginCaptchaAfter, LockAfter: cfg.Security.LoginLockAfter,
		Window: cfg.Security.LoginWindow, Now: now,
	}, attempts)
	transport, err := services.LoadOrCreatePasswordTransport(cfg.Security.RSAPrivateKeyFile, cfg.Data.Dir)
	if err != nil {
		return nil, err
	}
	mailer, err := newMailer(cfg, logger, outbox, now)
	if err != nil {
		return nil, err
	}
	templates, err := services.NewMailTemplates(cfg.Server.PublicURL)
	if err != nil {
		return nil, err
	}
	mailQueue := services.NewMailQueue(mailer, logger)
	hasher := services.NewPasswordHasher(cfg.Security.HashConcurrency)
	accountSvc := services.NewAccountService(services.AccountDeps{
		Users: users, Tokens: emailTokens, Sessions: sessionSvc, Hasher: hasher, Captcha: captchaSvc, Guard: guard,
		Transport: transport, Mail: mailQueue, Templates: templates, Logger: logger, Now: now, AccessTTL: cfg.JWT.AccessTTL,
	})
	userSvc := services.NewUserService(services.UserDeps{
		Users: users, Hasher: hasher, Captcha: captchaSvc, Sessions: sessionSvc, Guard: guard,
		Transport: transport, Verifier: accountSvc, Logger: logger, Now: now, AccessTTL: cfg.JWT.AccessTTL,
	})

	handler, err := routes.New(routes.Deps{
		Logger:         logger,
		Policy:         models.StatusPolicy(cfg.Response.HTTPStatus),
		TrustedProxies: cfg.Server.TrustedProxies,
		CORSOrigins:    cfg.Server.CORS.AllowedOrigins,
		MaxBodyBytes:   cfg.Server.MaxBodyBytes,
		SecureCookies:  strings.HasPrefix(cfg.Server.PublicURL, "https://"),
		Signer:         signer,
		Users:          userSvc,
		Accounts:       accountSvc,
		Transport:      transport,
		Captcha:        captchaSvc,
		Rates: routes.Rates{
			Captcha: cfg.RateLimit.Captcha, CheckUsername: cfg.RateLimit.CheckUsername, Register: cfg.RateLimit.Register,
			ForgotPassword: cfg.RateLimit.ForgotPassword, VerifyResend: cfg.RateLimit.VerifyResend,
		},
		RateStore: rateStore,
		Now:       now,
		Ping:      func(ctx context.Context) error { return db.Client().Ping(ctx, readpref.Primary()) },
		OpenAPI:   docs.OpenAPI,
	})
	if err != nil {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Server.ShutdownTimeout)
		defer cancel()
		_ = mailQueue.Close(closeCtx)
		return nil, err
	}

	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	a := &app{Handler: handler, Mail: mailQueue, drain: cfg.Server.ShutdownTimeout, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		expiring.Run(runCtx, time.Minute, now)
	}()
	return a, nil
}

// newMailer is the development log mailer (messages in the log and the
// outbox collection) or SMTP, by mail.driver.
func newMailer(cfg config.Config, logger *slog.Logger, outbox *models.OutboxStore, now func() time.Time) (services.Mailer, error) {
	if cfg.Mail.Driver != "smtp" {
		return services.NewLogMailer(logger, outbox, now), nil
	}
	m, err := services.NewSMTPMailer(services.SMTPConfig{
		Host: cfg.Mail.Host, Port: cfg.Mail.Port, Username: cfg.Mail.Username, Password: cfg.Mail.Password,
		From: cfg.Mail.From, TLSPolicy: cfg.Mail.TLSPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return m, nil
}
