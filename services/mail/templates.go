package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"unicode/utf8"
)

// mailTemplateFiles are the message templates: for each message a
// `<name>.txt.tmpl` (text/template) and a `<name>.html.tmpl`
// (html/template, sharing layout.html.tmpl).
//
//go:embed templates/*.tmpl
var mailTemplateFiles embed.FS

// Validity stated in the mails; the token services enforce it
// (docs/routes.md, "The account lifecycle": verification 24 h, reset 30
// minutes).
const (
	mailVerifyValidFor = "24 hours"
	mailResetValidFor  = "30 minutes"
)

// Paths of the API's own mail links (docs/openapi.yaml), appended to
// server.public_url when the links do not open the frontend.
const (
	VerifyPath = "/blogapi/email/verify"
	ResetPath  = "/blogapi/password/reset/check"
)

// Links says where the links in mails point: server.public_url,
// server.frontend_url and the templates mail.verify_link and
// mail.reset_link, each with {token} once and optionally {frontend_url}
// and {public_url} (config.yaml).
type Links struct {
	PublicURL   string
	FrontendURL string // "": a template naming {frontend_url} gives the API's link
	Verify      string
	Reset       string
}

// Templates renders the project's messages from the embedded
// templates. Safe for concurrent use.
type Templates struct {
	// verify and reset are the links with everything but {token} filled in.
	verify, reset string
	text          *texttemplate.Template
	html          *htmltemplate.Template
}

// mailData is what the templates see.
type mailData struct {
	Subject   string
	Nick      string
	Link      string // absolute URL (verify and reset mails)
	LinkLabel string // the HTML button's caption
	ValidFor  string // "24 hours"
	NewEmail  string // masked new address (email-changed mail)
}

// NewTemplates parses the templates and fills in the link templates of l.
// PublicURL (and FrontendURL when set) is an absolute http(s) URL,
// optionally with a path prefix ("https://blog.example.com",
// "https://example.com/blog/"), without query or fragment. Links are built
// from them and never from a request's Host header. Errors: such a URL
// that is not one, or a link template without {token} once.
func NewTemplates(l Links) (*Templates, error) {
	public, err := baseURL("server.public_url", l.PublicURL)
	if err != nil {
		return nil, err
	}
	frontend := ""
	if l.FrontendURL != "" {
		if frontend, err = baseURL("server.frontend_url", l.FrontendURL); err != nil {
			return nil, err
		}
	}
	link := func(key, tmpl, apiPath string) (string, error) {
		if frontend == "" && strings.Contains(tmpl, "{frontend_url}") {
			return public + apiPath + "?token={token}", nil
		}
		if strings.Count(tmpl, "{token}") != 1 {
			return "", fmt.Errorf("mail templates: %s %q must contain {token} once", key, tmpl)
		}
		return strings.NewReplacer("{frontend_url}", frontend, "{public_url}", public).Replace(tmpl), nil
	}
	t := &Templates{}
	if t.verify, err = link("mail.verify_link", l.Verify, VerifyPath); err != nil {
		return nil, err
	}
	if t.reset, err = link("mail.reset_link", l.Reset, ResetPath); err != nil {
		return nil, err
	}
	if t.text, err = texttemplate.New("mail").Option("missingkey=error").ParseFS(mailTemplateFiles, "templates/*.txt.tmpl"); err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	if t.html, err = htmltemplate.New("mail").Option("missingkey=error").ParseFS(mailTemplateFiles, "templates/*.html.tmpl"); err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	return t, nil
}

// baseURL checks the absolute http(s) URL raw (config key key) and returns
// it without a trailing slash.
func baseURL(key, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("mail templates: %s: %w", key, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("mail templates: %s %q must be an http(s) URL with a host and no query, fragment or user info", key, raw)
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// link is the link template tmpl with the token filled in (URL-escaped).
func link(tmpl, token string) string {
	return strings.Replace(tmpl, "{token}", url.QueryEscape(token), 1)
}

func (t *Templates) render(name, to string, d mailData) (Message, error) {
	var text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&text, name+".txt.tmpl", d); err != nil {
		return Message{}, fmt.Errorf("render %s mail: %w", name, err)
	}
	if err := t.html.ExecuteTemplate(&html, name+".html.tmpl", d); err != nil {
		return Message{}, fmt.Errorf("render %s mail: %w", name, err)
	}
	return Message{To: to, Subject: d.Subject, Text: text.String(), HTML: html.String()}, nil
}

// VerifyEmail is the mail that confirms an address, with the link of
// mail.verify_link (by default the frontend's /verify-email?token=<token>,
// or the API's {public_url}/blogapi/email/verify?token=<token>), valid 24 h.
// Errors: an empty token.
func (t *Templates) VerifyEmail(to, nick, token string) (Message, error) {
	if token == "" {
		return Message{}, errors.New("verify mail: empty token")
	}
	return t.render("verify_email", to, mailData{
		Subject: "Confirm your email address", Nick: nick, Link: link(t.verify, token),
		LinkLabel: "Confirm my email address", ValidFor: mailVerifyValidFor,
	})
}

// EmailChanged tells the old address that the account's email is now
// newAddr, shown masked ("a***@example.com") so the notice does not
// disclose the new address in full.
func (t *Templates) EmailChanged(oldAddr, nick, newAddr string) (Message, error) {
	return t.render("email_changed", oldAddr, mailData{
		Subject: "The email address of your account was changed", Nick: nick, NewEmail: maskEmail(newAddr),
	})
}

// PasswordReset is the forgotten-password mail with the link of
// mail.reset_link (by default the frontend's /reset-password?token=<token>,
// or the API's {public_url}/blogapi/password/reset/check?token=<token>);
// the text says it is valid 30 minutes and single-use. Errors: an empty
// token.
func (t *Templates) PasswordReset(to, nick, token string) (Message, error) {
	if token == "" {
		return Message{}, errors.New("reset mail: empty token")
	}
	return t.render("password_reset", to, mailData{
		Subject: "Reset your password", Nick: nick, Link: link(t.reset, token),
		LinkLabel: "Choose a new password", ValidFor: mailResetValidFor,
	})
}

// PasswordChanged is the notice sent after a password change or reset.
func (t *Templates) PasswordChanged(to, nick string) (Message, error) {
	return t.render("password_changed", to, mailData{Subject: "Your password was changed", Nick: nick})
}

// maskEmail keeps the first character of the local part and the domain:
// "alice@example.com" → "a***@example.com". Without an "@" the whole
// address is masked ("***").
func maskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "***"
	}
	_, size := utf8.DecodeRuneInString(addr[:at])
	return addr[:size] + "***@" + addr[at+1:]
}

// LinkToken finds the first "<anything><path>?token=<value>" in text (a
// mail body) and returns the unescaped value. The value ends at whitespace,
// a quote, '<', '>', '&', '#', ')' or ']'. ok is false when there is no such
// link, its value is empty, or it does not unescape. For tests and tools
// that follow links from the outbox.
func LinkToken(text, path string) (token string, ok bool) {
	needle := path + "?token="
	i := strings.Index(text, needle)
	if i < 0 {
		return "", false
	}
	rest := text[i+len(needle):]
	if end := strings.IndexAny(rest, " \t\r\n\"'<>&#)]"); end >= 0 {
		rest = rest[:end]
	}
	if rest == "" {
		return "", false
	}
	v, err := url.QueryUnescape(rest)
	if err != nil {
		return "", false
	}
	return v, true
}
