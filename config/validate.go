package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Validate checks every key and returns all problems joined (errors.Join), each message
// starting with the key it is about: "server.max_body_bytes: must be between 1 KiB and 64 MiB".
// In release mode it also refuses an empty or example jwt.secret, example sign.apps secrets,
// captcha.enabled false, the log mailer, CORS "*", a localhost public_url and metrics on the API's
// address (README, "Configuration"), naming the key to set. Load runs it; run it again after
// changing a loaded Config in code.
func (c Config) Validate() error {
	p := &problems{release: c.Server.Mode == "release"}
	p.server(c.Server)
	p.response(c.Response)
	p.mongo(c.Mongo, c.Data)
	p.sign(c.Sign)
	p.jwt(c.JWT)
	p.captcha(c.Captcha)
	p.log(c.Log)
	p.mail(c.Mail)
	p.mailLinks(c.Mail, c.Server)
	p.security(c.Security)
	p.rateLimit(c.RateLimit)
	p.metrics(c.Metrics, c.Server.Addr)
	oneOf(p, "content.comment_moderation", c.Content.CommentModeration, "off", "first", "all")
	p.media(c.Media)
	return errors.Join(p.errs...)
}

// problems collects the validation errors of one Config; release is server.mode release.
type problems struct {
	release bool
	errs    []error
}

func (p *problems) bad(key, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
}

// oneOf refuses val unless it is one of allowed, listing them.
func oneOf[T ~string](p *problems, key string, val T, allowed ...T) {
	if !slices.Contains(allowed, val) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = string(a)
		}
		p.bad(key, "must be one of %s (got %q)", strings.Join(names, ", "), val)
	}
}

func (p *problems) between(key string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		p.bad(key, "must be between %s and %s (got %s)", lo, hi, d)
	}
}

// server checks server.*.
func (p *problems) server(s Server) {
	if err := checkHostPort(s.Addr); err != nil {
		p.bad("server.addr", "%v", err)
	}
	oneOf(p, "server.mode", s.Mode, "debug", "release")
	if s.MaxBodyBytes < 1<<10 || s.MaxBodyBytes > 64<<20 {
		p.bad("server.max_body_bytes", "must be between 1 KiB and 64 MiB (1024–67108864 bytes)")
	}
	for i, proxy := range s.TrustedProxies {
		if err := checkProxy(proxy); err != nil {
			p.bad(fmt.Sprintf("server.trusted_proxies[%d]", i), "%v", err)
		}
	}
	for i, o := range s.CORS.AllowedOrigins {
		key := fmt.Sprintf("server.cors.allowed_origins[%d]", i)
		if o == "*" {
			if p.release {
				p.bad(key, `"*" is refused in release mode; list the frontend origins`)
			}
			continue
		}
		if err := checkOrigin(o); err != nil {
			p.bad(key, "%v", err)
		}
	}
	if err := checkPublicURL(s.PublicURL); err != nil {
		p.bad("server.public_url", "%v", err)
	} else if p.release && isLocalURL(s.PublicURL) {
		p.bad("server.public_url", "points at this machine (%s); mail links would not reach users — set the public address", s.PublicURL)
	}
	if s.FrontendURL != "" {
		if err := checkPublicURL(s.FrontendURL); err != nil {
			p.bad("server.frontend_url", "%v", err)
		} else if p.release && isLocalURL(s.FrontendURL) {
			p.bad("server.frontend_url", "points at this machine (%s); mail links would not reach users — set the blog's public address", s.FrontendURL)
		}
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
			p.bad(t.key, "must be positive (got %s)", t.d)
		}
	}
}

// response checks response.*.
func (p *problems) response(r Response) {
	oneOf(p, "response.http_status", r.HTTPStatus, StatusMirror, StatusStandard)
}

// mongo checks mongo.* and data.*.
func (p *problems) mongo(m Mongo, d Data) {
	p.between("mongo.op_timeout", m.OpTimeout, 100*time.Millisecond, time.Minute)
	if u := m.URI; u != "" && !strings.HasPrefix(u, "mongodb://") && !strings.HasPrefix(u, "mongodb+srv://") {
		p.bad("mongo.uri", `must start with "mongodb://" or "mongodb+srv://", or be empty for the embedded database`)
	}
	if db := m.Database; db == "" || len(db) > 63 || strings.ContainsAny(db, "/\\. \"$*<>:|?\x00") {
		p.bad("mongo.database", `must be 1–63 bytes without any of / \ . space " $ * < > : | ?`)
	}
	if m.EmbeddedListen != "" {
		if err := checkHostPort(m.EmbeddedListen); err != nil {
			p.bad("mongo.embedded_listen", "%v", err)
		} else if !isLoopback(m.EmbeddedListen) {
			p.bad("mongo.embedded_listen", "must be a loopback address (127.0.0.1, ::1 or localhost): the embedded database has no authentication")
		}
	}
	if d.Dir == "" {
		p.bad("data.dir", "must not be empty")
	}
}

// sign checks sign.*.
func (p *problems) sign(s Sign) {
	if len(s.Apps) == 0 {
		p.bad("sign.apps", "at least one app is required (set sign.apps or BLOGAPI_SIGN_APPS)")
	}
	keys := make(map[string]int, len(s.Apps))
	for i, app := range s.Apps {
		key := fmt.Sprintf("sign.apps[%d]", i)
		if app.Name == "" {
			p.bad(key+".name", "must not be empty")
		}
		if app.Key == "" {
			p.bad(key+".key", "must not be empty")
		} else if j, dup := keys[app.Key]; dup {
			p.bad(key+".key", "duplicates sign.apps[%d].key", j)
		} else {
			keys[app.Key] = i
		}
		if utf8.RuneCountInString(app.Secret) < 16 {
			p.bad(key+".secret", "must be at least 16 characters")
		} else if p.release && isExampleSecret(app.Secret) {
			p.bad(key+".secret", "the example secret is refused in release mode; set sign.apps (or BLOGAPI_SIGN_APPS) with a secret of your own")
		}
	}
	p.between("sign.max_skew", s.MaxSkew, time.Second, time.Hour)
	oneOf(p, "sign.replay", s.Replay, ReplayAll, ReplayMutating, ReplayOff)
}

// jwt checks jwt.*.
func (p *problems) jwt(j JWT) {
	switch {
	case j.Secret == "":
		p.bad("jwt.secret", "must be set (at least 32 bytes; BLOGAPI_JWT_SECRET)")
	case len(j.Secret) < 32:
		p.bad("jwt.secret", "must be at least 32 bytes")
	case p.release && isExampleSecret(j.Secret):
		p.bad("jwt.secret", "the example secret is refused in release mode; set BLOGAPI_JWT_SECRET to a random value of at least 32 bytes")
	}
	if j.Issuer == "" {
		p.bad("jwt.issuer", "must not be empty")
	}
	p.between("jwt.access_ttl", j.AccessTTL, time.Minute, 24*time.Hour)
	if j.RefreshTTL < j.AccessTTL || j.RefreshTTL > 90*24*time.Hour {
		p.bad("jwt.refresh_ttl", "must be at least jwt.access_ttl (%s) and at most 90 days (2160h) (got %s)", j.AccessTTL, j.RefreshTTL)
	}
}

// captcha checks captcha.*.
func (p *problems) captcha(c Captcha) {
	if p.release && !c.Enabled {
		p.bad("captcha.enabled", "must be true in release mode (false is for automated tests only)")
	}
	oneOf(p, "captcha.driver", c.Driver, CaptchaString, CaptchaMath)
	if c.Length < 1 || c.Length > 8 {
		p.bad("captcha.length", "must be between 1 and 8 (got %d)", c.Length)
	}
	p.between("captcha.ttl", c.TTL, 30*time.Second, time.Hour)
}

// log checks log.*.
func (p *problems) log(l Log) {
	oneOf(p, "log.level", l.Level, "debug", "info", "warn", "error")
	oneOf(p, "log.format", l.Format, "text", "json")
}

// mail checks mail.*.
func (p *problems) mail(m Mail) {
	oneOf(p, "mail.driver", m.Driver, MailLog, MailSMTP)
	if p.release && m.Driver == MailLog {
		p.bad("mail.driver", "the log mailer is for development; configure smtp")
	}
	if m.Driver == MailSMTP && m.Host == "" {
		p.bad("mail.host", "must be set for the smtp driver")
	}
	if m.Port < 1 || m.Port > 65535 {
		p.bad("mail.port", "must be between 1 and 65535 (got %d)", m.Port)
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		p.bad("mail.from", `must be an address such as "blogapi <no-reply@example.com>"`)
	}
	oneOf(p, "mail.tls_policy", m.TLSPolicy, "mandatory", "opportunistic", "none")
}

// mailLinks checks mail.verify_link and mail.reset_link: {token} once, no
// other placeholder than {frontend_url} and {public_url}, and an absolute
// http(s) URL once they are filled in (the rendering is services/mail's).
func (p *problems) mailLinks(m Mail, s Server) {
	frontend := s.FrontendURL
	if frontend == "" {
		frontend = s.PublicURL // the link then goes to the API; the template's shape is still checked
	}
	fill := strings.NewReplacer("{frontend_url}", frontend, "{public_url}", s.PublicURL, "{token}", "TOKEN")
	for _, l := range []struct{ key, tmpl string }{{"mail.verify_link", m.VerifyLink}, {"mail.reset_link", m.ResetLink}} {
		rest := strings.NewReplacer("{frontend_url}", "", "{public_url}", "", "{token}", "").Replace(l.tmpl)
		switch link := fill.Replace(l.tmpl); {
		case strings.Count(l.tmpl, "{token}") != 1:
			p.bad(l.key, "must contain {token} once, such as \"{frontend_url}/reset-password?token={token}\" (got %q)", l.tmpl)
		case strings.ContainsAny(rest, "{}"):
			p.bad(l.key, "has a placeholder other than {token}, {frontend_url} and {public_url} (got %q)", l.tmpl)
		default:
			if u, err := url.Parse(link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				p.bad(l.key, "must give an absolute http(s) URL, such as \"{frontend_url}/verify-email?token={token}\" (got %q)", l.tmpl)
			}
		}
	}
}

// security checks security.*.
func (p *problems) security(s Security) {
	if s.HashConcurrency < 0 {
		p.bad("security.hash_concurrency", "must not be negative (0 means half the CPUs, at least 1)")
	}
	if s.HashQueue < 0 || s.HashQueue > 100000 {
		p.bad("security.hash_queue", "must be between 0 and 100000 (got %d)", s.HashQueue)
	}
	if s.LoginCaptchaAfter < 1 {
		p.bad("security.login_captcha_after", "must be at least 1 (got %d)", s.LoginCaptchaAfter)
	}
	if s.LoginLockAfter <= s.LoginCaptchaAfter {
		p.bad("security.login_lock_after", "must be more than security.login_captcha_after (%d) (got %d)", s.LoginCaptchaAfter, s.LoginLockAfter)
	}
	p.between("security.login_window", s.LoginWindow, time.Minute, 24*time.Hour)
	if s.LoginCaptchaAfterIP < 1 {
		p.bad("security.login_captcha_after_ip", "must be at least 1 (got %d)", s.LoginCaptchaAfterIP)
	}
	if s.LoginFloodPerMinute < 1 {
		p.bad("security.login_flood_per_minute", "must be at least 1 (got %d)", s.LoginFloodPerMinute)
	}
}

// rateLimit checks rate_limit.*: a Rate set in code (Load's are parsed) is the zero
// Rate or a count of at least 1 per a positive period.
func (p *problems) rateLimit(r RateLimit) {
	oneOf(p, "rate_limit.store", r.Store, RateStoreMemory, RateStoreMongo)
	for _, k := range []struct {
		key  string
		rate Rate
	}{
		{"rate_limit.captcha", r.Captcha},
		{"rate_limit.check_username", r.CheckUsername},
		{"rate_limit.register", r.Register},
		{"rate_limit.forgot_password", r.ForgotPassword},
		{"rate_limit.verify_resend", r.VerifyResend},
		{"rate_limit.search", r.Search},
		{"rate_limit.comment", r.Comment},
		{"rate_limit.upload", r.Upload},
	} {
		if k.rate != (Rate{}) && (k.rate.Count < 1 || k.rate.Period <= 0) {
			p.bad(k.key, "must be a count of at least 1 per a positive period, or no limit (got %d per %s)", k.rate.Count, k.rate.Period)
		}
	}
}

// metrics checks metrics.*; apiAddr is server.addr.
func (p *problems) metrics(m Metrics, apiAddr string) {
	if m.Addr != "" {
		switch err := checkHostPort(m.Addr); {
		case err != nil:
			p.bad("metrics.addr", "%v", err)
		case !m.Enabled:
			p.bad("metrics.addr", "is set but metrics.enabled is false; set metrics.enabled to true or metrics.addr to \"\"")
		case sameListener(m.Addr, apiAddr):
			p.bad("metrics.addr", "must differ from server.addr (%s): the metrics listener is a second listener", apiAddr)
		}
	}
	if m.PProf && m.Addr == "" {
		p.bad("metrics.pprof", "requires metrics.addr: profiling is served on the metrics listener only, never on the API's address")
	}
	if p.release && m.Enabled && m.Addr == "" {
		p.bad("metrics.addr", "must be set in release mode (e.g. 127.0.0.1:9090, a private address): on the API's address the metrics are public; or set metrics.enabled to false")
	}
}

// media checks media.*.
func (p *problems) media(m Media) {
	oneOf(p, "media.driver", m.Driver, MediaLocal, MediaS3)
	if m.PublicURL != "" {
		if err := checkPublicURL(m.PublicURL); err != nil {
			p.bad("media.public_url", "%v", err)
		} else if strings.HasSuffix(m.PublicURL, "/") {
			p.bad("media.public_url", "must not end with a slash (got %q)", m.PublicURL)
		}
	}
	if m.MaxBytes < 1<<10 || m.MaxBytes > 64<<20 {
		p.bad("media.max_bytes", "must be between 1 KiB and 64 MiB (1024–67108864 bytes) (got %d)", m.MaxBytes)
	}
	if m.AvatarMaxBytes < 1<<10 || m.AvatarMaxBytes > m.MaxBytes {
		p.bad("media.avatar_max_bytes", "must be between 1 KiB and media.max_bytes (%d) (got %d)", m.MaxBytes, m.AvatarMaxBytes)
	}
	if m.UserQuotaBytes < 0 {
		p.bad("media.user_quota_bytes", "must not be negative (0 means no quota)")
	}
	p.between("media.staged_ttl", m.StagedTTL, time.Minute, 720*time.Hour)
	p.between("media.sweep_interval", m.SweepInterval, time.Minute, 24*time.Hour)
	if m.ProcessConcurrency < 0 {
		p.bad("media.process_concurrency", "must not be negative (0 means half the CPUs, at least 1)")
	}
	if m.ProcessQueue < 0 || m.ProcessQueue > 10000 {
		p.bad("media.process_queue", "must be between 0 and 10000 (got %d)", m.ProcessQueue)
	}
	if m.Driver != MediaS3 {
		return
	}
	if u, err := url.Parse(m.S3.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		p.bad("media.s3.endpoint", `must be http(s)://host[:port] such as "https://s3.eu-west-1.amazonaws.com" (got %q)`, m.S3.Endpoint)
	}
	for _, k := range []struct{ key, val string }{
		{"media.s3.bucket", m.S3.Bucket}, {"media.s3.region", m.S3.Region},
		{"media.s3.access_key", m.S3.AccessKey}, {"media.s3.secret_key", m.S3.SecretKey},
	} {
		if k.val == "" {
			p.bad(k.key, "must be set for media.driver s3 (BLOGAPI_%s)", strings.ToUpper(strings.ReplaceAll(k.key, ".", "_")))
		}
	}
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
