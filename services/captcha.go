package services

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
)

// Captcha size bounds and defaults in pixels (SPEC §6, seed 004 图片验证码).
const (
	CaptchaDefaultWidth  = 120
	CaptchaDefaultHeight = 44
	CaptchaMinWidth      = 40
	CaptchaMaxWidth      = 600
	CaptchaMinHeight     = 20
	CaptchaMaxHeight     = 200
)

// captchaSource leaves out characters that look alike in most fonts
// (0/O/o, 1/l/I, 2/Z/z, 5/S/s, 8/B, 9/g/q, u/v, c/C, k/K, p/P, w/W, x/X, y/Y).
const captchaSource = "34679abdefhjmnrtADEFGHJLMNQRTU"

// CaptchaStore keeps issued captchas; Take returns a captcha and deletes
// it, so that only one caller ever gets it. models.CaptchaStore satisfies it.
type CaptchaStore interface {
	Put(ctx context.Context, c models.Captcha) error
	Take(ctx context.Context, id string) (models.Captcha, error)
}

// CaptchaConfig is the captcha.* configuration (SPEC §6, §9).
type CaptchaConfig struct {
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

// CaptchaChallenge is an issued captcha: its id and its SVG drawing.
type CaptchaChallenge struct {
	ID  string
	SVG []byte
	// TTL is how long the captcha can be answered.
	TTL time.Duration
}

// CaptchaService issues and verifies captchas (SPEC §6). The challenge
// text comes from a base64Captcha driver; the picture is this project's
// vector SVG; the store is MongoDB, so any instance verifies any captcha.
type CaptchaService struct {
	cfg      CaptchaConfig
	store    CaptchaStore
	renderer *CaptchaRenderer
	driver   base64Captcha.Driver
}

// NewCaptchaService returns a captcha service over store.
func NewCaptchaService(cfg CaptchaConfig, store CaptchaStore, renderer *CaptchaRenderer) *CaptchaService {
	var driver base64Captcha.Driver
	if cfg.Driver == "math" {
		driver = base64Captcha.NewDriverMath(CaptchaDefaultHeight, CaptchaDefaultWidth, 0, 0, nil, nil, nil)
	} else {
		driver = base64Captcha.NewDriverString(CaptchaDefaultHeight, CaptchaDefaultWidth, 0, 0, cfg.Length, captchaSource, nil, nil, nil)
	}
	cfg.Observer = orNop(cfg.Observer)
	return &CaptchaService{cfg: cfg, store: store, renderer: renderer, driver: driver}
}

// Issue creates a captcha of width×height pixels (40–600 × 20–200, else a
// 400 naming the field), stores its answer for the TTL and returns its id
// and SVG. The id is 20 bytes from crypto/rand, base64url: base64Captcha's
// own ids come from math/rand.
func (s *CaptchaService) Issue(ctx context.Context, width, height int) (CaptchaChallenge, error) {
	if width < CaptchaMinWidth || width > CaptchaMaxWidth {
		return CaptchaChallenge{}, Invalid("width", "must be between 40 and 600")
	}
	if height < CaptchaMinHeight || height > CaptchaMaxHeight {
		return CaptchaChallenge{}, Invalid("height", "must be between 20 and 200")
	}
	_, question, answer := s.driver.GenerateIdQuestionAnswer()
	svg, err := s.renderer.RenderSVG(question, width, height)
	if err != nil {
		return CaptchaChallenge{}, err
	}
	var b [20]byte
	_, _ = rand.Read(b[:])
	c := models.Captcha{
		ID:        base64.RawURLEncoding.EncodeToString(b[:]),
		Answer:    answer,
		ExpiresAt: s.cfg.Now().Add(s.cfg.TTL),
	}
	if err := s.store.Put(ctx, c); err != nil {
		return CaptchaChallenge{}, storeUnavailable(err)
	}
	s.cfg.Observer.CaptchaIssued()
	return CaptchaChallenge{ID: c.ID, SVG: svg, TTL: s.cfg.TTL}, nil
}

// Captcha verification failures (SPEC §6).
var (
	ErrCaptchaMissing  = errors.New("captcha missing")
	ErrCaptchaNoID     = errors.New("captcha id missing")
	ErrCaptchaUnknown  = errors.New("captcha unknown or used")
	ErrCaptchaExpired  = errors.New("captcha expired")
	ErrCaptchaWrong    = errors.New("captcha wrong")
	ErrCaptchaRequired = errors.New("captcha required")
)

// Verify consumes the captcha id and compares answer with it, ignoring
// case, in constant time. The captcha is deleted when it is read, and only
// one caller gets it, so it is used once whatever the outcome. An empty id or answer
// fails without touching the store. base64Captcha's Verify is not used: in
// v1.3.8 it accepts an empty answer for an unknown id.
func (s *CaptchaService) Verify(ctx context.Context, id, answer string) error {
	if !s.cfg.Enabled {
		return nil
	}
	return s.Check(ctx, id, answer)
}

// Check is Verify even when captchas are disabled: the brute-force guard
// demands a real captcha after repeated failures (issue 3). The result is
// reported to the Observer.
func (s *CaptchaService) Check(ctx context.Context, id, answer string) error {
	err := s.check(ctx, id, answer)
	s.cfg.Observer.CaptchaChecked(captchaResult(err))
	return err
}

func (s *CaptchaService) check(ctx context.Context, id, answer string) error {
	answer = strings.TrimSpace(answer)
	if answer == "" {
		return ErrCaptchaMissing
	}
	if id == "" {
		return ErrCaptchaNoID
	}
	c, err := s.store.Take(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return ErrCaptchaUnknown
	}
	if err != nil {
		return storeUnavailable(err)
	}
	if !s.cfg.Now().Before(c.ExpiresAt) {
		return ErrCaptchaExpired
	}
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(answer)), []byte(strings.ToLower(c.Answer))) != 1 {
		return ErrCaptchaWrong
	}
	return nil
}
