package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services/mail"
)

func TestLogMailerLogsAndStoresInOutbox(t *testing.T) {
	ctx := context.Background()
	outbox := dbtest.New(t).Outbox
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	m := mail.NewLogMailer(logger, outbox, func() time.Time { return now })

	msg := mail.Message{
		To:      "bob@example.com",
		Subject: "Hello",
		Text:    "open https://blog.example.com/blogapi/email/verify?token=abc",
		HTML:    "<p>secret-html-marker</p>",
	}
	if err := m.Send(ctx, msg); err != nil {
		t.Fatal(err)
	}
	got, err := outbox.Latest(ctx, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got.To != msg.To || got.Subject != msg.Subject || got.Text != msg.Text || got.HTML != msg.HTML || !got.CreatedAt.Equal(now) {
		t.Fatalf("outbox holds %+v, want %+v at %v", got, msg, now)
	}
	if tok, ok := mail.LinkToken(got.Text, "/blogapi/email/verify"); !ok || tok != "abc" {
		t.Fatalf("LinkToken on the outbox text = %q, %v", tok, ok)
	}

	line := logs.String()
	for _, want := range []string{`"level":"INFO"`, `"to":"bob@example.com"`, `"subject":"Hello"`, "verify?token=abc"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %s lacks %s", line, want)
		}
	}
	if strings.Contains(line, "secret-html-marker") {
		t.Errorf("log carries the HTML part: %s", line)
	}

	bad := []mail.Message{
		{To: "not an address", Subject: "s", Text: "t"},
		{To: "", Subject: "s", Text: "t"},
		{To: "carol@example.com", Subject: "", Text: "t"},
		{To: "carol@example.com", Subject: "a\r\nBcc: eve@example.com", Text: "t"},
		{To: "carol@example.com", Subject: "s", Text: ""},
	}
	for _, b := range bad {
		if err := m.Send(ctx, b); err == nil {
			t.Errorf("Send(%+v) succeeded, want an error", b)
		}
	}
	if _, err := outbox.Latest(ctx, "carol@example.com"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a refused message reached the outbox: %v", err)
	}
}

func TestMailTemplatesLinks(t *testing.T) {
	token := "a+b/c=d&e f" // escaping must survive a round trip
	tests := []struct {
		publicURL, wantBase string
	}{
		{"https://blog.example.com", "https://blog.example.com"},
		{"https://blog.example.com/", "https://blog.example.com"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"https://example.com/blog/", "https://example.com/blog"},
	}
	for _, tt := range tests {
		t.Run(tt.publicURL, func(t *testing.T) {
			mt, err := mail.NewTemplates(apiLinks(tt.publicURL))
			if err != nil {
				t.Fatal(err)
			}
			verify, err := mt.VerifyEmail("bob@example.com", "Bob", token)
			if err != nil {
				t.Fatal(err)
			}
			reset, err := mt.PasswordReset("bob@example.com", "Bob", token)
			if err != nil {
				t.Fatal(err)
			}
			escaped := "a%2Bb%2Fc%3Dd%26e+f"
			for _, c := range []struct {
				msg  mail.Message
				path string
			}{{verify, "/blogapi/email/verify"}, {reset, "/blogapi/password/reset/check"}} {
				wantLink := tt.wantBase + c.path + "?token=" + escaped
				if !strings.Contains(c.msg.Text, wantLink+"\n") {
					t.Errorf("text lacks %s:\n%s", wantLink, c.msg.Text)
				}
				if !strings.Contains(c.msg.HTML, `href="`+strings.ReplaceAll(wantLink, "+", "&#43;")+`"`) {
					t.Errorf("HTML lacks a link to %s:\n%s", wantLink, c.msg.HTML)
				}
				if got, ok := mail.LinkToken(c.msg.Text, c.path); !ok || got != token {
					t.Errorf("LinkToken(text) = %q, %v; want %q", got, ok, token)
				}
				if c.msg.To != "bob@example.com" || c.msg.Subject == "" {
					t.Errorf("To %q, Subject %q", c.msg.To, c.msg.Subject)
				}
			}
		})
	}
}

func TestMailTemplatesBadPublicURL(t *testing.T) {
	for _, u := range []string{
		"", "blog.example.com", "/blogapi", "ftp://blog.example.com", "https://",
		"https://blog.example.com/?x=1", "https://blog.example.com/#top", "https://user:pw@blog.example.com",
		"https://blog.example.com/%zz",
	} {
		if _, err := mail.NewTemplates(apiLinks(u)); err == nil {
			t.Errorf("NewTemplates(%q) accepted", u)
		}
		if _, err := mail.NewTemplates(mail.Links{PublicURL: "https://api.example.com", FrontendURL: u, Verify: defaultVerify, Reset: defaultReset}); u != "" && err == nil {
			t.Errorf("NewTemplates(frontend %q) accepted", u)
		}
	}
	if _, err := mail.NewTemplates(mail.Links{PublicURL: "https://api.example.com", FrontendURL: "https://blog.example.com", Verify: "{frontend_url}/v", Reset: defaultReset}); err == nil {
		t.Error("NewTemplates accepted a link template without {token}")
	}
}

// The default link templates (config.yaml).
const (
	defaultVerify = "{frontend_url}/verify-email?token={token}"
	defaultReset  = "{frontend_url}/reset-password?token={token}"
)

// apiLinks are the default links with no frontend: they point at the API.
func apiLinks(publicURL string) mail.Links {
	return mail.Links{PublicURL: publicURL, Verify: defaultVerify, Reset: defaultReset}
}

// TestMailTemplatesFrontendLinks: with server.frontend_url set the links
// open the frontend, as the templates say; a template may also name
// {public_url} or neither.
func TestMailTemplatesFrontendLinks(t *testing.T) {
	token := "a+b/c"
	tests := []struct {
		name                  string
		links                 mail.Links
		wantVerify, wantReset string
	}{
		{"defaults", mail.Links{PublicURL: "https://api.example.com", FrontendURL: "https://blog.example.com/", Verify: defaultVerify, Reset: defaultReset},
			"https://blog.example.com/verify-email?token=a%2Bb%2Fc", "https://blog.example.com/reset-password?token=a%2Bb%2Fc"},
		{"own templates", mail.Links{PublicURL: "https://api.example.com", FrontendURL: "https://blog.example.com/app",
			Verify: "{frontend_url}/#/verify/{token}", Reset: "{public_url}/blogapi/password/reset/check?token={token}"},
			"https://blog.example.com/app/#/verify/a%2Bb%2Fc", "https://api.example.com/blogapi/password/reset/check?token=a%2Bb%2Fc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mt, err := mail.NewTemplates(tt.links)
			if err != nil {
				t.Fatal(err)
			}
			verify, _ := mt.VerifyEmail("bob@example.com", "Bob", token)
			reset, _ := mt.PasswordReset("bob@example.com", "Bob", token)
			if !strings.Contains(verify.Text, tt.wantVerify+"\n") {
				t.Errorf("verify mail lacks %s:\n%s", tt.wantVerify, verify.Text)
			}
			if !strings.Contains(reset.Text, tt.wantReset+"\n") {
				t.Errorf("reset mail lacks %s:\n%s", tt.wantReset, reset.Text)
			}
		})
	}
}

func TestMailTemplatesContent(t *testing.T) {
	mt, err := mail.NewTemplates(apiLinks("https://blog.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	const nick = `<script>alert("x")</script>`
	render := map[string]func() (mail.Message, error){
		"verify":  func() (mail.Message, error) { return mt.VerifyEmail("bob@example.com", nick, "tok") },
		"reset":   func() (mail.Message, error) { return mt.PasswordReset("bob@example.com", nick, "tok") },
		"changed": func() (mail.Message, error) { return mt.PasswordChanged("bob@example.com", nick) },
		"newemail": func() (mail.Message, error) {
			return mt.EmailChanged("bob@example.com", nick, "alice@new.example.org")
		},
	}
	for name, fn := range render {
		t.Run(name, func(t *testing.T) {
			m, err := fn()
			if err != nil {
				t.Fatal(err)
			}
			if m.To != "bob@example.com" || m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") {
				t.Errorf("To %q, Subject %q", m.To, m.Subject)
			}
			if !strings.Contains(m.Text, "Hello "+nick+",") {
				t.Errorf("text does not greet the nick as is:\n%s", m.Text)
			}
			if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") {
				t.Errorf("nick not HTML-escaped:\n%s", m.HTML)
			}
			if !strings.HasPrefix(m.HTML, "<!DOCTYPE html>") || !strings.Contains(m.HTML, "</html>") {
				t.Errorf("HTML part is not a document:\n%s", m.HTML)
			}
		})
	}

	reset, _ := mt.PasswordReset("bob@example.com", "Bob", "tok")
	if !strings.Contains(reset.Text, "30 minutes") || !strings.Contains(reset.Text, "only once") {
		t.Errorf("reset text does not state validity and single use:\n%s", reset.Text)
	}
	verify, _ := mt.VerifyEmail("bob@example.com", "Bob", "tok")
	if !strings.Contains(verify.Text, "24 hours") {
		t.Errorf("verify text does not state validity:\n%s", verify.Text)
	}
	anon, _ := mt.PasswordChanged("bob@example.com", "")
	if !strings.Contains(anon.Text, "Hello there,") {
		t.Errorf("empty nick greeting:\n%s", anon.Text)
	}
	changed, _ := mt.EmailChanged("old@example.com", "Bob", "alice@new.example.org")
	if changed.To != "old@example.com" {
		t.Errorf("email-changed notice goes to %q, want the old address", changed.To)
	}
	for _, part := range []string{changed.Text, changed.HTML} {
		if !strings.Contains(part, "a***@new.example.org") || strings.Contains(part, "alice@") {
			t.Errorf("new address not masked:\n%s", part)
		}
	}
	if _, err := mt.VerifyEmail("bob@example.com", "Bob", ""); err == nil {
		t.Error("verify mail with an empty token rendered")
	}
	if _, err := mt.PasswordReset("bob@example.com", "Bob", ""); err == nil {
		t.Error("reset mail with an empty token rendered")
	}
}

func TestLinkToken(t *testing.T) {
	const path = "/blogapi/email/verify"
	tests := []struct {
		name, text string
		want       string
		ok         bool
	}{
		{"alone", "https://x.example" + path + "?token=abc", "abc", true},
		{"in a sentence", "Open https://x.example" + path + "?token=abc now.", "abc", true},
		{"line end", "link:\nhttps://x.example" + path + "?token=abc\r\nbye", "abc", true},
		{"escaped", "https://x" + path + "?token=a%2Bb%2Fc+d", "a+b/c d", true},
		{"html attribute", `<a href="https://x` + path + `?token=abc">`, "abc", true},
		{"first of two", "x" + path + "?token=one y" + path + "?token=two", "one", true},
		{"more parameters", "x" + path + "?token=abc&lang=en", "abc", true},
		{"other path", "https://x/blogapi/password/reset/check?token=abc", "", false},
		{"no token", "https://x" + path, "", false},
		{"empty token", "https://x" + path + "?token= ", "", false},
		{"bad escape", "https://x" + path + "?token=%zz", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := mail.LinkToken(tt.text, path)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("LinkToken = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSMTPMailerConfig(t *testing.T) {
	good := mail.SMTPConfig{Host: "smtp.example.com", Port: 587, From: "Blog <noreply@example.com>", TLSPolicy: "mandatory"}
	tests := []struct {
		name   string
		change func(*mail.SMTPConfig)
		ok     bool
	}{
		{"valid", func(*mail.SMTPConfig) {}, true},
		{"default policy", func(c *mail.SMTPConfig) { c.TLSPolicy = "" }, true},
		{"opportunistic", func(c *mail.SMTPConfig) { c.TLSPolicy = "opportunistic" }, true},
		{"implicit TLS port", func(c *mail.SMTPConfig) { c.Port = 465 }, true},
		{"with auth", func(c *mail.SMTPConfig) { c.Username, c.Password = "u", "p" }, true},
		{"no host", func(c *mail.SMTPConfig) { c.Host = "" }, false},
		{"blank host", func(c *mail.SMTPConfig) { c.Host = "  " }, false},
		{"port 0", func(c *mail.SMTPConfig) { c.Port = 0 }, false},
		{"port negative", func(c *mail.SMTPConfig) { c.Port = -25 }, false},
		{"port too big", func(c *mail.SMTPConfig) { c.Port = 65536 }, false},
		{"bad TLS policy", func(c *mail.SMTPConfig) { c.TLSPolicy = "sometimes" }, false},
		{"TLS policy case", func(c *mail.SMTPConfig) { c.TLSPolicy = "Mandatory" }, false},
		{"none on 465", func(c *mail.SMTPConfig) { c.Port, c.TLSPolicy = 465, "none" }, false},
		{"no from", func(c *mail.SMTPConfig) { c.From = "" }, false},
		{"bad from", func(c *mail.SMTPConfig) { c.From = "noreply" }, false},
		{"password without username", func(c *mail.SMTPConfig) { c.Password = "p" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			m, err := mail.NewSMTPMailer(cfg)
			if tt.ok && (err != nil || m == nil) {
				t.Fatalf("NewSMTPMailer: %v", err)
			}
			if !tt.ok && err == nil {
				t.Fatal("NewSMTPMailer accepted the config")
			}
		})
	}
}

// smtpDelivery is what the fake server received in one transaction.
type smtpDelivery struct {
	from string
	rcpt []string
	data []byte
}

// fakeSMTP serves just enough SMTP on 127.0.0.1 for go-mail without TLS:
// 220 greeting, EHLO/HELO, MAIL, RCPT (550 for addresses containing
// "reject"), DATA, QUIT, and 250 to anything else (RSET, NOOP). It offers
// no STARTTLS and serves one connection at a time.
type fakeSMTP struct {
	port int
	// delivered gets each completed DATA before its 250 reply, so it is
	// there when Send returns.
	delivered chan smtpDelivery
	// hungUp gets a value each time the client closes a connection.
	hungUp chan struct{}
}

func startFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{
		port:      ln.Addr().(*net.TCPAddr).Port,
		delivered: make(chan smtpDelivery, 16),
		hungUp:    make(chan struct{}, 16),
	}
	var mu sync.Mutex
	var current net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			current = conn
			mu.Unlock()
			f.serve(conn)
			f.hungUp <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		if current != nil {
			_ = current.Close()
		}
		mu.Unlock()
		<-done
	})
	return f
}

// serve answers one connection until the client quits or hangs up.
func (f *fakeSMTP) serve(conn net.Conn) {
	defer conn.Close()
	tp := textproto.NewConn(conn)
	if tp.PrintfLine("220 fake.test ESMTP") != nil {
		return
	}
	var cur smtpDelivery
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		reply := "250 OK"
		switch strings.ToUpper(verb) {
		case "EHLO":
			reply = "250-fake.test greets you\r\n250 8BITMIME"
		case "MAIL":
			cur = smtpDelivery{from: arg}
		case "RCPT":
			if strings.Contains(arg, "reject") {
				reply = "550 5.1.1 no such user"
			} else {
				cur.rcpt = append(cur.rcpt, arg)
			}
		case "DATA":
			if tp.PrintfLine("354 go ahead") != nil {
				return
			}
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.data = data
			f.delivered <- cur
			cur = smtpDelivery{}
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			// Wait for the client to close: hungUp then means the client
			// let go of the connection.
			_, _ = io.Copy(io.Discard, conn)
			return
		}
		if tp.PrintfLine("%s", reply) != nil {
			return
		}
	}
}

// waitHangUp fails the test unless the client closes its connection. The
// bound only turns a leak into a failure instead of a hang.
func (f *fakeSMTP) waitHangUp(t *testing.T) {
	t.Helper()
	select {
	case <-f.hungUp:
	case <-time.After(10 * time.Second):
		t.Fatal("the mailer left its SMTP connection open")
	}
}

func TestSMTPMailerSendsMultipart(t *testing.T) {
	srv := startFakeSMTP(t)
	mailer, err := mail.NewSMTPMailer(mail.SMTPConfig{
		Host: "127.0.0.1", Port: srv.port, From: "Blog <noreply@example.com>", TLSPolicy: "none", Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	mt, err := mail.NewTemplates(apiLinks("https://blog.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mt.VerifyEmail("bob@example.com", "Zoë <b>", "tok-123")
	if err != nil {
		t.Fatal(err)
	}
	if err := mailer.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	var d smtpDelivery
	select {
	case d = <-srv.delivered:
	default:
		t.Fatal("Send returned but the server received no message")
	}
	srv.waitHangUp(t)
	if d.from != "FROM:<noreply@example.com>" && !strings.HasPrefix(d.from, "FROM:<noreply@example.com> ") {
		t.Errorf("MAIL %s", d.from)
	}
	if len(d.rcpt) != 1 || !strings.HasPrefix(d.rcpt[0], "TO:<bob@example.com>") {
		t.Errorf("RCPT %v", d.rcpt)
	}

	parsed, err := netmail.ReadMessage(bytes.NewReader(d.data))
	if err != nil {
		t.Fatal(err)
	}
	if s := parsed.Header.Get("Subject"); s != msg.Subject {
		t.Errorf("Subject %q, want %q", s, msg.Subject)
	}
	if to, err := parsed.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "bob@example.com" {
		t.Errorf("To %v, %v", to, err)
	}
	if from, err := parsed.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "noreply@example.com" {
		t.Errorf("From %v, %v", from, err)
	}
	if parsed.Header.Get("Date") == "" || parsed.Header.Get("Message-Id") == "" {
		t.Errorf("missing Date or Message-ID: %v", parsed.Header)
	}
	mediaType, params, err := mime.ParseMediaType(parsed.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", parsed.Header.Get("Content-Type"), err)
	}
	parts := map[string]string{}
	var order []string
	mr := multipart.NewReader(parsed.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = decodePart(t, p)
		order = append(order, ct)
	}
	if strings.Join(order, ",") != "text/plain,text/html" {
		t.Fatalf("parts %v, want text/plain then text/html", order)
	}
	if normalize(parts["text/plain"]) != normalize(msg.Text) {
		t.Errorf("text part:\n%s\nwant:\n%s", parts["text/plain"], msg.Text)
	}
	if normalize(parts["text/html"]) != normalize(msg.HTML) {
		t.Errorf("html part:\n%s\nwant:\n%s", parts["text/html"], msg.HTML)
	}
	if tok, ok := mail.LinkToken(parts["text/plain"], "/blogapi/email/verify"); !ok || tok != "tok-123" {
		t.Errorf("LinkToken on the delivered text = %q, %v", tok, ok)
	}
}

func TestSMTPMailerErrors(t *testing.T) {
	srv := startFakeSMTP(t)
	cfg := mail.SMTPConfig{Host: "127.0.0.1", Port: srv.port, From: "noreply@example.com", TLSPolicy: "none", Timeout: 5 * time.Second}
	plain, err := mail.NewSMTPMailer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLSPolicy = "mandatory"
	strict, err := mail.NewSMTPMailer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	closedLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLSPolicy, cfg.Port = "none", closedLn.Addr().(*net.TCPAddr).Port
	_ = closedLn.Close()
	unreachable, err := mail.NewSMTPMailer(cfg)
	if err != nil {
		t.Fatal(err)
	}

	ok := mail.Message{To: "bob@example.com", Subject: "s", Text: "t"}
	tests := []struct {
		name      string
		mailer    *mail.SMTPMailer
		msg       mail.Message
		connected bool // the fake server saw a connection
	}{
		{"recipient refused", plain, mail.Message{To: "reject@example.com", Subject: "s", Text: "t"}, true},
		{"STARTTLS required but not offered", strict, ok, true},
		{"bad recipient", plain, mail.Message{To: "bob", Subject: "s", Text: "t"}, false},
		{"no text", plain, mail.Message{To: "bob@example.com", Subject: "s"}, false},
		{"nobody listening", unreachable, ok, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.mailer.Send(context.Background(), tt.msg); err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if tt.connected {
				srv.waitHangUp(t)
			}
		})
	}
	select {
	case d := <-srv.delivered:
		t.Fatalf("a failed send delivered a message: %+v", d)
	default:
	}
	select {
	case <-srv.hungUp:
		t.Fatal("a send that should not have connected did")
	default:
	}
}

func decodePart(t *testing.T, p *multipart.Part) string {
	t.Helper()
	// multipart.Reader decodes quoted-printable itself and drops the header.
	var r io.Reader = p
	switch enc := strings.ToLower(p.Header.Get("Content-Transfer-Encoding")); enc {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, p)
	case "quoted-printable":
		r = quotedprintable.NewReader(p)
	case "", "7bit", "8bit":
	default:
		t.Fatalf("unexpected transfer encoding %q", enc)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func normalize(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}
