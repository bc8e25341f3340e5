// Package routes builds the Gin engine: every route of the API in one file,
// with the middleware of each group.
package routes

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ulule/limiter/v3"

	"github.com/blogapi/blogapi/controllers"
	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/admin"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/captcha"
	"github.com/blogapi/blogapi/services/content"
	"github.com/blogapi/blogapi/services/media"
	"github.com/blogapi/blogapi/services/signing"
)

// Deps are what the router needs, built by internal/app (or a test harness).
type Deps struct {
	Logger *slog.Logger
	// Policy is response.http_status.
	Policy response.StatusPolicy
	// TrustedProxies (IPs or CIDRs) may set X-Forwarded-For; none trusted
	// when empty (server.trusted_proxies).
	TrustedProxies []string
	// CORSOrigins are the origins allowed to call the API with credentials.
	CORSOrigins []string
	// MaxBodyBytes bounds every request body (server.max_body_bytes).
	MaxBodyBytes int64
	// SecureCookies marks cookies Secure (server.public_url is https).
	SecureCookies bool

	Signer    *signing.Signer
	Accounts  *account.Service
	Captcha   *captcha.Service
	Transport *auth.PasswordTransport
	// Content is the blog: articles, likes, comments, taxonomy.
	Content *content.Service
	// SiteURL is the site's public address (server.public_url): the links
	// of the feeds and the sitemap.
	SiteURL string
	// Admin serves /blogapi/admin (docs/admin.md).
	Admin *admin.Service
	// HashSlots and HashQueue bound the credential routes (those that may
	// hash a password: login, registration, profile update (an email
	// change checks the password), password change and reset) as a whole:
	// at most HashSlots run at once (the hasher's own
	// PasswordHasher.Concurrency; at least 1), at most HashQueue
	// wait, the rest get 503 (security.hash_queue; middleware.Bulkhead).
	HashSlots, HashQueue int
	// Media is the uploads service; UploadBodyBytes bounds the body of
	// POST /blogapi/upload instead of MaxBodyBytes (media.max_bytes plus
	// room for the multipart framing).
	Media           *media.Service
	UploadBodyBytes int64
	// HashWait bounds how long a request waits for a slot before its 503
	// (0: as long as the client waits); internal/app gives half of
	// server.write_timeout.
	HashWait time.Duration
	// RequestTimeout ends each request's context after it (0: never),
	// below server.write_timeout, so a request stuck on a hung dependency
	// releases what it holds (middleware.Deadline).
	RequestTimeout time.Duration
	// LoginFlood counts a login attempt site-wide and reports a login
	// flood (auth.LoginGuard.Flood; nil: no flood gate).
	LoginFlood func(context.Context) bool
	// Rates are counted in RateStore (rate_limit.store: this instance's
	// memory, or the database shared by every instance).
	Rates     Rates
	RateStore limiter.Store
	// Now is the clock the rate-limit store counts with.
	Now func() time.Time
	// Ping checks the database for /readyz.
	Ping func(ctx context.Context) error
	// OpenAPI is the API description served at GET /openapi.yaml
	// (docs.OpenAPI(), YAML).
	OpenAPI []byte
	// Observer receives every finished request for the metrics (nil:
	// none).
	Observer middleware.RequestObserver
	// Commands counts each request's database commands for its log line
	// and the metrics (nil: not counted).
	Commands middleware.CommandCounter
	// Metrics, when not nil, is served at GET /metrics (unsigned):
	// Prometheus text format.
	Metrics http.Handler
}

// SetMode puts Gin in debug mode for server.mode "debug" (route listing
// and warnings on stdout) and in release mode otherwise. Gin's mode is
// process-wide: call it once, before New. This project's switch is
// server.mode, not GIN_MODE: in debug mode Gin's own start-up warning,
// which tells the user to export GIN_MODE, is replaced by one naming
// server.mode.
func SetMode(mode string) {
	if mode != "debug" {
		gin.SetMode(gin.ReleaseMode)
		return
	}
	gin.SetMode(gin.DebugMode)
	gin.DebugPrintFunc = debugPrint
}

// debugModeWarning replaces Gin's warning that names GIN_MODE.
const debugModeWarning = `[WARNING] Running in "debug" mode (server.mode: debug). In production set server.mode: release
(or BLOGAPI_SERVER_MODE=release); release mode refuses the example secrets of config.yaml.

`

// debugPrint writes Gin's debug lines as Gin does, but for the warning
// that names GIN_MODE, which is replaced by debugModeWarning.
func debugPrint(format string, values ...any) {
	if strings.Contains(format, gin.EnvGinMode) {
		format, values = debugModeWarning, nil
	}
	if !strings.HasSuffix(format, "\n") {
		format += "\n"
	}
	fmt.Fprintf(gin.DefaultWriter, "[GIN-debug] "+format, values...)
}

// Rates are the per-IP rate limits of the abuse-prone routes
// (rate_limit.*): at most Limit requests per Period; a Limit of 0 is no
// limit.
type Rates struct {
	Captcha, CheckUsername, Register, ForgotPassword, VerifyResend, Search limiter.Rate
	// Upload is counted per user (middleware.UserKey), not per IP.
	Upload limiter.Rate
}

// New returns the engine serving the whole API (docs/routes.md). Every answer,
// 404 and 405 included, is the envelope, but GET /openapi.yaml's: the
// description itself, as YAML.
func New(d Deps) (*gin.Engine, error) {
	e, err := Engine(d)
	if err != nil {
		return nil, err
	}
	r := d.renderer()

	health := &controllers.HealthController{Ping: d.Ping}
	e.GET("/healthz", health.Live)
	e.GET("/readyz", health.Ready)
	e.GET("/openapi.yaml", controllers.NewDocsController(d.OpenAPI).OpenAPI)
	if d.Metrics != nil {
		e.GET("/metrics", gin.WrapH(d.Metrics))
	}

	users := &controllers.UserController{Accounts: d.Accounts}
	accounts := &controllers.AccountController{Accounts: d.Accounts}
	keys := &controllers.KeyController{Transport: d.Transport}
	captcha := &controllers.CaptchaController{Captcha: d.Captcha, SecureCookie: d.SecureCookies}
	bulkhead := middleware.NewBulkhead(d.HashSlots, d.HashQueue, d.HashWait)
	hashing := bulkhead.Handler(r, nil)
	limitBy := func(rate limiter.Rate, name string, key func(*gin.Context) string) gin.HandlerFunc {
		var l *limiter.Limiter
		if rate.Limit > 0 {
			l = limiter.New(d.RateStore, rate)
		}
		return middleware.RateLimitBy(r, l, name, d.Now, key)
	}
	limit := func(rate limiter.Rate, name string) gin.HandlerFunc { return limitBy(rate, name, middleware.ClientKey) }
	uploads := &controllers.UploadController{Media: d.Media}

	// The stored images, unsigned (an <img> cannot sign): only keys the
	// media service made are served (docs/uploads.md).
	e.GET("/media/:dir/:file", uploads.Serve)

	// Links in mails cannot be signed: these two GETs carry their own
	// credential (a 32-byte single-use token), as does the reset page's
	// form that the second one shows a browser; they are the only unsigned
	// routes under /blogapi.
	mailLinks := e.Group("/blogapi")
	mailLinks.GET("/email/verify", accounts.VerifyEmail)
	mailLinks.GET("/password/reset/check", accounts.CheckResetToken)
	mailLinks.POST("/password/reset/form", accounts.ResetPasswordForm)

	// Every other route is signed. The replay check runs after the access
	// token's: its record names the caller's session, and a request that
	// fails authentication records nothing (docs/signing.md, "Replays").
	// Every signed route is in one of the groups below, but the login,
	// which puts its flood gate before the replay check.
	signed := e.Group("/blogapi", middleware.Sign(r, d.Signer, d.MaxBodyBytes))
	open := signed.Group("", middleware.Replay(r, d.Signer))              // no access token
	user := e.Group("/blogapi", UserChain(d, d.Accounts.Authenticate)...) // an access token required

	open.GET("/service/captcha", limit(d.Rates.Captcha, "captcha"), captcha.Issue)
	open.POST("/service/renewal", users.Renew)
	open.GET("/service/pubkey", keys.PublicKey)
	open.GET("/reg/check/username", limit(d.Rates.CheckUsername, "check_username"), users.CheckAccount)
	open.POST("/reg", limit(d.Rates.Register, "register"), hashing, users.Register)
	// Under a login flood a login without a captcha is refused before its
	// replay record (it changes nothing, so recording it protects nothing);
	// one with a captcha answer waits for its hashing slot ahead of the
	// others (docs/security.md, "Login flood").
	signed.POST("/login", middleware.LoginFlood(r, d.LoginFlood), middleware.Replay(r, d.Signer),
		bulkhead.Handler(r, middleware.CarriesCaptcha), users.Login)
	open.POST("/password/forgot", limit(d.Rates.ForgotPassword, "forgot_password"), accounts.ForgotPassword)
	open.POST("/password/reset", hashing, accounts.ResetPassword)

	user.POST("/logout", users.Logout)
	user.GET("/logout", users.Logout)
	user.GET("/user/center", users.Center)
	user.PUT("/user/update", hashing, accounts.UpdateProfile)
	user.PUT("/user/reset", hashing, accounts.ChangePassword)
	user.POST("/email/verify/resend", limit(d.Rates.VerifyResend, "verify_resend"), accounts.ResendVerification)
	user.DELETE("/upload/:id", uploads.Delete)

	// Uploads carry a file: their own body limit, checked before the
	// signature as every other's is; then the same checks as the user
	// group's.
	upload := e.Group("/blogapi", middleware.Sign(r, d.Signer, d.UploadBodyBytes),
		middleware.Auth(r, d.Accounts.Authenticate), middleware.Replay(r, d.Signer))
	upload.POST("/upload", limitBy(d.Rates.Upload, "upload", middleware.UserKey), uploads.Upload)

	// The blog (docs/blog.md). reader: a valid access token makes the
	// answer personal (isPraise, one's own held comments); a missing or
	// stale one is ignored.
	reader := e.Group("/blogapi", middleware.Sign(r, d.Signer, d.MaxBodyBytes), middleware.OptionalAuth(d.Accounts.Authenticate), middleware.Replay(r, d.Signer))
	articles := &controllers.ArticleController{Content: d.Content}
	likes := &controllers.LikeController{Content: d.Content}
	comments := &controllers.CommentController{Content: d.Content}
	taxonomy := &controllers.TaxonomyController{Content: d.Content}
	authors := &controllers.AuthorController{Content: d.Content}
	open.GET("/articles", articles.List)
	open.GET("/article/recommend", articles.Recommend)
	open.GET("/article/hot", articles.Hot)
	open.GET("/article/search", limit(d.Rates.Search, "search"), articles.Search)
	user.GET("/article/draft", articles.Drafts)
	reader.GET("/article/detail/:id", articles.Detail)
	user.POST("/article/section", articles.Publish)
	user.PUT("/article/section/:id", articles.Edit)
	user.DELETE("/article/section/:id", articles.Delete)
	reader.GET("/action/checklike/:id", likes.Check)
	user.POST("/action/:id/like", likes.Like)
	user.DELETE("/action/:id/like", likes.Unlike)
	reader.GET("/action/:id/comments", comments.List)
	user.POST("/action/:id/comment", comments.Create)
	user.PUT("/action/:id/comment/:cid", comments.Moderate)
	open.GET("/select/types", taxonomy.Types)
	open.GET("/select/category", taxonomy.Categories)
	open.GET("/select/tag", taxonomy.Tags)
	open.GET("/banner", taxonomy.Banners)
	open.GET("/user/:id/center", authors.Center)
	open.GET("/user/:id/article", articles.ByAuthor)
	open.GET("/user/:id/like", articles.Liked)

	// Readers and crawlers cannot sign: the feeds and the sitemap are
	// outside /blogapi.
	feedsC := &controllers.FeedController{Content: d.Content, SiteURL: d.SiteURL, Title: "blogapi"}
	e.GET("/feed.xml", feedsC.RSS)
	e.GET("/atom.xml", feedsC.Atom)
	e.GET("/sitemap.xml", feedsC.Sitemap)

	// The admin API (docs/admin.md): the user chain, then the caller's
	// type as the access-token check read it from the database on this
	// request; every answer, refusals included, is marked no-store. The
	// routes that re-check the admin's password share the hashing bulkhead.
	adm := &controllers.AdminController{Admin: d.Admin}
	admins := e.Group("/blogapi/admin", append([]gin.HandlerFunc{middleware.NoStore},
		append(UserChain(d, d.Accounts.Authenticate), middleware.Admin(r, admin.Authorize))...)...)
	admins.GET("/users", adm.ListUsers)
	admins.GET("/users/:id", adm.User)
	admins.PUT("/users/:id/status", adm.SetStatus)
	admins.PUT("/users/:id/level", adm.SetLevel)
	admins.PUT("/users/:id/type", hashing, adm.SetType)
	admins.DELETE("/users/:id/sessions", adm.EndSessions)
	admins.POST("/users/:id/delete", hashing, adm.DeleteUser)
	admins.GET("/audit", adm.Audit)
	admins.GET("/dashboard", adm.Dashboard)
	admins.PUT("/articles/:id/comments/:commentId/state", adm.ModerateComment)
	admins.GET("/articles", adm.ListArticles)
	admins.PUT("/articles/:id/status", adm.SetArticleStatus)
	admins.PUT("/articles/:id/flags", adm.SetArticleFlags)
	admins.POST("/articles/:id/purge", hashing, adm.PurgeArticle)
	admins.GET("/banners", adm.ListBanners)
	admins.POST("/banners", adm.CreateBanner)
	admins.PUT("/banners/:id", adm.EditBanner)
	admins.DELETE("/banners/:id", adm.DeleteBanner)
	// Taxonomy (docs/admin.md, "Taxonomy"): types by identify, categories
	// and tags by name.
	admins.GET("/types", adm.ListTypes)
	admins.POST("/types", adm.CreateType)
	admins.PUT("/types/:identify", adm.EditType)
	admins.DELETE("/types/:identify", adm.DeleteType)
	admins.GET("/categories", adm.ListCategories)
	admins.POST("/categories", adm.CreateCategory)
	admins.PUT("/categories/:name", adm.EditCategory)
	admins.DELETE("/categories/:name", adm.DeleteCategory)
	admins.GET("/tags", adm.ListTags)
	admins.POST("/tags", adm.CreateTag)
	admins.PUT("/tags/:name", adm.RenameTag)
	admins.DELETE("/tags/:name", adm.DeleteTag)
	// Comment moderation across articles (docs/admin.md, "Comments"); the
	// bulk action re-checks the admin's password.
	admins.GET("/comments", adm.ListComments)
	admins.POST("/comments/bulk", hashing, adm.BulkComments)
	admins.POST("/comments/:articleId/:commentId/:action", adm.CommentAction)
	admins.PUT("/users/:id/comment-ban", adm.BanCommenter)
	return e, nil
}

// Engine is the engine every request enters, before any route: request id
// and log line, recovery, the error renderer and, with origins configured,
// CORS; 404 and 405 answered with the envelope. New adds the routes; the
// bench (bench/chain.go) measures this same chain.
func Engine(d Deps) (*gin.Engine, error) {
	r := d.renderer()
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	// A path with repeated slashes routes as the cleaned path
	// (`//blogapi/upload` as `/blogapi/upload`: the blog SPA joins its base
	// URL and the route with one slash too many).
	e.RemoveExtraSlash = true
	if err := e.SetTrustedProxies(d.TrustedProxies); err != nil {
		return nil, fmt.Errorf("server.trusted_proxies: %w", err)
	}
	e.Use(middleware.RequestLog(d.Logger, d.Observer, d.Commands), middleware.Recovery(r), r.Errors(), middleware.HeaderLimits(r), middleware.Deadline(d.RequestTimeout))
	if len(d.CORSOrigins) > 0 {
		e.Use(middleware.CORS(r, d.CORSOrigins, controllers.HeaderCaptchaID))
	}
	e.NoRoute(response.NotFound)
	e.NoMethod(response.MethodNotAllowed)

	return e, nil
}

// UserChain is what a signed route that needs an access token runs before
// its handler: the signature check (the body read once, bounded), the access
// token checked by authenticate, then the replay check, which names the
// caller's session (docs/signing.md, "Replays").
func UserChain(d Deps, authenticate func(context.Context, string) (auth.Principal, error)) []gin.HandlerFunc {
	r := d.renderer()
	return []gin.HandlerFunc{middleware.Sign(r, d.Signer, d.MaxBodyBytes), middleware.Auth(r, authenticate), middleware.Replay(r, d.Signer)}
}

func (d Deps) renderer() response.Renderer {
	return response.Renderer{Logger: d.Logger, Policy: d.Policy}
}
