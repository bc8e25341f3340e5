// Package mail sends the project's mail: messages, the development mailer
// (log and outbox), SMTP, the queue that sends off the request's path, and
// the embedded templates.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/blogapi/blogapi/models"
)

// Message is one mail: To is a single address
// ("bob@example.com" or "Bob <bob@example.com>"), Subject one line, Text
// the plain-text body (required) and HTML the HTML alternative (optional).
type Message struct {
	To, Subject, Text, HTML string
}

// check refuses a message no mailer can send. Both mailers run it, so the
// development mailer fails where SMTP would.
func (m Message) check() error {
	if _, err := netmail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("mail recipient is not one valid address: %w", err)
	}
	if strings.TrimSpace(m.Subject) == "" || strings.ContainsAny(m.Subject, "\r\n") {
		return errors.New("mail subject must be one non-empty line")
	}
	if m.Text == "" {
		return errors.New("mail has no text body")
	}
	return nil
}

// Mailer sends mail. Implementations: LogMailer (development, the default)
// and SMTPMailer. Errors are internal (wrapped causes), never domain
// errors: the caller decides what a client sees.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// OutboxStore keeps the mail the development mailer "sends"
// (*models.OutboxStore satisfies it).
type OutboxStore interface {
	Add(ctx context.Context, m models.OutboxMessage) error
}

// LogMailer is the development mailer: it sends nothing,
// logs each message and stores it in the `outbox` collection so that a
// developer and the tests can follow its links. The log line carries the
// text body, links and their single-use tokens included, so it is not meant
// for production.
type LogMailer struct {
	logger *slog.Logger
	outbox OutboxStore
	now    func() time.Time
}

// NewLogMailer logs to logger and stores to outbox, stamping messages with
// now(). A nil outbox only logs.
func NewLogMailer(logger *slog.Logger, outbox OutboxStore, now func() time.Time) *LogMailer {
	return &LogMailer{logger: logger, outbox: outbox, now: now}
}

// Send logs m's recipient, subject and text body at info level (the HTML
// part is left out of the log) and adds m to the outbox. Errors: an
// unsendable message (bad address, empty subject or text), or the outbox
// write failing.
func (l *LogMailer) Send(ctx context.Context, m Message) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("development mailer: %w", err)
	}
	l.logger.InfoContext(ctx, "mail not sent (development mailer)", "to", m.To, "subject", m.Subject, "text", m.Text)
	if l.outbox == nil {
		return nil
	}
	err := l.outbox.Add(ctx, models.OutboxMessage{
		To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, CreatedAt: l.now(),
	})
	if err != nil {
		return fmt.Errorf("development mailer: %w", err)
	}
	return nil
}

// SMTPConfig is the `mail.*` configuration of the SMTP mailer.
type SMTPConfig struct {
	// Host is the SMTP server's name; required.
	Host string
	// Port is 1–65535. 465 means implicit TLS (SMTPS); any other port starts
	// in clear and upgrades with STARTTLS as TLSPolicy says.
	Port int
	// Username and Password enable SMTP AUTH (the strongest mechanism the
	// server offers); both empty means no authentication.
	Username, Password string
	// From is the sender, "noreply@example.com" or "Blog <noreply@example.com>".
	From string
	// TLSPolicy is "mandatory" (STARTTLS required; the default when empty),
	// "opportunistic" (STARTTLS when offered) or "none" (never; for a local
	// relay or tests only, and not with port 465).
	TLSPolicy string
	// Timeout bounds connecting and each SMTP exchange; 0 means 10 s.
	Timeout time.Duration
}

// defaultSMTPTimeout is SMTPConfig.Timeout when unset.
const defaultSMTPTimeout = 10 * time.Second

// SMTPMailer sends mail through an SMTP server with
// github.com/wneessen/go-mail, one connection per message, as
// multipart/alternative (text, then HTML when there is one). Safe for
// concurrent use.
type SMTPMailer struct {
	client *gomail.Client
	from   string
}

// NewSMTPMailer checks cfg and prepares the client; it does not connect.
// Errors: missing host, port out of range, unparsable From, an unknown TLS
// policy, a password without a username, policy "none" on port 465.
func NewSMTPMailer(cfg SMTPConfig) (*SMTPMailer, error) {
	if strings.TrimSpace(cfg.Host) == "" {
		return nil, errors.New("smtp mailer: mail.host is empty")
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("smtp mailer: mail.port %d is not in 1–65535", cfg.Port)
	}
	if _, err := netmail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("smtp mailer: mail.from %q: %w", cfg.From, err)
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, errors.New("smtp mailer: mail.password is set without mail.username")
	}
	var policy gomail.TLSPolicy
	switch cfg.TLSPolicy {
	case "", "mandatory":
		policy = gomail.TLSMandatory
	case "opportunistic":
		policy = gomail.TLSOpportunistic
	case "none":
		policy = gomail.NoTLS
	default:
		return nil, fmt.Errorf("smtp mailer: mail.tls_policy %q is not mandatory, opportunistic or none", cfg.TLSPolicy)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultSMTPTimeout
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(timeout)}
	if cfg.Port == 465 {
		if policy == gomail.NoTLS {
			return nil, errors.New("smtp mailer: port 465 is implicit TLS, mail.tls_policy none does not fit")
		}
		// go-mail dials TLS itself only without a custom dialer, and needs
		// to know the connection is encrypted to offer PLAIN/LOGIN AUTH.
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(policy), gomail.WithDialContextFunc(dialTracked))
	}
	if cfg.Username != "" {
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp mailer: %w", err)
	}
	return &SMTPMailer{client: client, from: cfg.From}, nil
}

// Send delivers m in one SMTP session. ctx bounds connecting; each exchange
// after that is bounded by SMTPConfig.Timeout. Errors are wrapped go-mail
// errors (connection, TLS, AUTH, or the server refusing the message).
func (s *SMTPMailer) Send(ctx context.Context, m Message) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("smtp mailer: %w", err)
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("smtp mailer: sender: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("smtp mailer: recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	slot := &dialedConn{}
	if err := s.client.DialAndSendWithContext(context.WithValue(ctx, dialedConnKey{}, slot), msg); err != nil {
		// go-mail (v0.8.1) returns without closing the connection when
		// STARTTLS or AUTH fails; close it here rather than leave it to the
		// garbage collector. After a QUIT this is a no-op.
		if slot.conn != nil {
			_ = slot.conn.Close()
		}
		return fmt.Errorf("smtp mailer: send via %s: %w", s.client.ServerAddr(), err)
	}
	return nil
}

// dialedConn receives the connection dialTracked opens for one Send.
type dialedConn struct{ conn net.Conn }

type dialedConnKey struct{}

// dialTracked dials TCP as go-mail does by default and records the
// connection in the *dialedConn that Send put into ctx.
func dialTracked(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if slot, ok := ctx.Value(dialedConnKey{}).(*dialedConn); ok {
		slot.conn = conn
	}
	return conn, nil
}
