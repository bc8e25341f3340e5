package config

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env is a fake environment for Load's getenv.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

var noEnv = env(nil)

// writeConfig writes yaml to a temp file and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	realJWTSecret = "4d1f0c9a8b7e6d5c4b3a29180f7e6d5c4b3a2918"
	realAppSecret = "q2Vx9LrT4mWz7NpK3sHd"
)

// releaseEnv is the environment a production deployment sets on top of Default().
var releaseEnv = map[string]string{
	"BLOGAPI_JWT_SECRET":        realJWTSecret,
	"BLOGAPI_SIGN_APPS":         `[{"name":"spa","key":"k1","secret":"` + realAppSecret + `"}]`,
	"BLOGAPI_MAIL_DRIVER":       "smtp",
	"BLOGAPI_MAIL_HOST":         "smtp.example.com",
	"BLOGAPI_SERVER_PUBLIC_URL": "https://blog.example.com",
	"BLOGAPI_METRICS_ADDR":      "127.0.0.1:9464",
}

// validRelease is Default() completed the way releaseEnv completes it.
func validRelease() Config {
	c := Default()
	c.JWT.Secret = realJWTSecret
	c.Sign.Apps = []App{{Name: "spa", Key: "k1", Secret: realAppSecret}}
	c.Mail.Driver = "smtp"
	c.Mail.Host = "smtp.example.com"
	c.Server.PublicURL = "https://blog.example.com"
	c.Metrics.Addr = "127.0.0.1:9464"
	return c
}

// validDebug is what the repository's config.yaml holds.
func validDebug() Config {
	c := Default()
	c.Server.Mode = "debug"
	c.Server.TrustedProxies = []string{}
	c.Server.CORS.AllowedOrigins = []string{}
	c.Sign.Apps = []App{{Name: "blog-spa", Key: "fwCWYMqmRINlRtMp", Secret: "G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh"}}
	c.JWT.Secret = "example-jwt-secret-change-me-0123456789abcdef"
	return c
}

// validS3 is a complete media.s3 section.
func validS3() S3 {
	return S3{Endpoint: "https://s3.eu-west-1.amazonaws.com", Bucket: "blog-media", Region: "eu-west-1",
		AccessKey: "AKIAEXAMPLE", SecretKey: "secret-from-the-environment", PathStyle: false}
}

// TestLoadMediaFromEnv: the s3 driver configured from the environment
// alone, as the README shows for several instances.
func TestLoadMediaFromEnv(t *testing.T) {
	vars := maps.Clone(releaseEnv)
	maps.Copy(vars, map[string]string{
		"BLOGAPI_MEDIA_DRIVER": "s3", "BLOGAPI_MEDIA_S3_ENDPOINT": "http://127.0.0.1:9000", "BLOGAPI_MEDIA_S3_BUCKET": "media",
		"BLOGAPI_MEDIA_S3_ACCESS_KEY": "ak", "BLOGAPI_MEDIA_S3_SECRET_KEY": "sk", "BLOGAPI_MEDIA_S3_PATH_STYLE": "true",
		"BLOGAPI_MEDIA_MAX_BYTES": "8388608", "BLOGAPI_MEDIA_STAGED_TTL": "2h",
	})
	cfg, err := Load("", env(vars))
	if err != nil {
		t.Fatal(err)
	}
	want := Default().Media
	want.Driver, want.MaxBytes, want.StagedTTL = MediaS3, 8<<20, 2*time.Hour
	want.S3 = S3{Endpoint: "http://127.0.0.1:9000", Bucket: "media", Region: "us-east-1", AccessKey: "ak", SecretKey: "sk", PathStyle: true}
	if !reflect.DeepEqual(cfg.Media, want) {
		t.Errorf("media =\n%+v\nwant\n%+v", cfg.Media, want)
	}
}

func TestLoadRepoConfig(t *testing.T) {
	got, err := Load("../config.yaml", noEnv)
	if err != nil {
		t.Fatalf("Load(../config.yaml): %v", err)
	}
	if want := validDebug(); !reflect.DeepEqual(got, want) {
		t.Errorf("config.yaml loads as\n%+v\nwant\n%+v", got, want)
	}
}

func TestDefault(t *testing.T) {
	want := Config{
		Server: Server{
			Addr: "127.0.0.1:8080", Mode: "release", MaxBodyBytes: 1048576, PublicURL: "http://localhost:8080",
			ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second, ShutdownTimeout: 10 * time.Second,
		},
		Response: Response{HTTPStatus: "mirror"},
		Mongo:    Mongo{URI: "", Database: "blogapi", EmbeddedListen: "", OpTimeout: 5 * time.Second},
		Data:     Data{Dir: "./data"},
		Sign:     Sign{MaxSkew: 5 * time.Minute, Replay: "mutating"},
		JWT:      JWT{Issuer: "blogapi", AccessTTL: 2 * time.Hour, RefreshTTL: 360 * time.Hour},
		Captcha:  Captcha{Enabled: true, Driver: "string", Length: 4, TTL: 5 * time.Minute},
		Log:      Log{Level: "info", Format: "text"},
		Mail: Mail{Driver: "log", Port: 587, From: "blogapi <no-reply@localhost>", TLSPolicy: "mandatory",
			VerifyLink: "{frontend_url}/verify-email?token={token}", ResetLink: "{frontend_url}/reset-password?token={token}"},
		Security: Security{HashQueue: 64, LoginCaptchaAfter: 3, LoginLockAfter: 10, LoginWindow: 15 * time.Minute,
			LoginCaptchaAfterIP: 20, LoginFloodPerMinute: 60},
		RateLimit: RateLimit{
			Store:   RateStoreMemory,
			Captcha: Rate{30, time.Minute}, CheckUsername: Rate{60, time.Minute}, Register: Rate{10, time.Hour},
			ForgotPassword: Rate{5, time.Hour}, VerifyResend: Rate{5, time.Hour},
			Search: Rate{30, time.Minute}, Comment: Rate{5, time.Minute}, Upload: Rate{60, time.Hour},
		},
		Metrics: Metrics{Enabled: true, Addr: "", PProf: false},
		Content: Content{CommentModeration: "first"},
		Media: Media{
			Driver: "local", MaxBytes: 5 << 20, AvatarMaxBytes: 2 << 20, UserQuotaBytes: 200 << 20,
			StagedTTL: 24 * time.Hour, SweepInterval: time.Hour, ProcessQueue: 16, S3: S3{Region: "us-east-1"},
		},
	}
	if got := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("Default() =\n%+v\nwant\n%+v", got, want)
	}
}

// With no file, Load applies exactly Default() and then the environment.
func TestLoadNoFile(t *testing.T) {
	got, err := Load("", env(releaseEnv))
	if err != nil {
		t.Fatalf("Load(\"\", releaseEnv): %v", err)
	}
	if want := validRelease(); !reflect.DeepEqual(got, want) {
		t.Errorf("Load(\"\") =\n%+v\nwant\n%+v", got, want)
	}

	_, err = Load("", noEnv)
	for _, key := range []string{"jwt.secret:", "sign.apps:", "mail.driver:"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Load(\"\", no env) error %v, want it to name %s", err, key)
		}
	}
}

func TestLoadEnvOverrides(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		get  func(Config) any
		want any
	}{
		{"string", map[string]string{"BLOGAPI_MONGO_URI": "mongodb://db1,db2/?replicaSet=rs0"},
			func(c Config) any { return c.Mongo.URI }, "mongodb://db1,db2/?replicaSet=rs0"},
		{"string replaces the file's secret", map[string]string{"BLOGAPI_JWT_SECRET": realJWTSecret},
			func(c Config) any { return c.JWT.Secret }, realJWTSecret},
		{"int64", map[string]string{"BLOGAPI_SERVER_MAX_BODY_BYTES": "2048"},
			func(c Config) any { return c.Server.MaxBodyBytes }, int64(2048)},
		{"int", map[string]string{"BLOGAPI_CAPTCHA_LENGTH": "6"},
			func(c Config) any { return c.Captcha.Length }, 6},
		{"duration", map[string]string{"BLOGAPI_JWT_ACCESS_TTL": "30m"},
			func(c Config) any { return c.JWT.AccessTTL }, 30 * time.Minute},
		{"bool", map[string]string{"BLOGAPI_CAPTCHA_ENABLED": "false"},
			func(c Config) any { return c.Captcha.Enabled }, false},
		{"list, spaces trimmed", map[string]string{"BLOGAPI_SERVER_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"},
			func(c Config) any { return c.Server.TrustedProxies }, []string{"10.0.0.0/8", "127.0.0.1"}},
		{"nested list", map[string]string{"BLOGAPI_SERVER_CORS_ALLOWED_ORIGINS": "https://a.example.com,http://localhost:5173"},
			func(c Config) any { return c.Server.CORS.AllowedOrigins }, []string{"https://a.example.com", "http://localhost:5173"}},
		{"sign.apps JSON", map[string]string{"BLOGAPI_SIGN_APPS": `[{"name":"spa","key":"k1","secret":"0123456789abcdef"},{"name":"admin","key":"k2","secret":"fedcba9876543210"}]`},
			func(c Config) any { return c.Sign.Apps },
			[]App{{Name: "spa", Key: "k1", Secret: "0123456789abcdef"}, {Name: "admin", Key: "k2", Secret: "fedcba9876543210"}}},
		{"metrics keys", map[string]string{"BLOGAPI_METRICS_ENABLED": "true", "BLOGAPI_METRICS_ADDR": "127.0.0.1:9090", "BLOGAPI_METRICS_PPROF": "true"},
			func(c Config) any { return c.Metrics }, Metrics{Enabled: true, Addr: "127.0.0.1:9090", PProf: true}},
		{"rate", map[string]string{"BLOGAPI_RATE_LIMIT_REGISTER": "3-d"},
			func(c Config) any { return c.RateLimit.Register }, Rate{Count: 3, Period: 24 * time.Hour}},
		{"enum", map[string]string{"BLOGAPI_SIGN_REPLAY": "all"},
			func(c Config) any { return c.Sign.Replay }, ReplayAll},
		{"empty variable is no override", map[string]string{"BLOGAPI_SERVER_ADDR": ""},
			func(c Config) any { return c.Server.Addr }, "127.0.0.1:8080"},
		{"the wrong prefix is ignored", map[string]string{"SERVER_ADDR": ":9"},
			func(c Config) any { return c.Server.Addr }, "127.0.0.1:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load("../config.yaml", env(tt.vars))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := tt.get(cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestLoadEnvErrors(t *testing.T) {
	tests := []struct {
		name, variable, value string
	}{
		{"int", "BLOGAPI_SERVER_MAX_BODY_BYTES", "1MiB"},
		{"int overflow", "BLOGAPI_CAPTCHA_LENGTH", "99999999999999999999"},
		{"bool", "BLOGAPI_CAPTCHA_ENABLED", "nope"},
		{"duration without unit", "BLOGAPI_SIGN_MAX_SKEW", "300"},
		{"apps not JSON", "BLOGAPI_SIGN_APPS", "spa:k1:secretsecretsecret"},
		{"apps unknown field", "BLOGAPI_SIGN_APPS", `[{"name":"a","key":"k","secret":"secretsecretsecret","extra":1}]`},
		{"apps trailing data", "BLOGAPI_SIGN_APPS", `[{"name":"a","key":"k","secret":"secretsecretsecret"}] []`},
		{"rate without unit", "BLOGAPI_RATE_LIMIT_CAPTCHA", "45"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("../config.yaml", env(map[string]string{tt.variable: tt.value}))
			if err == nil {
				t.Fatalf("%s=%q: no error", tt.variable, tt.value)
			}
			if !strings.Contains(err.Error(), tt.variable+":") {
				t.Errorf("error %q does not name %s", err, tt.variable)
			}
			if strings.Contains(err.Error(), tt.value) {
				t.Errorf("error %q repeats the value", err)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown top-level key", "srever:\n  addr: \":1\"\n", `unknown key "srever.addr"`},
		{"several unknown keys, all named", "jwt:\n  secrt: x\nlog:\n  lvl: info\n", `unknown key "jwt.secrt"` + "\n" + `unknown key "log.lvl"`},
		{"unknown nested key", "server:\n  cors:\n    allow_origins: []\n", `unknown key "server.cors.allow_origins"`},
		{"unknown key in an app", "sign:\n  apps:\n    - {name: a, key: k, secret: secretsecretsecret, scret: x}\n", "sign.apps[0]' has invalid keys: scret"},
		{"section not a mapping", "server: 8080\n", "'server' expected a map"},
		{"string where an int is expected", "server:\n  max_body_bytes: \"1 MiB\"\n", "server.max_body_bytes"},
		{"number where a duration is expected", "server:\n  read_timeout: 15\n", "server.read_timeout' must be a duration string"},
		{"fraction where an int is expected", "captcha:\n  length: 4.5\n", "captcha.length' must be a whole number"},
		{"bad duration string", "jwt:\n  access_ttl: 2 hours\n", "jwt.access_ttl"},
		{"malformed YAML", "server: [\n", "config: read "},
		{"validation through Load", "server:\n  max_body_bytes: 10\n", "server.max_body_bytes: must be between 1 KiB and 64 MiB"},
		{"rate without unit", "rate_limit:\n  captcha: \"30\"\n", "rate_limit.captcha: must be \"<count>-<S|M|H|D>\""},
		{"rate as a number", "rate_limit:\n  register: 10\n", "rate_limit.register: must be a string"},
		{"rate as a mapping", "rate_limit:\n  register: {count: 10}\n", `unknown key "rate_limit.register.count"`},
		{"unknown sign.replay", "sign:\n  replay: post\n", `sign.replay: must be one of all, mutating, off (got "post")`},
		{"empty sign.replay", "sign:\n  replay: \"\"\n", `sign.replay: must be one of all, mutating, off (got "")`},
		{"unknown response.http_status", "response:\n  http_status: http\n", "response.http_status: must be one of mirror, standard"},
		{"unknown captcha.driver", "captcha:\n  driver: audio\n", "captcha.driver: must be one of string, math"},
		{"unknown mail.driver", "mail:\n  driver: sendmail\n", "mail.driver: must be one of log, smtp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tt.yaml), noEnv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}

	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), env(releaseEnv)); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing explicit file: error %v, want one naming the file", err)
	}
}

func TestLoadFileDetails(t *testing.T) {
	tests := []struct {
		name, yaml string
		get        func(Config) any
		want       any
	}{
		{"a key left out keeps its default", "server:\n  addr: \":9090\"\n",
			func(c Config) any { return c.Server.WriteTimeout }, 30 * time.Second},
		{"a section with every key commented out keeps its defaults", "mail:\n#  port: 25\nserver:\n  addr: \":9090\"\n",
			func(c Config) any { return c.Mail }, validRelease().Mail},
		{"a key with no value keeps its default", "server:\n  addr:\n",
			func(c Config) any { return c.Server.Addr }, "127.0.0.1:8080"},
		{"a list from the file", "server:\n  trusted_proxies: [10.0.0.0/8, \"::1\"]\n",
			func(c Config) any { return c.Server.TrustedProxies }, []string{"10.0.0.0/8", "::1"}},
		{"rates from the file, lower-case unit and disabled", "rate_limit:\n  captcha: 100-s\n  register: \"\"\n  verify_resend: 1-D\n",
			func(c Config) any { return c.RateLimit }, RateLimit{
				Store:   RateStoreMemory,
				Captcha: Rate{100, time.Second}, CheckUsername: Rate{60, time.Minute}, Register: Rate{},
				ForgotPassword: Rate{5, time.Hour}, VerifyResend: Rate{1, 24 * time.Hour},
				Search: Rate{30, time.Minute}, Comment: Rate{5, time.Minute}, Upload: Rate{60, time.Hour},
			}},
		{"trailing slash of public_url removed", "server:\n  public_url: https://blog.example.com/\n",
			func(c Config) any { return c.Server.PublicURL }, "https://blog.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := maps.Clone(releaseEnv)
			if strings.Contains(tt.yaml, "public_url") {
				delete(vars, "BLOGAPI_SERVER_PUBLIC_URL") // the file's value is under test
			}
			cfg, err := Load(writeConfig(t, tt.yaml), env(vars))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := tt.get(cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}

	cfg, err := Load(writeConfig(t, "captcha:\n  length: 5\n"), env(map[string]string{
		"BLOGAPI_CAPTCHA_LENGTH": "7", "BLOGAPI_JWT_SECRET": realJWTSecret,
		"BLOGAPI_SIGN_APPS": releaseEnv["BLOGAPI_SIGN_APPS"], "BLOGAPI_MAIL_DRIVER": "smtp", "BLOGAPI_MAIL_HOST": "mx",
		"BLOGAPI_SERVER_PUBLIC_URL": "https://blog.example.com", "BLOGAPI_METRICS_ADDR": "127.0.0.1:9464",
	}))
	if err != nil || cfg.Captcha.Length != 7 {
		t.Errorf("env over file: captcha.length = %d, %v; want 7", cfg.Captcha.Length, err)
	}
}

func TestValidate(t *testing.T) {
	for name, c := range map[string]Config{"debug": validDebug(), "release": validRelease()} {
		if err := c.Validate(); err != nil {
			t.Fatalf("valid %s config: %v", name, err)
		}
	}

	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // the message must start with it (after any other problems' lines)
	}{
		{"addr without port", func(c *Config) { c.Server.Addr = "localhost" }, "server.addr: "},
		{"addr port not numeric", func(c *Config) { c.Server.Addr = ":http" }, "server.addr: "},
		{"addr port too big", func(c *Config) { c.Server.Addr = ":65536" }, "server.addr: "},
		{"mode", func(c *Config) { c.Server.Mode = "production" }, "server.mode: must be one of debug, release"},
		{"body too small", func(c *Config) { c.Server.MaxBodyBytes = 1023 }, "server.max_body_bytes: must be between 1 KiB and 64 MiB"},
		{"body too big", func(c *Config) { c.Server.MaxBodyBytes = 64<<20 + 1 }, "server.max_body_bytes: must be between 1 KiB and 64 MiB"},
		{"trusted proxy", func(c *Config) { c.Server.TrustedProxies = []string{"10.0.0.1", "10.0.0.0/33"} }, "server.trusted_proxies[1]: "},
		{"trusted proxy hostname", func(c *Config) { c.Server.TrustedProxies = []string{"proxy.local"} }, "server.trusted_proxies[0]: "},
		{"cors origin with path", func(c *Config) { c.Server.CORS.AllowedOrigins = []string{"https://a.example.com/"} }, "server.cors.allowed_origins[0]: "},
		{"cors origin without scheme", func(c *Config) { c.Server.CORS.AllowedOrigins = []string{"a.example.com"} }, "server.cors.allowed_origins[0]: "},
		{"public_url relative", func(c *Config) { c.Server.PublicURL = "/blog" }, "server.public_url: "},
		{"public_url ftp", func(c *Config) { c.Server.PublicURL = "ftp://example.com" }, "server.public_url: "},
		{"public_url query", func(c *Config) { c.Server.PublicURL = "https://example.com/?a=1" }, "server.public_url: "},
		{"public_url fragment", func(c *Config) { c.Server.PublicURL = "https://example.com/#x" }, "server.public_url: "},
		{"read_timeout", func(c *Config) { c.Server.ReadTimeout = 0 }, "server.read_timeout: must be positive"},
		{"write_timeout", func(c *Config) { c.Server.WriteTimeout = -time.Second }, "server.write_timeout: must be positive"},
		{"shutdown_timeout", func(c *Config) { c.Server.ShutdownTimeout = 0 }, "server.shutdown_timeout: must be positive"},
		{"http_status", func(c *Config) { c.Response.HTTPStatus = "http" }, "response.http_status: must be one of mirror, standard"},
		{"mongo.uri scheme", func(c *Config) { c.Mongo.URI = "postgres://x" }, "mongo.uri: "},
		{"mongo.database empty", func(c *Config) { c.Mongo.Database = "" }, "mongo.database: "},
		{"mongo.database dot", func(c *Config) { c.Mongo.Database = "blog.api" }, "mongo.database: "},
		{"embedded_listen", func(c *Config) { c.Mongo.EmbeddedListen = "27017" }, "mongo.embedded_listen: "},
		{"embedded_listen on every interface", func(c *Config) { c.Mongo.EmbeddedListen = "0.0.0.0:27017" }, "mongo.embedded_listen: must be a loopback address"},
		{"embedded_listen on a LAN address", func(c *Config) { c.Mongo.EmbeddedListen = "192.168.1.5:27017" }, "mongo.embedded_listen: must be a loopback address"},
		{"data.dir", func(c *Config) { c.Data.Dir = "" }, "data.dir: must not be empty"},
		{"no apps", func(c *Config) { c.Sign.Apps = nil }, "sign.apps: at least one app"},
		{"app name", func(c *Config) { c.Sign.Apps[0].Name = "" }, "sign.apps[0].name: must not be empty"},
		{"app key", func(c *Config) { c.Sign.Apps[0].Key = "" }, "sign.apps[0].key: must not be empty"},
		{"app key duplicate", func(c *Config) {
			c.Sign.Apps = append(c.Sign.Apps, App{Name: "b", Key: c.Sign.Apps[0].Key, Secret: "0123456789abcdef"})
		}, "sign.apps[1].key: duplicates sign.apps[0].key"},
		{"app secret short", func(c *Config) { c.Sign.Apps[0].Secret = "0123456789abcde" }, "sign.apps[0].secret: must be at least 16 characters"},
		{"max_skew small", func(c *Config) { c.Sign.MaxSkew = 999 * time.Millisecond }, "sign.max_skew: must be between 1s and 1h0m0s"},
		{"max_skew big", func(c *Config) { c.Sign.MaxSkew = time.Hour + 1 }, "sign.max_skew: must be between 1s and 1h0m0s"},
		{"replay", func(c *Config) { c.Sign.Replay = "post" }, "sign.replay: must be one of all, mutating, off"},
		{"jwt.secret empty", func(c *Config) { c.JWT.Secret = "" }, "jwt.secret: must be set"},
		{"jwt.secret short", func(c *Config) { c.JWT.Secret = strings.Repeat("x", 31) }, "jwt.secret: must be at least 32 bytes"},
		{"jwt.issuer", func(c *Config) { c.JWT.Issuer = "" }, "jwt.issuer: must not be empty"},
		{"access_ttl small", func(c *Config) { c.JWT.AccessTTL = 59 * time.Second }, "jwt.access_ttl: must be between 1m0s and 24h0m0s"},
		{"access_ttl big", func(c *Config) { c.JWT.AccessTTL = 25 * time.Hour; c.JWT.RefreshTTL = 48 * time.Hour }, "jwt.access_ttl: must be between 1m0s and 24h0m0s"},
		{"refresh_ttl below access", func(c *Config) { c.JWT.RefreshTTL = time.Hour }, "jwt.refresh_ttl: must be at least jwt.access_ttl"},
		{"refresh_ttl above 90 days", func(c *Config) { c.JWT.RefreshTTL = 90*24*time.Hour + 1 }, "jwt.refresh_ttl: "},
		{"captcha.driver", func(c *Config) { c.Captcha.Driver = "audio" }, "captcha.driver: must be one of string, math"},
		{"captcha.length 0", func(c *Config) { c.Captcha.Length = 0 }, "captcha.length: must be between 1 and 8"},
		{"captcha.length 9", func(c *Config) { c.Captcha.Length = 9 }, "captcha.length: must be between 1 and 8"},
		{"captcha.ttl small", func(c *Config) { c.Captcha.TTL = 29 * time.Second }, "captcha.ttl: must be between 30s and 1h0m0s"},
		{"captcha.ttl big", func(c *Config) { c.Captcha.TTL = 2 * time.Hour }, "captcha.ttl: must be between 30s and 1h0m0s"},
		{"log.level", func(c *Config) { c.Log.Level = "trace" }, "log.level: must be one of debug, info, warn, error"},
		{"log.format", func(c *Config) { c.Log.Format = "xml" }, "log.format: must be one of text, json"},
		{"mail.driver", func(c *Config) { c.Mail.Driver = "sendmail" }, "mail.driver: must be one of log, smtp"},
		{"mail.host for smtp", func(c *Config) { c.Mail.Driver = "smtp"; c.Mail.Host = "" }, "mail.host: must be set for the smtp driver"},
		{"mail.port 0", func(c *Config) { c.Mail.Port = 0 }, "mail.port: must be between 1 and 65535"},
		{"mail.port big", func(c *Config) { c.Mail.Port = 65536 }, "mail.port: must be between 1 and 65535"},
		{"mail.from", func(c *Config) { c.Mail.From = "blogapi" }, "mail.from: "},
		{"mail.tls_policy", func(c *Config) { c.Mail.TLSPolicy = "starttls" }, "mail.tls_policy: must be one of mandatory, opportunistic, none"},
		{"hash_concurrency", func(c *Config) { c.Security.HashConcurrency = -1 }, "security.hash_concurrency: must not be negative"},
		{"hash_queue negative", func(c *Config) { c.Security.HashQueue = -1 }, "security.hash_queue: must be between 0 and 100000"},
		{"hash_queue big", func(c *Config) { c.Security.HashQueue = 100001 }, "security.hash_queue: must be between 0 and 100000"},
		{"login_captcha_after", func(c *Config) { c.Security.LoginCaptchaAfter = 0 }, "security.login_captcha_after: must be at least 1"},
		{"login_lock_after", func(c *Config) { c.Security.LoginLockAfter = 3 }, "security.login_lock_after: must be more than security.login_captcha_after"},
		{"login_window small", func(c *Config) { c.Security.LoginWindow = 30 * time.Second }, "security.login_window: must be between 1m0s and 24h0m0s"},
		{"login_window big", func(c *Config) { c.Security.LoginWindow = 25 * time.Hour }, "security.login_window: must be between 1m0s and 24h0m0s"},
		{"rate without period", func(c *Config) { c.RateLimit.Captcha = Rate{Count: 30} }, "rate_limit.captcha: must be a count of at least 1"},
		{"rate negative count", func(c *Config) { c.RateLimit.CheckUsername = Rate{Count: -1, Period: time.Minute} }, "rate_limit.check_username: "},
		{"rate zero count", func(c *Config) { c.RateLimit.VerifyResend = Rate{Period: time.Minute} }, "rate_limit.verify_resend: "},
		{"metrics addr malformed", func(c *Config) { c.Metrics.Addr = "9090" }, "metrics.addr: must be host:port"},
		{"frontend_url relative", func(c *Config) { c.Server.FrontendURL = "blog.example.com" }, "server.frontend_url: must be an absolute http(s) URL"},
		{"frontend_url with a query", func(c *Config) { c.Server.FrontendURL = "https://blog.example.com/?a=1" }, "server.frontend_url: must be an absolute"},
		{"reset link without token", func(c *Config) { c.Mail.ResetLink = "{frontend_url}/reset-password" }, "mail.reset_link: must contain {token} once"},
		{"verify link with two tokens", func(c *Config) { c.Mail.VerifyLink = "{frontend_url}/v?token={token}&again={token}" }, "mail.verify_link: must contain {token} once"},
		{"verify link with an unknown placeholder", func(c *Config) { c.Mail.VerifyLink = "{frontend}/v?token={token}" }, "mail.verify_link: has a placeholder other than"},
		{"reset link relative", func(c *Config) { c.Mail.ResetLink = "/reset?token={token}" }, "mail.reset_link: must give an absolute http(s) URL"},
		{"metrics addr bad port", func(c *Config) { c.Metrics.Addr = ":http" }, "metrics.addr: port must be a number"},
		{"metrics addr while disabled", func(c *Config) {
			c.Metrics.Enabled = false
			c.Metrics.Addr = "127.0.0.1:9090"
		}, "metrics.addr: is set but metrics.enabled is false"},
		{"metrics addr is server addr", func(c *Config) { c.Metrics.Addr = ":8080" }, "metrics.addr: must differ from server.addr"},
		{"metrics addr on the API's port of all interfaces", func(c *Config) {
			c.Server.Addr = ":8080"
			c.Metrics.Addr = "127.0.0.1:8080"
		}, "metrics.addr: must differ from server.addr"},
		{"metrics addr on the API's port of 0.0.0.0", func(c *Config) {
			c.Server.Addr = "0.0.0.0:8080"
			c.Metrics.Addr = "127.0.0.1:8080"
		}, "metrics.addr: must differ from server.addr"},
		{"metrics addr on all interfaces (::) at the API's port", func(c *Config) {
			c.Server.Addr = "127.0.0.1:8080"
			c.Metrics.Addr = "[::]:8080"
		}, "metrics.addr: must differ from server.addr"},
		{"pprof without metrics addr", func(c *Config) { c.Metrics.PProf = true }, "metrics.pprof: requires metrics.addr"},
		{"media driver", func(c *Config) { c.Media.Driver = "gcs" }, "media.driver: must be one of local, s3"},
		{"media public_url relative", func(c *Config) { c.Media.PublicURL = "/media" }, "media.public_url: "},
		{"media public_url trailing slash", func(c *Config) { c.Media.PublicURL = "https://cdn.example.com/m/" }, "media.public_url: must not end with a slash"},
		{"media max_bytes", func(c *Config) { c.Media.MaxBytes = 64<<20 + 1 }, "media.max_bytes: must be between 1 KiB and 64 MiB"},
		{"media avatar over max", func(c *Config) { c.Media.AvatarMaxBytes = c.Media.MaxBytes + 1 }, "media.avatar_max_bytes: must be between 1 KiB and media.max_bytes"},
		{"media quota negative", func(c *Config) { c.Media.UserQuotaBytes = -1 }, "media.user_quota_bytes: must not be negative"},
		{"media staged_ttl", func(c *Config) { c.Media.StagedTTL = 31 * 24 * time.Hour }, "media.staged_ttl: must be between 1m0s and 720h0m0s"},
		{"media sweep_interval", func(c *Config) { c.Media.SweepInterval = time.Second }, "media.sweep_interval: must be between"},
		{"media process_concurrency", func(c *Config) { c.Media.ProcessConcurrency = -1 }, "media.process_concurrency: must not be negative"},
		{"media process_queue", func(c *Config) { c.Media.ProcessQueue = 10001 }, "media.process_queue: must be between 0 and 10000"},
		{"s3 without endpoint", func(c *Config) { c.Media.Driver = "s3" }, "media.s3.endpoint: must be http(s)://host[:port]"},
		{"s3 endpoint with a path", func(c *Config) {
			c.Media.Driver, c.Media.S3 = "s3", validS3()
			c.Media.S3.Endpoint = "https://s3.example.com/bucket"
		}, "media.s3.endpoint: "},
		{"s3 without bucket", func(c *Config) {
			c.Media.Driver, c.Media.S3 = "s3", validS3()
			c.Media.S3.Bucket = ""
		}, "media.s3.bucket: must be set for media.driver s3 (BLOGAPI_MEDIA_S3_BUCKET)"},
		{"s3 without secret", func(c *Config) {
			c.Media.Driver, c.Media.S3 = "s3", validS3()
			c.Media.S3.SecretKey = ""
		}, "media.s3.secret_key: must be set for media.driver s3 (BLOGAPI_MEDIA_S3_SECRET_KEY)"},
		{"upload rate", func(c *Config) { c.RateLimit.Upload = Rate{Count: 0, Period: time.Hour} }, "rate_limit.upload: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validDebug()
			tt.mutate(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !hasLine(err, tt.want) {
				t.Errorf("error %q has no line starting with %q", err, tt.want)
			}
		})
	}
}

// hasLine reports whether one of err's joined messages starts with prefix, ignoring the
// "config: " that Load puts before the first one.
func hasLine(err error, prefix string) bool {
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if strings.HasPrefix(strings.TrimPrefix(line, "config: "), prefix) {
			return true
		}
	}
	return false
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"addr with host", func(c *Config) { c.Server.Addr = "127.0.0.1:8080" }},
		{"addr IPv6 port 0", func(c *Config) { c.Server.Addr = "[::1]:0" }},
		{"proxies IPv4, IPv6, CIDR", func(c *Config) { c.Server.TrustedProxies = []string{"127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8"} }},
		{"origins with port", func(c *Config) {
			c.Server.CORS.AllowedOrigins = []string{"http://localhost:5173", "https://blog.example.com"}
		}},
		{"public_url with path", func(c *Config) { c.Server.PublicURL = "https://example.com/blog" }},
		{"frontend_url and link templates", func(c *Config) {
			c.Server.FrontendURL = "https://blog.example.com/app"
			c.Mail.VerifyLink = "{frontend_url}/#/verify?token={token}"
			c.Mail.ResetLink = "https://accounts.example.com/reset/{token}"
		}},
		{"links on the API", func(c *Config) { c.Mail.ResetLink = "{public_url}/blogapi/password/reset/check?token={token}" }},
		{"embedded_listen loopback", func(c *Config) { c.Mongo.EmbeddedListen = "[::1]:27017" }},
		{"remote mongo", func(c *Config) { c.Mongo.URI = "mongodb+srv://user:pw@cluster0.example.net/" }},
		{"bounds inclusive", func(c *Config) {
			c.Server.MaxBodyBytes = 1024
			c.Sign.MaxSkew = time.Hour
			c.JWT.AccessTTL = 24 * time.Hour
			c.JWT.RefreshTTL = 24 * time.Hour
			c.Captcha.Length = 8
			c.Captcha.TTL = 30 * time.Second
		}},
		{"refresh 90 days", func(c *Config) { c.JWT.RefreshTTL = 90 * 24 * time.Hour }},
		{"rate limits disabled", func(c *Config) { c.RateLimit = RateLimit{Store: RateStoreMemory} }},
		{"rate limits in mongo", func(c *Config) { c.RateLimit.Store = RateStoreMongo }},
		{"media on s3 behind a CDN, no quota", func(c *Config) {
			c.Media.Driver, c.Media.S3 = "s3", validS3()
			c.Media.PublicURL = "https://cdn.example.com/blog-media"
			c.Media.UserQuotaBytes = 0
		}},
		{"s3 credentials ignored with the local driver", func(c *Config) { c.Media.S3 = S3{} }},
		{"metrics on their own listener with pprof", func(c *Config) {
			c.Metrics.Addr = "127.0.0.1:9090"
			c.Metrics.PProf = true
		}},
		{"metrics off", func(c *Config) { c.Metrics.Enabled = false }},
		{"metrics and API both on port 0", func(c *Config) {
			c.Server.Addr = "127.0.0.1:0"
			c.Metrics.Addr = "127.0.0.1:0"
		}},
		{"metrics on the API's port of another host", func(c *Config) {
			c.Server.Addr = "10.0.0.1:8080"
			c.Metrics.Addr = "127.0.0.1:8080"
		}},
		{"debug allows development switches", func(c *Config) {
			c.Captcha.Enabled = false
			c.Mail.Driver = "log"
			c.Server.CORS.AllowedOrigins = []string{"*"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validDebug()
			tt.mutate(&c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestValidateReleaseRefusals(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"jwt.secret empty", func(c *Config) { c.JWT.Secret = "" }, "jwt.secret: must be set"},
		{"jwt.secret from config.yaml", func(c *Config) { c.JWT.Secret = exampleJWTSecret }, "jwt.secret: the example secret is refused in release mode"},
		{"jwt.secret containing Example", func(c *Config) { c.JWT.Secret = "my-EXAMPLE-secret-0123456789abcdefghij" }, "jwt.secret: the example secret is refused in release mode"},
		{"app secret from the API document", func(c *Config) { c.Sign.Apps[0].Secret = "G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh" }, "sign.apps[0].secret: the example secret is refused in release mode"},
		{"app secret containing example", func(c *Config) {
			c.Sign.Apps = append(c.Sign.Apps, App{Name: "b", Key: "k2", Secret: "an-example-app-secret"})
		}, "sign.apps[1].secret: the example secret is refused in release mode"},
		{"captcha disabled", func(c *Config) { c.Captcha.Enabled = false }, "captcha.enabled: must be true in release mode"},
		{"log mailer", func(c *Config) { c.Mail.Driver = "log" }, "mail.driver: the log mailer is for development; configure smtp"},
		{"cors star", func(c *Config) { c.Server.CORS.AllowedOrigins = []string{"https://a.example.com", "*"} }, `server.cors.allowed_origins[1]: "*" is refused in release mode`},
		{"public_url on localhost", func(c *Config) { c.Server.PublicURL = "http://localhost:8080" }, "server.public_url: points at this machine"},
		{"public_url on loopback", func(c *Config) { c.Server.PublicURL = "http://127.0.0.1:8080/blog" }, "server.public_url: points at this machine"},
		{"frontend_url on localhost", func(c *Config) { c.Server.FrontendURL = "http://localhost:5173" }, "server.frontend_url: points at this machine"},
		{"metrics on the API's address", func(c *Config) { c.Metrics.Addr = "" }, "metrics.addr: must be set in release mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validRelease()
			tt.mutate(&c)
			err := c.Validate()
			if err == nil || !hasLine(err, tt.want) {
				t.Fatalf("release: error %v, want a line starting with %q", err, tt.want)
			}
			if strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("release: want exactly one problem, got %q", err)
			}

			c.Server.Mode = "debug"
			err = c.Validate()
			if tt.name == "jwt.secret empty" {
				if err == nil || !hasLine(err, "jwt.secret: must be set") {
					t.Errorf("debug: error %v, want jwt.secret still required", err)
				}
				return
			}
			if err != nil {
				t.Errorf("debug: %v, want the same settings accepted", err)
			}
		})
	}
}

// The repository's config.yaml is a development file: switched to release it must fail on
// every example secret and development switch it ships with.
func TestRepoConfigRefusedInRelease(t *testing.T) {
	_, err := Load("../config.yaml", env(map[string]string{"BLOGAPI_SERVER_MODE": "release"}))
	for _, want := range []string{"jwt.secret: ", "sign.apps[0].secret: ", "mail.driver: "} {
		if err == nil || !hasLine(err, want) {
			t.Errorf("error %v, want a line starting with %q", err, want)
		}
	}
}

func TestParseRate(t *testing.T) {
	cases := []struct {
		in      string
		want    Rate
		wantErr bool
	}{
		{"", Rate{}, false},
		{"30-M", Rate{30, time.Minute}, false},
		{"5-H", Rate{5, time.Hour}, false},
		{"10-S", Rate{10, time.Second}, false},
		{"100-D", Rate{100, 24 * time.Hour}, false},
		{"5-h", Rate{5, time.Hour}, false},
		{"  ", Rate{}, true},
		{" 7-M ", Rate{}, true},
		{"0-M", Rate{}, true},
		{"-1-M", Rate{}, true},
		{"+5-H", Rate{}, true},
		{"30", Rate{}, true},
		{"30-W", Rate{}, true},
		{"5-H-1", Rate{}, true},
		{"x-M", Rate{}, true},
		{"30/M", Rate{}, true},
		{"1.5-M", Rate{}, true},
		{"99999999999999999999-M", Rate{}, true},
	}
	for _, tc := range cases {
		got, err := parseRate(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseRate(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestLoadUnknownEnumFromEnv: an enum value the server does not know, from the environment too,
// is a start-up error naming the key, never a silent default.
func TestLoadUnknownEnumFromEnv(t *testing.T) {
	for variable, want := range map[string]string{
		"BLOGAPI_SIGN_REPLAY":          "sign.replay: must be one of all, mutating, off",
		"BLOGAPI_RESPONSE_HTTP_STATUS": "response.http_status: must be one of mirror, standard",
		"BLOGAPI_CAPTCHA_DRIVER":       "captcha.driver: must be one of string, math",
		"BLOGAPI_MAIL_DRIVER":          "mail.driver: must be one of log, smtp",
		"BLOGAPI_RATE_LIMIT_STORE":     "rate_limit.store: must be one of memory, mongo",
	} {
		_, err := Load("../config.yaml", env(map[string]string{variable: "bogus"}))
		if err == nil || !hasLine(err, want) {
			t.Errorf("%s=bogus: error %v, want a line starting with %q", variable, err, want)
		}
	}
}

// TestProductionExample: config.production.example.yaml, named by the
// README's production section, starts in release mode once the secrets it
// leaves out are set in the environment, and names each one missing.
func TestProductionExample(t *testing.T) {
	const path = "../config.production.example.yaml"
	secrets := map[string]string{
		"BLOGAPI_JWT_SECRET":    realJWTSecret,
		"BLOGAPI_SIGN_APPS":     `[{"name":"blog-spa","key":"k1","secret":"` + realAppSecret + `"}]`,
		"BLOGAPI_MAIL_PASSWORD": "smtp-password",
		"BLOGAPI_MONGO_URI":     "mongodb://blogapi:pw@mongo-0.example.internal:27017/?replicaSet=rs0",
	}
	cfg, err := Load(path, env(secrets))
	if err != nil {
		t.Fatalf("Load(%s) with the secrets set: %v", path, err)
	}
	if cfg.Server.Mode != "release" || cfg.Mail.Driver != MailSMTP || cfg.Metrics.Addr == "" ||
		len(cfg.Server.CORS.AllowedOrigins) == 0 || cfg.Mongo.URI != secrets["BLOGAPI_MONGO_URI"] || cfg.Mail.Password != "smtp-password" {
		t.Errorf("production example loaded as %+v", cfg)
	}

	_, err = Load(path, noEnv)
	for _, key := range []string{"jwt.secret", "sign.apps"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Load(%s) with no secrets: error %v; want one naming %s", path, err, key)
		}
	}
}

func TestUnknownEnv(t *testing.T) {
	environ := []string{
		"PATH=/usr/bin", "BLOGAPI_JWT_SECRET=x", "BLOGAPI_SERVER_CORS_ALLOWED_ORIGINS=", "BLOGAPI_SIGN_APPS=[]",
		"BLOGAPI_JWT_SECRETS=x", "BLOGAPI_CAPTCHA_ENABLD=false", "BLOGAPI_SERVER=x", "BLOGAPI_=x", "blogapi_jwt_secret=x",
	}
	got := UnknownEnv(environ)
	want := []string{"BLOGAPI_", "BLOGAPI_CAPTCHA_ENABLD", "BLOGAPI_JWT_SECRETS", "BLOGAPI_SERVER"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UnknownEnv = %q, want %q", got, want)
	}
	if got := UnknownEnv([]string{"HOME=/root", "BLOGAPI_MONGO_URI=mongodb://x"}); got != nil {
		t.Errorf("UnknownEnv of known names = %q, want none", got)
	}
}
