// Package config loads the server's settings (config.yaml): one typed Config read from a YAML file
// (config.yaml at the repository root documents every key), overridden by environment variables
// BLOGAPI_<SECTION>_<KEY>, decoded strictly (an unknown key is an error) and validated.
//
// Only main and internal/app import this package; every other package receives the plain typed
// values it needs. The enums (response.http_status, sign.replay, captcha.driver, mail.driver) and
// the rate limits are typed here and checked once, by Validate, which Load runs: an unknown value
// is an error naming its key, never a silent default.
//
// The package is in three files: the types and defaults (config.go), the loader (load.go) and
// one validate function per section (validate.go).
// Load uses its own viper.New(), never the global viper, and reads the environment through an
// injected getenv, so tests need neither files outside a temp dir nor a real environment.
package config

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// envPrefix starts every environment override: key server.cors.allowed_origins is read from
// BLOGAPI_SERVER_CORS_ALLOWED_ORIGINS.
const envPrefix = "BLOGAPI"

// Example secrets shipped in config.yaml and the API document (seed 004). They let `go run .`
// work in debug mode and are refused in release mode.
const (
	exampleJWTSecret = "example-jwt-secret-change-me-0123456789abcdef"
	exampleAppSecret = "G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh"
)

// Config is the whole configuration. Each field's mapstructure tag is its key in config.yaml.
type Config struct {
	Server    Server    `mapstructure:"server"`
	Response  Response  `mapstructure:"response"`
	Mongo     Mongo     `mapstructure:"mongo"`
	Data      Data      `mapstructure:"data"`
	Sign      Sign      `mapstructure:"sign"`
	JWT       JWT       `mapstructure:"jwt"`
	Captcha   Captcha   `mapstructure:"captcha"`
	Log       Log       `mapstructure:"log"`
	Mail      Mail      `mapstructure:"mail"`
	Security  Security  `mapstructure:"security"`
	RateLimit RateLimit `mapstructure:"rate_limit"`
	Metrics   Metrics   `mapstructure:"metrics"`
	Content   Content   `mapstructure:"content"`
	Media     Media     `mapstructure:"media"`
}

// Content is content.*: the blog's rules that are settings (docs/blog.md).
type Content struct {
	// CommentModeration is off (comments visible at once), first (a user's comments wait until one
	// was approved) or all (every comment waits).
	CommentModeration string `mapstructure:"comment_moderation"`
}

// Server is server.*: the HTTP listener and request limits.
type Server struct {
	// Addr is the listen address, host:port ("127.0.0.1:8080": this machine only); an empty host
	// (":8080") listens on every interface.
	Addr string `mapstructure:"addr"`
	// Mode is "debug" or "release" (release). Release refuses example secrets and development
	// switches (config.yaml).
	Mode string `mapstructure:"mode"`
	// MaxBodyBytes bounds a request body in bytes, 1 KiB–64 MiB (1048576); past it → 413 (docs/signing.md).
	MaxBodyBytes int64 `mapstructure:"max_body_bytes"`
	// TrustedProxies are the IPs or CIDRs whose X-Forwarded-For is believed; empty trusts none.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// CORS is server.cors.*.
	CORS CORS `mapstructure:"cors"`
	// PublicURL is the absolute http(s) URL clients reach the server at, without query or
	// fragment; links in mails are built from it. Load removes trailing slashes.
	PublicURL string `mapstructure:"public_url"`
	// FrontendURL is the blog SPA's absolute http(s) URL (origin, optionally a path), without
	// query or fragment: the links in mails open it (mail.verify_link, mail.reset_link). ""
	// (the default) keeps the links on the API, whose pages answer browsers. Load removes
	// trailing slashes.
	FrontendURL string `mapstructure:"frontend_url"`
	// ReadTimeout, WriteTimeout and ShutdownTimeout bound reading a request (15s), writing a
	// response (30s) and draining in-flight requests on shutdown (10s).
	ReadTimeout     time.Duration `mapstructure:"read_timeout"`
	WriteTimeout    time.Duration `mapstructure:"write_timeout"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
}

// CORS is server.cors.*.
type CORS struct {
	// AllowedOrigins are the origins (scheme://host[:port]) browsers may call from; empty
	// allows none. "*" allows any and is refused in release mode.
	AllowedOrigins []string `mapstructure:"allowed_origins"`
}

// Response is response.*.
type Response struct {
	// HTTPStatus is StatusMirror (HTTP status = envelope code, the default) or StatusStandard.
	HTTPStatus StatusPolicy `mapstructure:"http_status"`
}

// StatusPolicy is response.http_status: which HTTP status carries an envelope code (README,
// "Configuration").
type StatusPolicy string

// The values of response.http_status.
const (
	StatusMirror   StatusPolicy = "mirror"   // the HTTP status is the envelope code
	StatusStandard StatusPolicy = "standard" // 51x/52x, 402 and 201 become statuses proxies understand
)

// Mongo is mongo.* (docs/architecture.md).
type Mongo struct {
	// URI is a mongodb:// or mongodb+srv:// URI; "" starts the embedded FerretDB.
	URI string `mapstructure:"uri"`
	// Database is the database name ("blogapi").
	Database string `mapstructure:"database"`
	// EmbeddedListen is the embedded FerretDB's TCP address; "" means 127.0.0.1:0 (loopback,
	// random port).
	EmbeddedListen string `mapstructure:"embedded_listen"`
	// OpTimeout bounds every database operation, 100ms–1m (5s): a database that hangs or is
	// unreachable answers 503 "database unavailable" after it.
	OpTimeout time.Duration `mapstructure:"op_timeout"`
}

// Data is data.*.
type Data struct {
	// Dir holds the embedded database and generated keys ("./data").
	Dir string `mapstructure:"dir"`
}

// Sign is sign.*: request signing (docs/signing.md).
type Sign struct {
	// Apps are the calling apps; auth_key selects one. From the environment,
	// BLOGAPI_SIGN_APPS is a JSON array [{"name":…,"key":…,"secret":…}].
	Apps []App `mapstructure:"apps"`
	// MaxSkew is the allowed |now − timestamp|, 1s–1h (5m).
	MaxSkew time.Duration `mapstructure:"max_skew"`
	// Replay is which methods get replay protection: ReplayAll, ReplayMutating (the default:
	// POST, PUT, PATCH, DELETE) or ReplayOff.
	Replay ReplayMode `mapstructure:"replay"`
}

// ReplayMode is sign.replay: which signed requests are refused when sent twice.
type ReplayMode string

// The values of sign.replay.
const (
	ReplayAll      ReplayMode = "all"      // every method
	ReplayMutating ReplayMode = "mutating" // POST, PUT, PATCH and DELETE
	ReplayOff      ReplayMode = "off"      // no replay check
)

// App is one element of sign.apps.
type App struct {
	// Name identifies the app in logs.
	Name string `mapstructure:"name" json:"name"`
	// Key is the auth_key the app sends; unique among apps.
	Key string `mapstructure:"key" json:"key"`
	// Secret is the auth_secret appended to the canonical string; at least 16 characters.
	Secret string `mapstructure:"secret" json:"secret"`
}

// JWT is jwt.* (docs/security.md).
type JWT struct {
	// Secret is the HS256 key, at least 32 bytes.
	Secret string `mapstructure:"secret"`
	// Issuer is the iss claim issued and required ("blogapi").
	Issuer string `mapstructure:"issuer"`
	// AccessTTL is the access token's lifetime, 1m–24h (2h).
	AccessTTL time.Duration `mapstructure:"access_ttl"`
	// RefreshTTL is the refresh token's lifetime, AccessTTL–90 days (360h = 15 days).
	RefreshTTL time.Duration `mapstructure:"refresh_ttl"`
}

// Captcha is captcha.* (docs/security.md).
type Captcha struct {
	// Enabled turns captcha checks on (true); false is for automated tests and refused in
	// release mode.
	Enabled bool `mapstructure:"enabled"`
	// Driver is the kind of challenge: CaptchaString (the default) or CaptchaMath.
	Driver CaptchaDriver `mapstructure:"driver"`
	// Length is the number of characters of a string captcha, 1–8 (4).
	Length int `mapstructure:"length"`
	// TTL is how long a captcha can be answered, 30s–1h (5m).
	TTL time.Duration `mapstructure:"ttl"`
}

// CaptchaDriver is captcha.driver: the kind of challenge a captcha asks.
type CaptchaDriver string

// The values of captcha.driver.
const (
	CaptchaString CaptchaDriver = "string" // Length letters and digits to copy
	CaptchaMath   CaptchaDriver = "math"   // an arithmetic question; the answer is a number
)

// Log is log.*.
type Log struct {
	// Level is "debug", "info" (the default), "warn" or "error".
	Level string `mapstructure:"level"`
	// Format is "text" (the default) or "json".
	Format string `mapstructure:"format"`
}

// Mail is mail.*: outgoing mail for password reset and email verification.
type Mail struct {
	// Driver is MailLog (writes mails to the log and the outbox; development only, the default)
	// or MailSMTP.
	Driver MailDriver `mapstructure:"driver"`
	// Host and Port are the SMTP server; Host is required with the smtp driver, Port is
	// 1–65535 (587).
	Host string `mapstructure:"host"`
	Port int    `mapstructure:"port"`
	// Username and Password authenticate to the SMTP server; empty means no authentication.
	Username string `mapstructure:"username"`
	Password string `mapstructure:"password"`
	// From is the sender, an RFC 5322 address ("blogapi <no-reply@localhost>").
	From string `mapstructure:"from"`
	// TLSPolicy is "mandatory" (the default: STARTTLS or implicit TLS required),
	// "opportunistic" or "none".
	TLSPolicy string `mapstructure:"tls_policy"`
	// VerifyLink and ResetLink are the links of the email-verification and password-reset
	// mails: templates with {token} (required, once, URL-escaped), {frontend_url} and
	// {public_url}. A template naming {frontend_url} while server.frontend_url is empty gives
	// the API's own link instead ({public_url}/blogapi/email/verify?token={token},
	// {public_url}/blogapi/password/reset/check?token={token}). Defaults
	// "{frontend_url}/verify-email?token={token}" and "{frontend_url}/reset-password?token={token}".
	VerifyLink string `mapstructure:"verify_link"`
	ResetLink  string `mapstructure:"reset_link"`
}

// MailDriver is mail.driver: how mail leaves the server.
type MailDriver string

// The values of mail.driver.
const (
	MailLog  MailDriver = "log"  // the log and the outbox collection; development only
	MailSMTP MailDriver = "smtp" // an SMTP server (mail.host, mail.port, …)
)

// Security is security.*.
type Security struct {
	// RSAPrivateKeyFile is the PEM file of the RSA key for password transport; "" means a key
	// generated once and kept under data.dir.
	RSAPrivateKeyFile string `mapstructure:"rsa_private_key_file"`
	// HashConcurrency bounds concurrent password hashes, and the credential requests that may
	// make them (login, registration, profile update, password change and reset) (docs/security.md); 0
	// means half the CPUs, at least 1 (auth.DefaultHashConcurrency).
	HashConcurrency int `mapstructure:"hash_concurrency"`
	// HashQueue is the most credential requests waiting for a hashing slot; past it they are
	// answered 503 "server is busy" at once, 0–100000 (64). Logins carrying a captcha answer wait in
	// a queue of their own of the same size, admitted first (middleware.Bulkhead).
	HashQueue int `mapstructure:"hash_queue"`
	// LoginCaptchaAfter is the number of failed logins within LoginWindow after which login
	// needs a captcha, at least 1 (3).
	LoginCaptchaAfter int `mapstructure:"login_captcha_after"`
	// LoginLockAfter is the number of failed logins within LoginWindow after which the account
	// is locked for the rest of the window; more than LoginCaptchaAfter (10).
	LoginLockAfter int `mapstructure:"login_lock_after"`
	// LoginWindow is the period failed logins are counted over, 1m–24h (15m).
	LoginWindow time.Duration `mapstructure:"login_window"`
	// LoginCaptchaAfterIP is the number of failed logins from one client IP within
	// LoginWindow after which login from it needs a captcha, at least 1 (20).
	LoginCaptchaAfterIP int `mapstructure:"login_captcha_after_ip"`
	// LoginFloodPerMinute is the number of failed logins across the whole site in a minute
	// past which every login needs a captcha until the rate falls back, at least 1 (60).
	LoginFloodPerMinute int `mapstructure:"login_flood_per_minute"`
}

// RateLimit is rate_limit.*: per-client-IP limits, each written "<count>-<S|M|H|D>" in the
// file: count per second, minute, hour or day ("30-M"); "" or the zero Rate disables that limit.
type RateLimit struct {
	// Store is where the counts live: RateStoreMemory (the default) or RateStoreMongo.
	Store          RateStore `mapstructure:"store"`
	Captcha        Rate      `mapstructure:"captcha"`         // GET /service/captcha ("30-M")
	CheckUsername  Rate      `mapstructure:"check_username"`  // GET /reg/check/username ("60-M")
	Register       Rate      `mapstructure:"register"`        // POST /reg ("10-H")
	Upload         Rate      `mapstructure:"upload"`          // POST /upload, per user ("60-H")
	ForgotPassword Rate      `mapstructure:"forgot_password"` // POST /password/forgot ("5-H")
	VerifyResend   Rate      `mapstructure:"verify_resend"`   // POST /email/verify/resend ("5-H")
	Search         Rate      `mapstructure:"search"`          // GET /article/search ("30-M")
	Comment        Rate      `mapstructure:"comment"`         // POST /action/:id/comment, per user ("5-M")
}

// RateStore is rate_limit.store: where the per-client counts are kept.
type RateStore string

// The values of rate_limit.store.
const (
	// RateStoreMemory counts in each instance's memory (a bounded LRU of
	// clients): no database write per request, but N instances allow N
	// times the limit.
	RateStoreMemory RateStore = "memory"
	// RateStoreMongo counts in the database, shared and exact across
	// instances: one database write per limited request.
	RateStoreMongo RateStore = "mongo"
)

// Rate is one rate_limit.* value: at most Count requests per Period from one client. The zero
// Rate is no limit.
type Rate struct {
	Count  int64
	Period time.Duration
}

// errRateFormat is parseRate's error: it never repeats the value.
var errRateFormat = errors.New(`must be "<count>-<S|M|H|D>" such as "30-M" (count at least 1; per second, minute, hour or day), or "" to disable`)

// parseRate reads a rate in github.com/ulule/limiter/v3's format, "<count>-<unit>": count a
// decimal integer of at least 1, unit S, M, H or D (second, minute, hour, day; either case).
// "" is the zero Rate (no limit). Anything else is an error saying the expected format.
func parseRate(s string) (Rate, error) {
	if s == "" {
		return Rate{}, nil
	}
	count, unit, ok := strings.Cut(s, "-")
	if !ok || count == "" || strings.Trim(count, "0123456789") != "" {
		return Rate{}, errRateFormat
	}
	n, err := strconv.ParseInt(count, 10, 64)
	if err != nil || n < 1 {
		return Rate{}, errRateFormat
	}
	periods := map[string]time.Duration{"S": time.Second, "M": time.Minute, "H": time.Hour, "D": 24 * time.Hour}
	period, ok := periods[strings.ToUpper(unit)]
	if !ok {
		return Rate{}, errRateFormat
	}
	return Rate{Count: n, Period: period}, nil
}

// UnmarshalText reads "<count>-<S|M|H|D>" (parseRate): Load decodes rate_limit.* from the file
// and the environment with it.
func (r *Rate) UnmarshalText(text []byte) error {
	v, err := parseRate(string(text))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Metrics is metrics.*: Prometheus metrics and profiling.
type Metrics struct {
	// Enabled serves Prometheus metrics at GET /metrics (true).
	Enabled bool `mapstructure:"enabled"`
	// Addr, host:port, serves /metrics on a listener of its own instead of the API's router
	// (which then has no /metrics); "" serves it on the API router (""). Requires Enabled; must
	// differ from server.addr.
	Addr string `mapstructure:"addr"`
	// PProf mounts net/http/pprof under /debug/pprof/ on the metrics listener; requires Addr
	// (false).
	PProf bool `mapstructure:"pprof"`
}

// Media is media.*: uploaded images (README, "Uploads").
type Media struct {
	// Driver is where images are stored: MediaLocal (files under data.dir/media, served at
	// GET /media/<key>; the default) or MediaS3. Several API instances must use s3: each
	// instance's local files are its own.
	Driver MediaDriver `mapstructure:"driver"`
	// PublicURL is the absolute http(s) URL the stored keys are served under, without a trailing
	// slash ("https://cdn.example.com/blog-media"); "" is server.public_url + "/media" (GET
	// /media/<key> on this server, for either driver).
	PublicURL string `mapstructure:"public_url"`
	// MaxBytes bounds an uploaded file, 1 KiB–64 MiB (5 MiB); past it → 413.
	MaxBytes int64 `mapstructure:"max_bytes"`
	// AvatarMaxBytes bounds an uploaded avatar, 1 KiB–MaxBytes (2 MiB).
	AvatarMaxBytes int64 `mapstructure:"avatar_max_bytes"`
	// UserQuotaBytes bounds what one user stores (images and thumbnails); 0 is no quota
	// (200 MiB). Admins have none.
	UserQuotaBytes int64 `mapstructure:"user_quota_bytes"`
	// StagedTTL is how long an upload that no article or profile uses is kept, 1m–720h (24h).
	StagedTTL time.Duration `mapstructure:"staged_ttl"`
	// SweepInterval is how often staged uploads past StagedTTL are deleted, 1m–24h (1h).
	SweepInterval time.Duration `mapstructure:"sweep_interval"`
	// ProcessConcurrency bounds the images decoded and encoded at once (each keeps CPUs busy for
	// about a second at 12 megapixels); 0 is half the CPUs, at least 1 (0).
	ProcessConcurrency int `mapstructure:"process_concurrency"`
	// ProcessQueue is the most uploads waiting for a processing slot, 0–10000; past it → 503
	// with Retry-After (16).
	ProcessQueue int `mapstructure:"process_queue"`
	// S3 is media.s3.*, used with driver s3.
	S3 S3 `mapstructure:"s3"`
}

// MediaDriver is media.driver: where uploaded images are stored.
type MediaDriver string

// The values of media.driver.
const (
	MediaLocal MediaDriver = "local" // files under data.dir/media
	MediaS3    MediaDriver = "s3"    // a bucket of an S3-compatible service (media.s3.*)
)

// S3 is media.s3.*: the S3-compatible service and bucket of driver s3. From the
// environment: BLOGAPI_MEDIA_S3_ENDPOINT, _BUCKET, _REGION, _ACCESS_KEY, _SECRET_KEY,
// _PATH_STYLE.
type S3 struct {
	// Endpoint is the service's URL, http(s)://host[:port] ("https://s3.eu-west-1.amazonaws.com").
	Endpoint string `mapstructure:"endpoint"`
	// Bucket is the bucket the images go to; it must exist.
	Bucket string `mapstructure:"bucket"`
	// Region is the bucket's region ("us-east-1").
	Region string `mapstructure:"region"`
	// AccessKey and SecretKey sign the requests; prefer the environment for the secret.
	AccessKey string `mapstructure:"access_key"`
	SecretKey string `mapstructure:"secret_key"`
	// PathStyle puts the bucket in the path (endpoint/bucket/key) instead of the host name;
	// most self-hosted services need it (false).
	PathStyle bool `mapstructure:"path_style"`
}

// Default is the configuration with no file and no environment: release mode, no sign apps and
// no JWT secret, so it validates only once secrets (and an smtp mailer) are supplied.
func Default() Config {
	return Config{
		Server: Server{
			Addr:            "127.0.0.1:8080",
			Mode:            "release",
			MaxBodyBytes:    1 << 20,
			PublicURL:       "http://localhost:8080",
			ReadTimeout:     15 * time.Second,
			WriteTimeout:    30 * time.Second,
			ShutdownTimeout: 10 * time.Second,
		},
		Response: Response{HTTPStatus: StatusMirror},
		Mongo:    Mongo{Database: "blogapi", OpTimeout: 5 * time.Second},
		Data:     Data{Dir: "./data"},
		Sign:     Sign{MaxSkew: 5 * time.Minute, Replay: ReplayMutating},
		JWT:      JWT{Issuer: "blogapi", AccessTTL: 2 * time.Hour, RefreshTTL: 360 * time.Hour},
		Captcha:  Captcha{Enabled: true, Driver: CaptchaString, Length: 4, TTL: 5 * time.Minute},
		Log:      Log{Level: "info", Format: "text"},
		Mail: Mail{
			Driver:     MailLog,
			Port:       587,
			From:       "blogapi <no-reply@localhost>",
			TLSPolicy:  "mandatory",
			VerifyLink: "{frontend_url}/verify-email?token={token}",
			ResetLink:  "{frontend_url}/reset-password?token={token}",
		},
		Security: Security{
			HashQueue:           64,
			LoginCaptchaAfter:   3,
			LoginLockAfter:      10,
			LoginWindow:         15 * time.Minute,
			LoginCaptchaAfterIP: 20,
			LoginFloodPerMinute: 60,
		},
		RateLimit: RateLimit{
			Store:          RateStoreMemory,
			Captcha:        Rate{Count: 30, Period: time.Minute},
			CheckUsername:  Rate{Count: 60, Period: time.Minute},
			Register:       Rate{Count: 10, Period: time.Hour},
			ForgotPassword: Rate{Count: 5, Period: time.Hour},
			VerifyResend:   Rate{Count: 5, Period: time.Hour},
			Search:         Rate{Count: 30, Period: time.Minute},
			Comment:        Rate{Count: 5, Period: time.Minute},
			Upload:         Rate{Count: 60, Period: time.Hour},
		},
		Metrics: Metrics{Enabled: true},
		Content: Content{CommentModeration: "first"},
		Media: Media{
			Driver:         MediaLocal,
			MaxBytes:       5 << 20,
			AvatarMaxBytes: 2 << 20,
			UserQuotaBytes: 200 << 20,
			StagedTTL:      24 * time.Hour,
			SweepInterval:  time.Hour,
			ProcessQueue:   16,
			S3:             S3{Region: "us-east-1"},
		},
	}
}
