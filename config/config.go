// Package config loads the server's settings (SPEC §9): one typed Config read from a YAML file
// (config.yaml at the repository root documents every key), overridden by environment variables
// BLOGAPI_<SECTION>_<KEY>, decoded strictly (an unknown key is an error) and validated.
//
// Only main imports this package; every other package receives the plain values it needs.
// Load uses its own viper.New(), never the global viper, and reads the environment through an
// injected getenv, so tests need neither files outside a temp dir nor a real environment.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
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
}

// Server is server.*: the HTTP listener and request limits.
type Server struct {
	// Addr is the listen address, host:port (":8080").
	Addr string `mapstructure:"addr"`
	// Mode is "debug" or "release" (release). Release refuses example secrets and development
	// switches (SPEC §9).
	Mode string `mapstructure:"mode"`
	// MaxBodyBytes bounds a request body in bytes, 1 KiB–64 MiB (1048576); past it → 413 (SPEC §3).
	MaxBodyBytes int64 `mapstructure:"max_body_bytes"`
	// TrustedProxies are the IPs or CIDRs whose X-Forwarded-For is believed; empty trusts none.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// CORS is server.cors.*.
	CORS CORS `mapstructure:"cors"`
	// PublicURL is the absolute http(s) URL clients reach the server at, without query or
	// fragment; links in mails are built from it. Load removes trailing slashes.
	PublicURL string `mapstructure:"public_url"`
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
	// HTTPStatus is "mirror" (HTTP status = envelope code, the default) or "standard"
	// (SPEC §2); it converts to models.StatusPolicy.
	HTTPStatus string `mapstructure:"http_status"`
}

// Mongo is mongo.* (SPEC §8).
type Mongo struct {
	// URI is a mongodb:// or mongodb+srv:// URI; "" starts the embedded FerretDB.
	URI string `mapstructure:"uri"`
	// Database is the database name ("blogapi").
	Database string `mapstructure:"database"`
	// EmbeddedListen is the embedded FerretDB's TCP address; "" means 127.0.0.1:0 (loopback,
	// random port).
	EmbeddedListen string `mapstructure:"embedded_listen"`
}

// Data is data.*.
type Data struct {
	// Dir holds the embedded database and generated keys ("./data").
	Dir string `mapstructure:"dir"`
}

// Sign is sign.*: request signing (SPEC §3).
type Sign struct {
	// Apps are the calling apps; auth_key selects one. From the environment,
	// BLOGAPI_SIGN_APPS is a JSON array [{"name":…,"key":…,"secret":…}].
	Apps []App `mapstructure:"apps"`
	// MaxSkew is the allowed |now − timestamp|, 1s–1h (5m).
	MaxSkew time.Duration `mapstructure:"max_skew"`
	// Replay is which methods get replay protection: "all", "mutating" (the default: POST,
	// PUT, PATCH, DELETE) or "off".
	Replay string `mapstructure:"replay"`
}

// App is one element of sign.apps.
type App struct {
	// Name identifies the app in logs.
	Name string `mapstructure:"name" json:"name"`
	// Key is the auth_key the app sends; unique among apps.
	Key string `mapstructure:"key" json:"key"`
	// Secret is the auth_secret appended to the canonical string; at least 16 characters.
	Secret string `mapstructure:"secret" json:"secret"`
}

// JWT is jwt.* (SPEC §4).
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

// Captcha is captcha.* (SPEC §6).
type Captcha struct {
	// Enabled turns captcha checks on (true); false is for automated tests and refused in
	// release mode.
	Enabled bool `mapstructure:"enabled"`
	// Driver is the base64Captcha driver: "string" (the default) or "math".
	Driver string `mapstructure:"driver"`
	// Length is the number of characters of a string captcha, 1–8 (4).
	Length int `mapstructure:"length"`
	// TTL is how long a captcha can be answered, 30s–1h (5m).
	TTL time.Duration `mapstructure:"ttl"`
}

// Log is log.*.
type Log struct {
	// Level is "debug", "info" (the default), "warn" or "error".
	Level string `mapstructure:"level"`
	// Format is "text" (the default) or "json".
	Format string `mapstructure:"format"`
}

// Mail is mail.*: outgoing mail for password reset and email verification.
type Mail struct {
	// Driver is "log" (writes mails to the log; development only, the default) or "smtp".
	Driver string `mapstructure:"driver"`
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
}

// Security is security.*.
type Security struct {
	// RSAPrivateKeyFile is the PEM file of the RSA key for password transport; "" means a key
	// generated once and kept under data.dir.
	RSAPrivateKeyFile string `mapstructure:"rsa_private_key_file"`
	// HashConcurrency bounds concurrent password hashes, and the credential requests that may
	// make them (login, registration, profile update, password change and reset) (SPEC §5); 0
	// means half the CPUs, at least 1 (services.DefaultHashConcurrency).
	HashConcurrency int `mapstructure:"hash_concurrency"`
	// HashQueue is the most credential requests waiting for a hashing slot; past it they are
	// answered 503 "server is busy" at once, 0–100000 (64).
	HashQueue int `mapstructure:"hash_queue"`
	// LoginCaptchaAfter is the number of failed logins within LoginWindow after which login
	// needs a captcha, at least 1 (3).
	LoginCaptchaAfter int `mapstructure:"login_captcha_after"`
	// LoginLockAfter is the number of failed logins within LoginWindow after which the account
	// is locked for the rest of the window; more than LoginCaptchaAfter (10).
	LoginLockAfter int `mapstructure:"login_lock_after"`
	// LoginWindow is the period failed logins are counted over, 1m–24h (15m).
	LoginWindow time.Duration `mapstructure:"login_window"`
}

// RateLimit is rate_limit.*: per-client-IP limits in github.com/ulule/limiter/v3's format
// "<count>-<S|M|H|D>" (count per second, minute, hour or day); "" disables that limit.
type RateLimit struct {
	Captcha        string `mapstructure:"captcha"`         // GET /service/captcha ("30-M")
	CheckUsername  string `mapstructure:"check_username"`  // GET /reg/check/username ("60-M")
	Register       string `mapstructure:"register"`        // POST /reg ("10-H")
	ForgotPassword string `mapstructure:"forgot_password"` // POST /password/forgot ("5-H")
	VerifyResend   string `mapstructure:"verify_resend"`   // POST /email/verify/resend ("5-H")
}

// Metrics is metrics.*: Prometheus metrics and profiling (issue 5).
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

// Default is the configuration with no file and no environment: release mode, no sign apps and
// no JWT secret, so it validates only once secrets (and an smtp mailer) are supplied.
func Default() Config {
	return Config{
		Server: Server{
			Addr:            ":8080",
			Mode:            "release",
			MaxBodyBytes:    1 << 20,
			PublicURL:       "http://localhost:8080",
			ReadTimeout:     15 * time.Second,
			WriteTimeout:    30 * time.Second,
			ShutdownTimeout: 10 * time.Second,
		},
		Response: Response{HTTPStatus: "mirror"},
		Mongo:    Mongo{Database: "blogapi"},
		Data:     Data{Dir: "./data"},
		Sign:     Sign{MaxSkew: 5 * time.Minute, Replay: "mutating"},
		JWT:      JWT{Issuer: "blogapi", AccessTTL: 2 * time.Hour, RefreshTTL: 360 * time.Hour},
		Captcha:  Captcha{Enabled: true, Driver: "string", Length: 4, TTL: 5 * time.Minute},
		Log:      Log{Level: "info", Format: "text"},
		Mail: Mail{
			Driver:    "log",
			Port:      587,
			From:      "blogapi <no-reply@localhost>",
			TLSPolicy: "mandatory",
		},
		Security: Security{
			HashQueue:         64,
			LoginCaptchaAfter: 3,
			LoginLockAfter:    10,
			LoginWindow:       15 * time.Minute,
		},
		RateLimit: RateLimit{
			Captcha:        "30-M",
			CheckUsername:  "60-M",
			Register:       "10-H",
			ForgotPassword: "5-H",
			VerifyResend:   "5-H",
		},
		Metrics: Metrics{Enabled: true},
	}
}

// Load reads the YAML file at path ("" means no file), applies Default() for every key not in
// it, then the environment overrides BLOGAPI_<KEY> read through getenv (key upper-cased, dots as
// underscores: BLOGAPI_JWT_SECRET, BLOGAPI_SERVER_CORS_ALLOWED_ORIGINS). An empty variable is
// no override. Lists from the environment are comma-separated; sign.apps is a JSON array;
// durations are Go duration strings ("5m", "360h").
//
// Errors: a missing or unreadable file, malformed YAML, an unknown key (named), an environment
// value of the wrong type (the variable named), a value of the wrong type, or any Validate
// problem.
func Load(path string, getenv func(string) string) (Config, error) {
	leaves := leafFields(Default())
	v := viper.New()
	for _, f := range leaves {
		v.SetDefault(f.key, f.def)
	}
	if path != "" {
		settings, err := readFile(path)
		if err != nil {
			return Config{}, err
		}
		if err := v.MergeConfigMap(settings); err != nil {
			return Config{}, fmt.Errorf("config: %s: %w", path, err)
		}
		if err := checkKeys(v.AllKeys(), leaves); err != nil {
			return Config{}, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	byKey := make(map[string]leaf, len(leaves))
	for _, f := range leaves {
		byKey[f.key] = f
	}
	var envErrs []error
	for _, key := range v.AllKeys() {
		f, ok := byKey[key]
		if !ok {
			continue
		}
		name := envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		raw := getenv(name)
		if raw == "" {
			continue
		}
		val, err := parseEnv(raw, f.typ)
		if err != nil {
			envErrs = append(envErrs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		v.Set(key, val)
	}
	if err := errors.Join(envErrs...); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}

	var cfg Config
	strict := func(dc *mapstructure.DecoderConfig) {
		dc.WeaklyTypedInput = false
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(strictNumbers, dc.DecodeHook)
	}
	if err := v.UnmarshalExact(&cfg, strict); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	cfg.Server.PublicURL = strings.TrimRight(cfg.Server.PublicURL, "/")
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// readFile returns the file's settings as a nested map. A key present with no value (a section
// whose keys are all commented out, or `addr:`) is dropped, so its default applies instead of
// zero values.
func readFile(path string) (map[string]any, error) {
	file := viper.New()
	file.SetConfigFile(path)
	file.SetConfigType("yaml")
	if err := file.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	return file.AllSettings(), nil
}

// checkKeys reports every key in keys that Config does not have. A key naming a section
// ("server") holds a non-mapping value; UnmarshalExact reports that with the section's name.
func checkKeys(keys []string, leaves []leaf) error {
	var errs []error
	slices.Sort(keys)
	for _, key := range keys {
		known := slices.ContainsFunc(leaves, func(f leaf) bool {
			return f.key == key || strings.HasPrefix(f.key, key+".")
		})
		if !known {
			errs = append(errs, fmt.Errorf("unknown key %q", key))
		}
	}
	return errors.Join(errs...)
}

// leaf is one key of Config: its dotted name, Go type and default value.
type leaf struct {
	key string
	typ reflect.Type
	def any
}

// leafFields lists every key of c with its value, descending into nested structs; slices
// (sign.apps included) are single keys.
func leafFields(c Config) []leaf {
	var out []leaf
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			key := prefix + sf.Tag.Get("mapstructure")
			if sf.Type.Kind() == reflect.Struct {
				walk(key+".", v.Field(i))
				continue
			}
			out = append(out, leaf{key: key, typ: sf.Type, def: v.Field(i).Interface()})
		}
	}
	walk("", reflect.ValueOf(c))
	return out
}

var durationType = reflect.TypeFor[time.Duration]()

// strictNumbers refuses a number where a duration is expected (YAML `read_timeout: 15` would
// otherwise mean 15 nanoseconds) and a fraction where an integer is expected (4.5 would become 4).
func strictNumbers(from, to reflect.Type, data any) (any, error) {
	if to == durationType {
		if from != durationType && from.Kind() != reflect.String {
			return nil, errors.New(`must be a duration string with a unit, such as "15s", "5m" or "2h"`)
		}
		return data, nil
	}
	if f, ok := data.(float64); ok && (to.Kind() == reflect.Int || to.Kind() == reflect.Int64) && f != math.Trunc(f) {
		return nil, errors.New("must be a whole number")
	}
	return data, nil
}

// parseEnv converts an environment value to t. Error messages never repeat the value: it may
// be a secret set in the wrong variable.
func parseEnv(raw string, t reflect.Type) (any, error) {
	switch {
	case t == durationType:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return nil, errors.New(`not a duration (e.g. "90s", "5m", "2h")`)
		}
		return d, nil
	case t.Kind() == reflect.String:
		return raw, nil
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, errors.New("not a boolean (true or false)")
		}
		return b, nil
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, t.Bits())
		if err != nil {
			return nil, errors.New("not an integer")
		}
		return reflect.ValueOf(n).Convert(t).Interface(), nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		var list []string
		for item := range strings.SplitSeq(raw, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		return list, nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		ptr := reflect.New(t)
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(ptr.Interface()); err != nil || dec.More() {
			return nil, errors.New(`not a JSON array of {"name","key","secret"} objects`)
		}
		return ptr.Elem().Interface(), nil
	}
	return nil, fmt.Errorf("unsupported type %s", t)
}

// Validate checks every key and returns all problems joined (errors.Join), each message
// starting with the key it is about: "server.max_body_bytes: must be between 1 KiB and 64 MiB".
// In release mode it also refuses an empty or example jwt.secret, example sign.apps secrets,
// captcha.enabled false, the log mailer, CORS "*", a localhost public_url and metrics on the API's
// address (SPEC §9), naming the key to set.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	oneOf := func(key, val string, allowed ...string) {
		if !slices.Contains(allowed, val) {
			bad(key, "must be one of %s (got %q)", strings.Join(allowed, ", "), val)
		}
	}
	between := func(key string, d, lo, hi time.Duration) {
		if d < lo || d > hi {
			bad(key, "must be between %s and %s (got %s)", lo, hi, d)
		}
	}

	// server.*
	s := c.Server
	if err := checkHostPort(s.Addr); err != nil {
		bad("server.addr", "%v", err)
	}
	oneOf("server.mode", s.Mode, "debug", "release")
	release := s.Mode == "release"
	if s.MaxBodyBytes < 1<<10 || s.MaxBodyBytes > 64<<20 {
		bad("server.max_body_bytes", "must be between 1 KiB and 64 MiB (1024–67108864 bytes)")
	}
	for i, p := range s.TrustedProxies {
		if err := checkProxy(p); err != nil {
			bad(fmt.Sprintf("server.trusted_proxies[%d]", i), "%v", err)
		}
	}
	for i, o := range s.CORS.AllowedOrigins {
		key := fmt.Sprintf("server.cors.allowed_origins[%d]", i)
		if o == "*" {
			if release {
				bad(key, `"*" is refused in release mode; list the frontend origins`)
			}
			continue
		}
		if err := checkOrigin(o); err != nil {
			bad(key, "%v", err)
		}
	}
	if err := checkPublicURL(s.PublicURL); err != nil {
		bad("server.public_url", "%v", err)
	} else if release && isLocalURL(s.PublicURL) {
		bad("server.public_url", "points at this machine (%s); mail links would not reach users — set the public address", s.PublicURL)
	}
	for _, t := range []struct {
		key string
		d   time.Duration
	}{
		{"server.read_timeout", s.ReadTimeout},
		{"server.write_timeout", s.WriteTimeout},
		{"server.shutdown_timeout", s.ShutdownTimeout},
	} {
		if t.d <= 0 {
			bad(t.key, "must be positive (got %s)", t.d)
		}
	}

	oneOf("response.http_status", c.Response.HTTPStatus, "mirror", "standard")

	// mongo.*, data.*
	if u := c.Mongo.URI; u != "" && !strings.HasPrefix(u, "mongodb://") && !strings.HasPrefix(u, "mongodb+srv://") {
		bad("mongo.uri", `must start with "mongodb://" or "mongodb+srv://", or be empty for the embedded database`)
	}
	if db := c.Mongo.Database; db == "" || len(db) > 63 || strings.ContainsAny(db, "/\\. \"$*<>:|?\x00") {
		bad("mongo.database", `must be 1–63 bytes without any of / \ . space " $ * < > : | ?`)
	}
	if c.Mongo.EmbeddedListen != "" {
		if err := checkHostPort(c.Mongo.EmbeddedListen); err != nil {
			bad("mongo.embedded_listen", "%v", err)
		} else if !isLoopback(c.Mongo.EmbeddedListen) {
			bad("mongo.embedded_listen", "must be a loopback address (127.0.0.1, ::1 or localhost): the embedded database has no authentication")
		}
	}
	if c.Data.Dir == "" {
		bad("data.dir", "must not be empty")
	}

	// sign.*
	if len(c.Sign.Apps) == 0 {
		bad("sign.apps", "at least one app is required (set sign.apps or BLOGAPI_SIGN_APPS)")
	}
	keys := make(map[string]int, len(c.Sign.Apps))
	for i, app := range c.Sign.Apps {
		key := fmt.Sprintf("sign.apps[%d]", i)
		if app.Name == "" {
			bad(key+".name", "must not be empty")
		}
		if app.Key == "" {
			bad(key+".key", "must not be empty")
		} else if j, dup := keys[app.Key]; dup {
			bad(key+".key", "duplicates sign.apps[%d].key", j)
		} else {
			keys[app.Key] = i
		}
		if utf8.RuneCountInString(app.Secret) < 16 {
			bad(key+".secret", "must be at least 16 characters")
		} else if release && isExampleSecret(app.Secret) {
			bad(key+".secret", "the example secret is refused in release mode; set sign.apps (or BLOGAPI_SIGN_APPS) with a secret of your own")
		}
	}
	between("sign.max_skew", c.Sign.MaxSkew, time.Second, time.Hour)
	oneOf("sign.replay", c.Sign.Replay, "all", "mutating", "off")

	// jwt.*
	switch {
	case c.JWT.Secret == "":
		bad("jwt.secret", "must be set (at least 32 bytes; BLOGAPI_JWT_SECRET)")
	case len(c.JWT.Secret) < 32:
		bad("jwt.secret", "must be at least 32 bytes")
	case release && isExampleSecret(c.JWT.Secret):
		bad("jwt.secret", "the example secret is refused in release mode; set BLOGAPI_JWT_SECRET to a random value of at least 32 bytes")
	}
	if c.JWT.Issuer == "" {
		bad("jwt.issuer", "must not be empty")
	}
	between("jwt.access_ttl", c.JWT.AccessTTL, time.Minute, 24*time.Hour)
	if c.JWT.RefreshTTL < c.JWT.AccessTTL || c.JWT.RefreshTTL > 90*24*time.Hour {
		bad("jwt.refresh_ttl", "must be at least jwt.access_ttl (%s) and at most 90 days (2160h) (got %s)", c.JWT.AccessTTL, c.JWT.RefreshTTL)
	}

	// captcha.*
	if release && !c.Captcha.Enabled {
		bad("captcha.enabled", "must be true in release mode (false is for automated tests only)")
	}
	oneOf("captcha.driver", c.Captcha.Driver, "string", "math")
	if c.Captcha.Length < 1 || c.Captcha.Length > 8 {
		bad("captcha.length", "must be between 1 and 8 (got %d)", c.Captcha.Length)
	}
	between("captcha.ttl", c.Captcha.TTL, 30*time.Second, time.Hour)

	// log.*
	oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf("log.format", c.Log.Format, "text", "json")

	// mail.*
	m := c.Mail
	oneOf("mail.driver", m.Driver, "log", "smtp")
	if release && m.Driver == "log" {
		bad("mail.driver", "the log mailer is for development; configure smtp")
	}
	if m.Driver == "smtp" && m.Host == "" {
		bad("mail.host", "must be set for the smtp driver")
	}
	if m.Port < 1 || m.Port > 65535 {
		bad("mail.port", "must be between 1 and 65535 (got %d)", m.Port)
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		bad("mail.from", `must be an address such as "blogapi <no-reply@example.com>"`)
	}
	oneOf("mail.tls_policy", m.TLSPolicy, "mandatory", "opportunistic", "none")

	// security.*
	sec := c.Security
	if sec.HashConcurrency < 0 {
		bad("security.hash_concurrency", "must not be negative (0 means half the CPUs, at least 1)")
	}
	if sec.HashQueue < 0 || sec.HashQueue > 100000 {
		bad("security.hash_queue", "must be between 0 and 100000 (got %d)", sec.HashQueue)
	}
	if sec.LoginCaptchaAfter < 1 {
		bad("security.login_captcha_after", "must be at least 1 (got %d)", sec.LoginCaptchaAfter)
	}
	if sec.LoginLockAfter <= sec.LoginCaptchaAfter {
		bad("security.login_lock_after", "must be more than security.login_captcha_after (%d) (got %d)", sec.LoginCaptchaAfter, sec.LoginLockAfter)
	}
	between("security.login_window", sec.LoginWindow, time.Minute, 24*time.Hour)

	// rate_limit.*
	for _, r := range []struct{ key, val string }{
		{"rate_limit.captcha", c.RateLimit.Captcha},
		{"rate_limit.check_username", c.RateLimit.CheckUsername},
		{"rate_limit.register", c.RateLimit.Register},
		{"rate_limit.forgot_password", c.RateLimit.ForgotPassword},
		{"rate_limit.verify_resend", c.RateLimit.VerifyResend},
	} {
		if r.val != "" && !validRate(r.val) {
			bad(r.key, `must be "<count>-<S|M|H|D>" such as "30-M", or "" to disable (got %q)`, r.val)
		}
	}

	// metrics.*
	mc := c.Metrics
	if mc.Addr != "" {
		switch err := checkHostPort(mc.Addr); {
		case err != nil:
			bad("metrics.addr", "%v", err)
		case !mc.Enabled:
			bad("metrics.addr", "is set but metrics.enabled is false; set metrics.enabled to true or metrics.addr to \"\"")
		case sameListener(mc.Addr, s.Addr):
			bad("metrics.addr", "must differ from server.addr (%s): the metrics listener is a second listener", s.Addr)
		}
	}
	if mc.PProf && mc.Addr == "" {
		bad("metrics.pprof", "requires metrics.addr: profiling is served on the metrics listener only, never on the API's address")
	}
	if release && mc.Enabled && mc.Addr == "" {
		bad("metrics.addr", "must be set in release mode (e.g. 127.0.0.1:9090, a private address): on the API's address the metrics are public; or set metrics.enabled to false")
	}

	return errors.Join(errs...)
}

// sameListener reports two host:port addresses that would collide: the same port (not 0, which
// picks a free one) on the same host, or on all interfaces ("", 0.0.0.0 or ::) on either side.
func sameListener(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb || pa == "0" {
		return false
	}
	return ha == hb || isAllInterfaces(ha) || isAllInterfaces(hb)
}

// isAllInterfaces reports a listen host that binds every interface.
func isAllInterfaces(host string) bool {
	addr, err := netip.ParseAddr(host)
	return host == "" || err == nil && addr.IsUnspecified()
}

// isExampleSecret reports a secret copied from config.yaml or the API document.
func isExampleSecret(s string) bool {
	return strings.Contains(strings.ToLower(s), "example") || s == exampleJWTSecret || s == exampleAppSecret
}

// checkHostPort accepts host:port with an empty host (all interfaces) and a numeric port
// 0–65535 (0: any free port).
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf(`must be host:port such as ":8080" or "127.0.0.1:8080" (got %q)`, addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("port must be a number 0–65535 (got %q)", port)
	}
	return nil
}

// checkProxy accepts an IP address or a CIDR prefix.
func checkProxy(p string) error {
	if strings.Contains(p, "/") {
		if _, err := netip.ParsePrefix(p); err != nil {
			return fmt.Errorf("not a CIDR prefix (got %q)", p)
		}
		return nil
	}
	if _, err := netip.ParseAddr(p); err != nil {
		return fmt.Errorf("not an IP address or CIDR prefix (got %q)", p)
	}
	return nil
}

// checkOrigin accepts a browser origin exactly as browsers send it: lower-case http or https
// scheme, a host, an optional port, and nothing after (no slash, path, query or fragment).
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(&url.URL{Scheme: u.Scheme, Host: u.Host}).String() != o {
		return fmt.Errorf(`must be an origin such as "https://blog.example.com" (scheme, host, optional port; no path) or "*" (got %q)`, o)
	}
	return nil
}

// isLocalURL reports a URL whose host is this machine (localhost or a
// loopback address).
func isLocalURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && isLoopbackHost(u.Hostname())
}

// isLoopback reports a host:port whose host is loopback.
func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	return err == nil && isLoopbackHost(host)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.IsLoopback()
}

// checkPublicURL accepts an absolute http(s) URL with a host and optional path, without user
// info, query or fragment.
func checkPublicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || strings.Contains(s, "#") {
		return fmt.Errorf(`must be an absolute http(s) URL without query or fragment, such as "https://blog.example.com" (got %q)`, s)
	}
	return nil
}

// validRate checks github.com/ulule/limiter/v3's "<count>-<unit>" format: count a decimal
// integer ≥ 1, unit S, M, H or D (limiter accepts either case).
func validRate(s string) bool {
	count, unit, ok := strings.Cut(s, "-")
	if !ok || count == "" || strings.Trim(count, "0123456789") != "" {
		return false
	}
	n, err := strconv.ParseInt(count, 10, 64)
	if err != nil || n < 1 {
		return false
	}
	switch strings.ToUpper(unit) {
	case "S", "M", "H", "D":
		return true
	}
	return false
}
