// Package captcha issues and checks image captchas: the challenge text,
// the store of answers, and the vector SVG renderer.
package captcha

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/mojocn/base64Captcha"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
)

// Captcha size bounds and defaults in pixels (docs/security.md, seed 004 图片验证码).
const (
	DefaultWidth  = 150
	DefaultHeight = 50
	MinWidth      = 40
	MaxWidth      = 600
	MinHeight     = 20
	MaxHeight     = 200
)

// captchaSource is the alphabet of string captchas (answers ignore case).
// Left out are the characters people confuse with another one once turned
// and crossed by noise: 0/O/o/Q, 1/l/I/i/j, 2/Z/z, 5/S/s, 6/b/G, 8/B,
// 9/g/q, c/C/e, f/F/E/t, h/n, k/K, p/P, r (rn reads as m), u/v/V/U, w/W,
// x/X, y/Y; Q, j, e, E, t, n, U and 9 stay, their partners being out
// (TestAlphabetHasNoLookAlikes).
const captchaSource = "3479adejmntADEHJLMNQRTU"

// Store keeps issued captchas; Take returns a captcha and deletes
// it, so that only one caller ever gets it. models.CaptchaStore satisfies it.
type Store interface {
	Put(ctx context.Context, c models.Captcha) error
	Take(ctx context.Context, id string) (models.Captcha, error)
}

// Config is the captcha.* configuration (docs/security.md, §9).
type Config struct {
	// Enabled false skips verification; for automated test environments
	// only (refused in release mode by config validation).
	Enabled bool
	// Driver is "string" (Length characters) or "math" (an arithmetic
	// question whose answer is a number).
	Driver string
	Length int
	TTL    time.Duration
	Now    func() time.Time
	// Observer counts captchas issued and checked (nil: none).
	Observer Observer
}

// Challenge is an issued captcha: its id and its SVG drawing.
type Challenge struct {
	ID  string
	SVG []byte
	// TTL is how long the captcha can be answered.
	TTL time.Duration
}

// Service issues and verifies captchas (docs/security.md). The challenge
// text comes from a base64Captcha driver; the picture is this project's
// vector SVG; the store is MongoDB, so any instance verifies any captcha.
type Service struct {
	cfg      Config
	store    Store
	renderer *Renderer
	driver   base64Captcha.Driver
}

// New returns a captcha service over store.
func New(cfg Config, store Store, renderer *Renderer) *Service {
	var driver base64Captcha.Driver
	if cfg.Driver == "math" {
		driver = base64Captcha.NewDriverMath(DefaultHeight, DefaultWidth, 0, 0, nil, nil, nil)
	} else {
		driver = base64Captcha.NewDriverString(DefaultHeight, DefaultWidth, 0, 0, cfg.Length, captchaSource, nil, nil, nil)
	}
	cfg.Observer = orNop(cfg.Observer)
	return &Service{cfg: cfg, store: store, renderer: renderer, driver: driver}
}

// Issue creates a captcha of width×height pixels (40–600 × 20–200, else a
// services.FieldError naming the field), stores its answer for the TTL and returns its id
// and SVG. The id is 20 bytes from crypto/rand, base64url: base64Captcha's
// own ids come from math/rand.
func (s *Service) Issue(ctx context.Context, width, height int) (Challenge, error) {
	if width < MinWidth || width > MaxWidth {
		return Challenge{}, services.Invalid("width", "must be between 40 and 600")
	}
	if height < MinHeight || height > MaxHeight {
		return Challenge{}, services.Invalid("height", "must be between 20 and 200")
	}
	_, question, answer := s.driver.GenerateIdQuestionAnswer()
	svg, err := s.renderer.RenderSVG(question, width, height)
	if err != nil {
		return Challenge{}, err
	}
	var b [20]byte
	_, _ = rand.Read(b[:])
	c := models.Captcha{
		ID:        base64.RawURLEncoding.EncodeToString(b[:]),
		Answer:    answer,
		ExpiresAt: s.cfg.Now().Add(s.cfg.TTL),
	}
	if err := s.store.Put(ctx, c); err != nil {
		return Challenge{}, services.Unavailable(err)
	}
	s.cfg.Observer.CaptchaIssued()
	return Challenge{ID: c.ID, SVG: svg, TTL: s.cfg.TTL}, nil
}

// Captcha verification failures (docs/security.md).
var (
	ErrMissing  = errors.New("captcha missing")
	ErrNoID     = errors.New("captcha id missing")
	ErrUnknown  = errors.New("captcha unknown or used")
	ErrExpired  = errors.New("captcha expired")
	ErrWrong    = errors.New("captcha wrong")
	ErrRequired = errors.New("captcha required")
)

// Verify consumes the captcha id and compares answer with it, ignoring
// case, in constant time. The captcha is deleted when it is read, and only
// one caller gets it, so it is used once whatever the outcome. An empty id or answer
// fails without touching the store. base64Captcha's Verify is not used: in
// v1.3.8 it accepts an empty answer for an unknown id.
func (s *Service) Verify(ctx context.Context, id, answer string) error {
	if !s.cfg.Enabled {
		return nil
	}
	return s.Check(ctx, id, answer)
}

// Check is Verify even when captchas are disabled: the brute-force guard
// demands a real captcha after repeated failures. The result is
// reported to the Observer.
func (s *Service) Check(ctx context.Context, id, answer string) error {
	err := s.check(ctx, id, answer)
	s.cfg.Observer.CaptchaChecked(ResultOf(err))
	return err
}

func (s *Service) check(ctx context.Context, id, answer string) error {
	answer = strings.TrimSpace(answer)
	if answer == "" {
		return ErrMissing
	}
	if id == "" {
		return ErrNoID
	}
	c, err := s.store.Take(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return ErrUnknown
	}
	if err != nil {
		return services.Unavailable(err)
	}
	if !s.cfg.Now().Before(c.ExpiresAt) {
		return ErrExpired
	}
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(answer)), []byte(strings.ToLower(c.Answer))) != 1 {
		return ErrWrong
	}
	return nil
}
