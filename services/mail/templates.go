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

// Validity stated in the mails; the token services enforce it (issue 3
// items 4 and 5: verification 24 h, reset 30 minutes).
const (
	mailVerifyValidFor = "24 hours"
	mailResetValidFor  = "30 minutes"
)

// Paths of the links in mails (SPEC §7), appended to server.public_url.
const (
	mailVerifyPath = "/blogapi/email/verify"
	mailResetPath  = "/blogapi/password/reset/check"
)

// Templates renders the project's messages from the embedded
// templates. Safe for concurrent use.
type Templates struct {
	base string // public URL without a trailing slash
	text *texttemplate.Template
	html *htmltemplate.Template
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

// NewTemplates parses the templates. publicURL is server.public_url:
// an absolute http(s) URL, optionally with a path prefix
// ("https://blog.example.com", "https://example.com/blog/"), without query
// or fragment. Links are built from it and never from a request's Host
// header (issue 3 item 3). Errors: a publicURL that is not such a URL.
func NewTemplates(publicURL string) (*Templates, error) {
	u, err := url.Parse(publicURL)
	if err != nil {
		return nil, fmt.Errorf("mail templates: server.public_url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("mail templates: server.public_url %q must be an http(s) URL with a host and no query, fragment or user info", publicURL)
	}
	text, err := texttemplate.New("mail").Option("missingkey=error").ParseFS(mailTemplateFiles, "templates/*.txt.tmpl")
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	html, err := htmltemplate.New("mail").Option("missingkey=error").ParseFS(mailTemplateFiles, "templates/*.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	base := u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/")
	return &Templates{base: base, text: text, html: html}, nil
}

// link is the absolute URL of path with the token as its query (URL-escaped).
func (t *Templates) link(path, token string) string {
	return t.base + path + "?token=" + url.QueryEscape(token)
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

// VerifyEmail is the mail that confirms an address (issue 3 item 4), with
// the link {public_url}/blogapi/email/verify?token=<token>, valid 24 h.
// Errors: an empty token.
func (t *Templates) VerifyEmail(to, nick, token string) (Message, error) {
	if token == "" {
		return Message{}, errors.New("verify mail: empty token")
	}
	return t.render("verify_email", to, mailData{
		Subject: "Confirm your email address", Nick: nick, Link: t.link(mailVerifyPath, token),
		LinkLabel: "Confirm my email address", ValidFor: mailVerifyValidFor,
	})
}

// EmailChanged tells the old address that the account's email is now
// newAddr, shown masked ("a***@example.com") so the notice does not
// disclose the new address in full (issue 3 item 1).
func (t *Templates) EmailChanged(oldAddr, nick, newAddr string) (Message, error) {
	return t.render("email_changed", oldAddr, mailData{
		Subject: "The email address of your account was changed", Nick: nick, NewEmail: maskEmail(newAddr),
	})
}

// PasswordReset is the forgotten-password mail (issue 3 item 5) with the
// link {public_url}/blogapi/password/reset/check?token=<token>; the text
// says it is valid 30 minutes and single-use. Errors: an empty token.
func (t *Templates) PasswordReset(to, nick, token string) (Message, error) {
	if token == "" {
		return Message{}, errors.New("reset mail: empty token")
	}
	return t.render("password_reset", to, mailData{
		Subject: "Reset your password", Nick: nick, Link: t.link(mailResetPath, token),
		LinkLabel: "Choose a new password", ValidFor: mailResetValidFor,
	})
}

// PasswordChanged is the notice sent after a password change or reset
// (issue 3 items 2 and 5).
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
