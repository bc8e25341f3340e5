// Package app is the composition root shared by the server (main.go) and
// the load harness (bench/): it opens the database (models.Open: embedded
// FerretDB or MongoDB, with its stores) and builds services → controllers →
// router over the stores from one config.Config, converting config's typed
// values into what each package takes. It is main's wiring, not a layer:
// like main, it is the only importer of config, and nothing but main and
// bench imports it.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/docs"
	"github.com/blogapi/blogapi/internal/metrics"
	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/routes"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/captcha"
	"github.com/blogapi/blogapi/services/content"
	"github.com/blogapi/blogapi/services/mail"
	"github.com/blogapi/blogapi/services/media"
	"github.com/blogapi/blogapi/services/signing"
)

// NewLogger is the slog logger log.level and log.format ask for, writing to w.
func NewLogger(w io.Writer, c config.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// NewMetrics is the Prometheus registry of one server instance
// (metrics.enabled), or nil when metrics are disabled. Pass it to
// OpenDatabase (database command latency) and New (everything else).
// logger receives errors met while gathering a scrape.
func NewMetrics(cfg config.Config, logger *slog.Logger) *metrics.Metrics {
	if !cfg.Metrics.Enabled {
		return nil
	}
	return metrics.New(logger)
}

// OpenDatabase opens mongo.database (models.Open): on mongo.uri, or on the
// embedded FerretDB under data.dir/db when it is empty. Its client counts
// each request's commands (models.WithCommandCounter) and, when m is not
// nil, times every command into m; its stores run on the real clock. Close
// it after the App built over it.
func OpenDatabase(ctx context.Context, cfg config.Config, logger *slog.Logger, stdout io.Writer, m *metrics.Metrics) (*models.DB, error) {
	o := models.Options{URI: cfg.Mongo.URI, Database: cfg.Mongo.Database, OpTimeout: cfg.Mongo.OpTimeout, Logger: logger}
	if m != nil {
		o.Observe = m.ObserveCommand
	}
	if o.URI == "" {
		o.Dir, o.Listen = filepath.Join(cfg.Data.Dir, "db"), cfg.Mongo.EmbeddedListen
		// FerretDB logs whole wire messages (documents: hashes, session ids,
		// captcha answers) below error level, so it gets errors only,
		// whatever log.level says.
		o.EngineLogger = NewLogger(stdout, config.Log{Level: "error", Format: cfg.Log.Format}).WithGroup("ferretdb")
	}
	db, err := models.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	if addr := db.EmbeddedAddr(); addr != "" {
		logger.Warn("using the embedded FerretDB database: for development and single-node use; set mongo.uri for production",
			"dir", o.Dir, "listen", addr)
	}
	return db, nil
}

// SignApps are sign.apps as the signer takes them.
func SignApps(cfg config.Config) []signing.App {
	apps := make([]signing.App, len(cfg.Sign.Apps))
	for i, a := range cfg.Sign.Apps {
		apps[i] = signing.App{Name: a.Name, Key: a.Key, Secret: a.Secret}
	}
	return apps
}

// ReplayStore is the database's replay records as the signer takes them:
// a key already recorded is signing.ErrReplayed, a database that did not
// answer services.ErrUnavailable.
func ReplayStore(s *models.ReplayStore) signing.ReplayStore { return replayStore{s} }

type replayStore struct{ store *models.ReplayStore }

func (r replayStore) Record(ctx context.Context, key string, expiresAt time.Time) error {
	err := r.store.Record(ctx, key, expiresAt)
	switch {
	case errors.Is(err, models.ErrDuplicate):
		return signing.ErrReplayed
	case err != nil:
		return services.Unavailable(err)
	}
	return nil
}

// TokenConfig is jwt.* as the token service takes it, on the clock now.
func TokenConfig(cfg config.Config, now func() time.Time) auth.TokenConfig {
	return auth.TokenConfig{
		Secret: []byte(cfg.JWT.Secret), Issuer: cfg.JWT.Issuer,
		AccessTTL: cfg.JWT.AccessTTL, RefreshTTL: cfg.JWT.RefreshTTL, Now: now,
	}
}

// NewServer is the API's http.Server for h with server.*'s timeouts and a
// 64 KiB header limit; errorLog (may be nil) receives net/http's own
// errors. The caller serves it on its listener.
func NewServer(cfg config.Config, h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.Server.ReadTimeout,
		WriteTimeout:      cfg.Server.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errorLog,
	}
}

// corsOrigins is server.cors.allowed_origins plus, when that is not empty,
// the origin of server.public_url: browsers send Origin on the site's own
// POSTs too, and behind a reverse proxy the Host the server sees is not
// the public one, so the site itself must be listed.
func corsOrigins(s config.Server) []string {
	origins := s.CORS.AllowedOrigins
	if len(origins) == 0 || slices.Contains(origins, "*") {
		return origins
	}
	u, err := url.Parse(s.PublicURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return origins // validated by config; nothing to add
	}
	own := u.Scheme + "://" + u.Host
	if slices.Contains(origins, own) {
		return origins
	}
	return append(slices.Clip(origins), own)
}

// App is one API instance over a database: its handler and the mail queue
// that Close drains.
type App struct {
	Handler http.Handler
	// Metrics is the handler of the metrics listener (metrics.addr:
	// /metrics, and pprof when metrics.pprof is true); nil when
	// metrics.addr is empty or metrics are off. The caller serves it.
	Metrics http.Handler
	// Mail is the outgoing mail queue (tests Wait on it).
	Mail *mail.Queue
	// Media is the uploads service (tests sweep with it).
	Media *media.Service
	// drain bounds how long Close delivers queued mail.
	drain time.Duration
	// content's read counts are flushed by a goroutine stopContent ends.
	content     *content.Service
	stopContent context.CancelFunc
	contentDone chan struct{}
	// stopMedia ends the media sweep and releases the storage.
	stopMedia func()
}

// Close stops the media sweep, writes the article views still buffered
// and delivers the queued mail, for at most server.shutdown_timeout. Call
// it after the HTTP server has stopped, and before closing the database.
func (a *App) Close() {
	a.stopMedia()
	ctx, cancel := context.WithTimeout(context.Background(), a.drain)
	defer cancel()
	a.stopContent()
	<-a.contentDone
	_ = a.content.Close(ctx)
	_ = a.Mail.Close(ctx)
}

// MediaStorage is the storage media.driver names: files under
// data.dir/media, or the media.s3 bucket, checked to exist (bounded by
// ctx). close releases it.
func MediaStorage(ctx context.Context, cfg config.Config) (storage media.Storage, close func(), err error) {
	if cfg.Media.Driver == config.MediaS3 {
		s3, err := media.NewS3(media.S3Config{
			Endpoint: cfg.Media.S3.Endpoint, Bucket: cfg.Media.S3.Bucket, Region: cfg.Media.S3.Region,
			AccessKey: cfg.Media.S3.AccessKey, SecretKey: cfg.Media.S3.SecretKey, PathStyle: cfg.Media.S3.PathStyle,
		})
		if err != nil {
			return nil, nil, err
		}
		checkCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := s3.Check(checkCtx); err != nil {
			return nil, nil, err
		}
		return s3, func() {}, nil
	}
	local, err := media.NewLocal(filepath.Join(cfg.Data.Dir, "media"))
	if err != nil {
		return nil, nil, err
	}
	return local, func() { _ = local.Close() }, nil
}

// multipartRoom is what POST /blogapi/upload's body may hold besides the
// file: the multipart framing and the signed text fields.
const multipartRoom = 64 << 10

// UploadBodyBytes bounds the body of POST /blogapi/upload: media.max_bytes
// and room for the multipart framing, and never less than
// server.max_body_bytes.
func UploadBodyBytes(cfg config.Config) int64 {
	return max(cfg.Media.MaxBytes+multipartRoom, cfg.Server.MaxBodyBytes)
}

// MediaConfig is media.* as the media service takes it: keys are served
// under media.public_url, or GET /media/<key> of server.public_url.
func MediaConfig(cfg config.Config) media.Config {
	base := cfg.Media.PublicURL
	if base == "" {
		base = cfg.Server.PublicURL + "/media"
	}
	slots := cfg.Media.ProcessConcurrency
	if slots <= 0 {
		slots = auth.DefaultHashConcurrency()
	}
	return media.Config{
		MaxBytes: cfg.Media.MaxBytes, AvatarMaxBytes: cfg.Media.AvatarMaxBytes, UserQuotaBytes: cfg.Media.UserQuotaBytes,
		StagedTTL: cfg.Media.StagedTTL, BaseURL: base,
		Slots: slots, Queue: cfg.Media.ProcessQueue, MaxWait: cfg.Server.WriteTimeout / 2,
	}
}

// New builds services → controllers → router over db's stores; the caller
// serves App.Handler (and App.Metrics when set) and calls Close after the
// HTTP servers have stopped. now is the clock every rule reads (tests
// inject one; db's stores read the clock db was opened with, which should
// be the same). m is what NewMetrics returned: nil serves no metrics;
// otherwise the router and the services report to it, and it is served at
// GET /metrics on the router, or on App.Metrics when metrics.addr is set. Errors: the RSA key, the mailer, the captcha
// renderer or the trusted proxies.
func New(ctx context.Context, cfg config.Config, db *models.DB, logger *slog.Logger, now func() time.Time, m *metrics.Metrics) (*App, error) {
	// A nil *metrics.Metrics must not become a non-nil interface value.
	var logins account.Observer
	var captchas captcha.Observer
	var requests middleware.RequestObserver
	var routerMetrics, listenerMetrics http.Handler
	if m != nil {
		logins, captchas, requests = m, m, m
		if cfg.Metrics.Addr == "" {
			routerMetrics = m.Handler()
		} else {
			listenerMetrics = m.Mux(cfg.Metrics.PProf)
		}
	}

	signer := signing.NewSigner(signing.Config{Apps: SignApps(cfg), MaxSkew: cfg.Sign.MaxSkew, Replay: replayMode(cfg.Sign.Replay), Now: now}, ReplayStore(db.Replays))
	tokens := auth.NewTokenService(TokenConfig(cfg, now))
	sessionSvc := auth.NewSessionService(db.Sessions, tokens, now)
	renderer, err := captcha.NewRenderer()
	if err != nil {
		return nil, err
	}
	captchaSvc := captcha.New(captcha.Config{
		Enabled: cfg.Captcha.Enabled, Driver: string(cfg.Captcha.Driver), Length: cfg.Captcha.Length, TTL: cfg.Captcha.TTL, Now: now,
		Observer: captchas,
	}, db.Captchas, renderer)
	guard := auth.NewLoginGuard(auth.LoginGuardConfig{
		CaptchaAfter: cfg.Security.LoginCaptchaAfter, CaptchaAfterIP: cfg.Security.LoginCaptchaAfterIP,
		FloodPerMinute: cfg.Security.LoginFloodPerMinute, LockAfter: cfg.Security.LoginLockAfter,
		Window: cfg.Security.LoginWindow, Now: now,
	}, db.LoginAttempts)
	transport, err := auth.LoadOrCreatePasswordTransport(cfg.Security.RSAPrivateKeyFile, cfg.Data.Dir)
	if err != nil {
		return nil, err
	}
	mailer, err := newMailer(cfg, logger, db.Outbox, now)
	if err != nil {
		return nil, err
	}
	templates, err := mail.NewTemplates(mail.Links{
		PublicURL: cfg.Server.PublicURL, FrontendURL: cfg.Server.FrontendURL,
		Verify: cfg.Mail.VerifyLink, Reset: cfg.Mail.ResetLink,
	})
	if err != nil {
		return nil, err
	}
	storage, closeStorage, err := MediaStorage(ctx, cfg)
	if err != nil {
		return nil, err
	}
	mediaSvc := media.New(media.Deps{Uploads: db.Uploads, Usage: db.MediaUsage, Storage: storage,
		Config: MediaConfig(cfg), Now: now, Logger: logger})
	mailQueue := mail.NewQueue(mailer, logger)
	hasher := auth.NewPasswordHasher(cfg.Security.HashConcurrency)
	accountSvc := account.New(account.Deps{
		Counters: db.LoginAttempts,
		Users:    db.Users, Tokens: db.EmailTokens, Sessions: sessionSvc, Hasher: hasher, Captcha: captchaSvc, Guard: guard,
		Transport: transport, Mail: mailQueue, Templates: templates, Observer: logins, Logins: db.DailyCounts,
		Logger: logger, Now: now, AccessTTL: cfg.JWT.AccessTTL, Uploads: mediaSvc,
	})

	var commentRate content.RateLimiter
	if r := limiterRate(cfg.RateLimit.Comment); r.Limit > 0 {
		commentRate = limiterHits{limiter.New(rateStore(cfg.RateLimit.Store, db, now), r)}
	}
	contentSvc := content.New(content.Stores{
		Articles: db.Articles, Likes: db.Likes, Comments: db.Comments, Taxonomy: db.Taxonomy, Users: db.Users, Banners: db.Banners,
	}, content.Config{Moderation: cfg.Content.CommentModeration, CommentRate: commentRate, Uploads: mediaSvc}, now, logger)

	handler, err := routes.New(routes.Deps{
		Logger:         logger,
		Policy:         response.StatusPolicy(cfg.Response.HTTPStatus),
		TrustedProxies: cfg.Server.TrustedProxies,
		CORSOrigins:    corsOrigins(cfg.Server),
		MaxBodyBytes:   cfg.Server.MaxBodyBytes,
		SecureCookies:  strings.HasPrefix(cfg.Server.PublicURL, "https://"),
		Signer:         signer,
		Accounts:       accountSvc,
		Transport:      transport,
		Captcha:        captchaSvc,
		Content:        contentSvc,
		SiteURL:        strings.TrimSuffix(cfg.Server.PublicURL, "/"),
		Admin:          newAdminService(cfg, db, logger, now, hasher, guard, contentSvc, contentSvc, contentSvc, contentSvc, contentSvc),
		HashSlots:      hasher.Concurrency(),
		HashQueue:      cfg.Security.HashQueue,
		HashWait:       cfg.Server.WriteTimeout / 2,
		// A second under the write timeout: the 503 can still be written.
		LoginFlood:     guard.Flood,
		RequestTimeout: max(cfg.Server.WriteTimeout-time.Second, cfg.Server.WriteTimeout/2),
		Rates: routes.Rates{
			Captcha: limiterRate(cfg.RateLimit.Captcha), CheckUsername: limiterRate(cfg.RateLimit.CheckUsername),
			Register: limiterRate(cfg.RateLimit.Register), ForgotPassword: limiterRate(cfg.RateLimit.ForgotPassword),
			VerifyResend: limiterRate(cfg.RateLimit.VerifyResend), Upload: limiterRate(cfg.RateLimit.Upload),
			Search: limiterRate(cfg.RateLimit.Search),
		},
		Media:           mediaSvc,
		UploadBodyBytes: UploadBodyBytes(cfg),
		RateStore:       rateStore(cfg.RateLimit.Store, db, now),
		Now:             now,
		Ping:            db.Ready,
		OpenAPI:         docs.OpenAPI(),
		Observer:        requests,
		Commands: func(ctx context.Context) (context.Context, func() int) {
			ctx, n := models.WithCommandCounter(ctx)
			return ctx, n.Count
		},
		Metrics: routerMetrics,
	})
	if err != nil {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Server.ShutdownTimeout)
		defer cancel()
		_ = mailQueue.Close(closeCtx)
		closeStorage()
		return nil, err
	}

	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		contentSvc.Run(runCtx)
	}()
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		mediaSvc.Run(sweepCtx, cfg.Media.SweepInterval)
	}()
	stopMedia := func() {
		stopSweep()
		<-swept
		closeStorage()
	}
	return &App{Handler: handler, Metrics: listenerMetrics, Mail: mailQueue, Media: mediaSvc,
		drain: cfg.Server.ShutdownTimeout, stopMedia: stopMedia,
		content: contentSvc, stopContent: stop, contentDone: ran}, nil
}

// limiterHits counts comment hits in a limiter (rate_limit.comment, in
// the store rate_limit.store names): content.RateLimiter.
type limiterHits struct{ l *limiter.Limiter }

func (h limiterHits) Hit(ctx context.Context, key string) (time.Duration, error) {
	lc, err := h.l.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	if !lc.Reached {
		return 0, nil
	}
	return max(time.Until(time.Unix(lc.Reset, 0)), time.Second), nil
}

// newMailer is the development log mailer (messages in the log and the
// outbox collection) or SMTP, by mail.driver.
func newMailer(cfg config.Config, logger *slog.Logger, outbox *models.OutboxStore, now func() time.Time) (mail.Mailer, error) {
	if cfg.Mail.Driver == config.MailLog {
		return mail.NewLogMailer(logger, outbox, now), nil
	}
	m, err := mail.NewSMTPMailer(mail.SMTPConfig{
		Host: cfg.Mail.Host, Port: cfg.Mail.Port, Username: cfg.Mail.Username, Password: cfg.Mail.Password,
		From: cfg.Mail.From, TLSPolicy: cfg.Mail.TLSPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return m, nil
}

// limiterRate is r as the rate limiter counts it; the zero Rate (no limit)
// stays the zero limiter.Rate, which routes reads as no limit.
func limiterRate(r config.Rate) limiter.Rate {
	return limiter.Rate{Limit: r.Count, Period: r.Period}
}

// rateStore is where rate_limit.store keeps the per-client counts: this
// instance's memory, or the database shared by every instance.
func rateStore(store config.RateStore, db *models.DB, now func() time.Time) limiter.Store {
	if store == config.RateStoreMongo {
		return db.RateLimits
	}
	return middleware.NewMemoryRateStore(middleware.DefaultMemoryRateKeys, now)
}

// replayMode is sign.replay as the signer takes it.
func replayMode(m config.ReplayMode) string {
	switch m {
	case config.ReplayAll:
		return signing.ReplayAll
	case config.ReplayOff:
		return signing.ReplayOff
	}
	return signing.ReplayMutating
}
