package services

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/golang/freetype/truetype"
	"github.com/mojocn/base64Captcha"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// captchaSVGChars are the characters RenderSVG draws: what base64Captcha's
// string and math drivers produce (SPEC §6); the math driver's "x" is the
// letter.
const captchaSVGChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-*=? "

// Layout proportions, as fractions of the image height or of a character's
// cell (width / number of characters).
const (
	captchaSVGCapHeight = 0.62 // cap height of the largest glyphs, of the height
	captchaSVGFitHeight = 0.92 // a turned glyph's box at most, of the height
	captchaSVGFitWidth  = 0.96 // a turned glyph's box at most, of the cell width
	captchaSVGMinSize   = 0.8  // smallest random size factor
	captchaSVGMaxTurn   = 20 * math.Pi / 180
	captchaSVGNoise     = 3 // noise curves per image
)

// captchaSVGOutline is one character of one font, ready to transform: its
// contours in em units, y down, centred on the glyph's box, each starting
// on the curve, with TrueType's implied midpoints made explicit.
type captchaSVGOutline struct {
	pts  []svgPt
	ends []int   // end (exclusive) of each contour in pts
	capH float64 // the font's cap height (of "H"), em
}

// CaptchaRenderer draws captcha text as a vector SVG document (SPEC §6).
// Safe for concurrent use.
type CaptchaRenderer struct {
	// outlines[c] is character c in every loaded font that has it;
	// immutable after NewCaptchaRenderer.
	outlines [128][]captchaSVGOutline
	// scratch holds *captchaSVGScratch, used by one call at a time.
	scratch sync.Pool
}

// captchaSVGScratch is per-call working memory, pooled so rendering
// allocates only the document.
type captchaSVGScratch struct {
	rng   *rand.Rand // seeded from crypto/rand
	pts   []svgPt
	order []int
	enc   svgPathEnc
}

// NewCaptchaRenderer loads base64Captcha's embedded fonts and caches the
// outline of every drawable character (a few ms, once). Only the plainly
// readable Latin fonts are used: the sketched and 3D ones cost kilobytes
// of path data per glyph, DeborahFancyDress draws 1 and X as ornaments,
// and the Chinese one has no Latin style.
func NewCaptchaRenderer() (r *CaptchaRenderer, err error) {
	defer func() {
		// base64Captcha panics when an embedded font fails to parse.
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("captcha renderer: loading fonts: %v", p)
		}
	}()
	fonts := base64Captcha.DefaultEmbeddedFonts.LoadFontsByNames([]string{
		"fonts/RitaSmith.ttf",
		"fonts/Comismsh.ttf",
		"fonts/actionj.ttf",
	})
	r = &CaptchaRenderer{}
	r.scratch.New = func() any {
		var seed [32]byte
		_, _ = crand.Read(seed[:]) // never fails since Go 1.24
		return &captchaSVGScratch{rng: rand.New(rand.NewChaCha8(seed))}
	}
	var gb truetype.GlyphBuf
	for _, f := range fonts {
		_, ok, err := loadCaptchaSVGOutline(&gb, f, 'H')
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		// gb still holds "H", at one pixel per font unit.
		capH := float64(gb.Bounds.Max.Y-gb.Bounds.Min.Y) / 64 / float64(f.FUnitsPerEm())
		for i := range len(captchaSVGChars) {
			c := captchaSVGChars[i]
			if c == ' ' {
				continue
			}
			o, ok, err := loadCaptchaSVGOutline(&gb, f, rune(c))
			if err != nil {
				return nil, err
			}
			if ok {
				o.capH = capH
				r.outlines[c] = append(r.outlines[c], o)
			}
		}
	}
	for i := range len(captchaSVGChars) {
		if c := captchaSVGChars[i]; c != ' ' && len(r.outlines[c]) == 0 {
			return nil, fmt.Errorf("captcha renderer: no font draws %q", c)
		}
	}
	return r, nil
}

// loadCaptchaSVGOutline reads character c of f; ok is false when the font
// has no outline for c (some map missing characters to an empty glyph).
func loadCaptchaSVGOutline(gb *truetype.GlyphBuf, f *truetype.Font, c rune) (o captchaSVGOutline, ok bool, err error) {
	idx := f.Index(c)
	if idx == 0 {
		return o, false, nil
	}
	// One pixel per font unit: the points come out exact.
	upe := f.FUnitsPerEm()
	if err := gb.Load(f, fixed.Int26_6(upe<<6), idx, font.HintingNone); err != nil {
		return o, false, fmt.Errorf("captcha renderer: glyph %q: %w", c, err)
	}
	em := 64 * float64(upe)
	b := gb.Bounds
	cx := float64(b.Min.X+b.Max.X) / 2 / em
	cy := -float64(b.Min.Y+b.Max.Y) / 2 / em
	start := 0
	for _, end := range gb.Ends {
		n := len(o.pts)
		if o.pts = appendCaptchaSVGContour(o.pts, gb.Points[start:end], em, cx, cy); len(o.pts) > n {
			o.ends = append(o.ends, len(o.pts))
		}
		start = end
	}
	return o, len(o.ends) > 0, nil
}

// svgPt is an outline point, y down. implied marks an on-curve midpoint
// TrueType implies between two off-curve points.
type svgPt struct {
	x, y    float64
	on      bool
	implied bool
}

// appendCaptchaSVGContour appends a closed TrueType contour (26.6 points,
// y up, em 26.6 units to the em) in em units, y down, moved by (-cx, -cy),
// with implied midpoints added and an on-curve point first. Contours of
// fewer than two points draw nothing and are left out.
func appendCaptchaSVGContour(dst []svgPt, pts []truetype.Point, em, cx, cy float64) []svgPt {
	n := len(pts)
	if n < 2 {
		return dst
	}
	seq := make([]svgPt, 0, 2*n)
	first := -1
	for i, p := range pts {
		q := svgPt{x: float64(p.X)/em - cx, y: -float64(p.Y)/em - cy, on: p.Flags&1 != 0}
		if q.on && first < 0 {
			first = len(seq)
		}
		seq = append(seq, q)
		next := pts[(i+1)%n]
		if !q.on && next.Flags&1 == 0 {
			nx, ny := float64(next.X)/em-cx, -float64(next.Y)/em-cy
			seq = append(seq, svgPt{x: (q.x + nx) / 2, y: (q.y + ny) / 2, on: true, implied: true})
		}
	}
	if first < 0 {
		first = 1 // all off-curve: seq[1] is an implied midpoint
	}
	dst = append(dst, seq[first:]...)
	return append(dst, seq[:first]...)
}

// svgPathEnc writes compact SVG path data on the integer pixel grid:
// relative commands, h/v for axis lines, t where TrueType's implied
// midpoints make the control point a reflection, near-straight curves as
// lines, repeated command letters left out, and no separator before a
// minus sign. The first point is kept apart (startX, startY) so the glyph
// can be moved by whole pixels after its size is known.
type svgPathEnc struct {
	d []byte
	// last is the last command letter written; sep tells whether the
	// next number needs a separator.
	last byte
	sep  bool
	// cur and ctl are the current point and last control point as a
	// renderer decoding d sees them; quad tells whether the last command
	// was q or t.
	curX, curY, ctlX, ctlY float64
	quad                   bool
	startX, startY         float64
	// The box of every point d names, control points included, pixels.
	minX, minY, maxX, maxY float64
}

func (e *svgPathEnc) reset() {
	*e = svgPathEnc{d: e.d[:0], last: 'M', minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
}

func (e *svgPathEnc) cmd(c byte) {
	if c == e.last && c != 'z' && c != 'm' {
		e.sep = true
		return
	}
	e.d = append(e.d, c)
	e.last, e.sep = c, false
}

func (e *svgPathEnc) num(v float64) {
	if e.sep && v >= 0 {
		e.d = append(e.d, ' ')
	}
	e.d = strconv.AppendInt(e.d, int64(v), 10)
	e.sep = true
}

func (e *svgPathEnc) grow(x, y float64) {
	e.minX, e.maxX = min(e.minX, x), max(e.maxX, x)
	e.minY, e.maxY = min(e.minY, y), max(e.maxY, y)
}

func (e *svgPathEnc) lineTo(x, y float64) {
	dx, dy := x-e.curX, y-e.curY
	switch {
	case dx == 0 && dy == 0:
		return
	case dy == 0:
		e.cmd('h')
		e.num(dx)
	case dx == 0:
		e.cmd('v')
		e.num(dy)
	default:
		e.cmd('l')
		e.num(dx)
		e.num(dy)
	}
	e.curX, e.curY, e.quad = x, y, false
	e.grow(x, y)
}

// quadTo draws to (x, y) with control (cx, cy); smooth writes t, whose
// control the caller has made the reflection of the previous one.
func (e *svgPathEnc) quadTo(cx, cy, x, y float64, smooth bool) {
	// The curve strays from its chord by half the control's distance
	// from it: within a pixel of the chord, a line looks the same.
	ux, uy, vx, vy := cx-e.curX, cy-e.curY, x-e.curX, y-e.curY
	if cross, dot, chord := ux*vy-uy*vx, ux*vx+uy*vy, vx*vx+vy*vy; cross*cross <= chord && dot >= 0 && dot <= chord {
		e.lineTo(x, y)
		return
	}
	if smooth {
		e.cmd('t')
	} else {
		e.cmd('q')
		e.num(cx - e.curX)
		e.num(cy - e.curY)
	}
	e.num(x - e.curX)
	e.num(y - e.curY)
	e.grow(cx, cy)
	e.grow(x, y)
	e.curX, e.curY, e.ctlX, e.ctlY, e.quad = x, y, cx, cy, true
}

// outline resets e and encodes o turned and scaled by the matrix
// [cos -sin; sin cos] (pixels per em folded in), using buf for the
// transformed points; it returns buf for reuse.
func (e *svgPathEnc) outline(o *captchaSVGOutline, sin, cos float64, buf []svgPt) []svgPt {
	buf = buf[:0]
	for _, p := range o.pts {
		p.x, p.y = p.x*cos-p.y*sin, p.x*sin+p.y*cos
		buf = append(buf, p)
	}
	e.reset()
	start := 0
	for _, end := range o.ends {
		e.contour(buf[start:end])
		start = end
	}
	return buf
}

// contour appends one closed contour of pixel points (from
// appendCaptchaSVGContour, transformed), rounding them to whole pixels.
func (e *svgPathEnc) contour(seq []svgPt) {
	m := len(seq)
	sx, sy := math.Round(seq[0].x), math.Round(seq[0].y)
	if math.IsInf(e.minX, 1) {
		e.startX, e.startY = sx, sy
	} else {
		e.cmd('m')
		e.num(sx - e.curX)
		e.num(sy - e.curY)
	}
	e.curX, e.curY, e.quad = sx, sy, false
	e.grow(sx, sy)

	for i := 1; i < m; {
		p := seq[i]
		if p.on {
			e.lineTo(math.Round(p.x), math.Round(p.y))
			i++
			continue
		}
		// A quadratic with control p. After an implied midpoint the
		// control is the previous one reflected (t); the midpoint itself
		// was chosen so that reflection lands within a pixel of p.
		smooth := seq[i-1].implied && e.quad
		var qx, qy float64
		if smooth {
			qx, qy = 2*e.curX-e.ctlX, 2*e.curY-e.ctlY
		} else {
			qx, qy = math.Round(p.x), math.Round(p.y)
		}
		var ex, ey float64
		switch {
		case i+1 >= m:
			ex, ey = sx, sy
		case seq[i+1].implied:
			nc := seq[(i+2)%m]
			ex, ey = math.Round((qx+nc.x)/2), math.Round((qy+nc.y)/2)
		default:
			ex, ey = math.Round(seq[i+1].x), math.Round(seq[i+1].y)
		}
		e.quadTo(qx, qy, ex, ey, smooth)
		i += 2
	}
	e.cmd('z')
	e.curX, e.curY, e.quad = sx, sy, false
}

// RenderSVG returns a standalone SVG document of width×height pixels
// (`<svg xmlns="http://www.w3.org/2000/svg" width=".." height=".." viewBox="0 0 W H">`)
// showing text (ASCII letters, digits and the math-driver characters
// `+-*x=?` and space), SPEC §6.
//
// Each non-space character is one filled <path> in a random font, turned
// up to 20°, sized and placed at random inside its cell of width/len(text)
// pixels; rotation and scale are baked into the whole-pixel coordinates,
// so no two renderings share path data, and the paths come in random
// order. Three stroked noise curves cross the image. For 40–600 × 20–200
// pixels and 1–8 characters every glyph lies inside the view box; at
// 120×44 with four characters the document is about 1.3 kB (bytes),
// half of base64Captcha's PNG.
//
// An error only for empty text, a character it cannot draw, or a
// non-positive size.
func (r *CaptchaRenderer) RenderSVG(text string, width, height int) ([]byte, error) {
	if width <= 0 || height <= 0 {
		return nil, fmt.Errorf("captcha svg: size %d×%d must be positive", width, height)
	}
	if text == "" {
		return nil, errors.New("captcha svg: empty text")
	}
	for i := range len(text) {
		c := text[i]
		if c != ' ' && (c >= 128 || len(r.outlines[c]) == 0) {
			return nil, fmt.Errorf("captcha svg: cannot draw %q", text[i:i+1])
		}
	}
	sc := r.scratch.Get().(*captchaSVGScratch)
	defer r.scratch.Put(sc)
	return r.appendSVG(make([]byte, 0, 512+400*len(text)), sc, text, width, height), nil
}

func (r *CaptchaRenderer) appendSVG(b []byte, sc *captchaSVGScratch, text string, width, height int) []byte {
	rng := sc.rng
	b = append(b, `<svg xmlns="http://www.w3.org/2000/svg" width="`...)
	b = strconv.AppendInt(b, int64(width), 10)
	b = append(b, `" height="`...)
	b = strconv.AppendInt(b, int64(height), 10)
	b = append(b, `" viewBox="0 0 `...)
	b = strconv.AppendInt(b, int64(width), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(height), 10)
	b = append(b, `"><rect width="100%" height="100%" fill="`...)
	b = appendSVGColour(b, rng, 0xc, 0x10)
	b = append(b, `"/>`...)

	// Only the positions of the paths tell the reading order.
	sc.order = sc.order[:0]
	for i := range len(text) {
		if text[i] != ' ' {
			sc.order = append(sc.order, i)
		}
	}
	rng.Shuffle(len(sc.order), func(i, j int) { sc.order[i], sc.order[j] = sc.order[j], sc.order[i] })
	cell := float64(width) / float64(len(text))
	for _, i := range sc.order {
		outlines := r.outlines[text[i]]
		o := &outlines[rng.IntN(len(outlines))]
		b = sc.appendGlyph(b, o, cell*float64(i), cell, float64(width), float64(height))
	}

	// Noise: wavy curves from the left edge to the right one.
	stroke := max(1, math.Round(float64(height)/11)/2)
	for range captchaSVGNoise {
		b = append(b, `<path fill="none" stroke="`...)
		b = appendSVGColour(b, rng, 0x3, 0xb)
		if stroke != 1 {
			b = append(b, `" stroke-width="`...)
			b = strconv.AppendFloat(b, stroke, 'f', -1, 64)
		}
		b = append(b, `" d="M0 `...)
		b = strconv.AppendInt(b, int64(rng.IntN(height+1)), 10)
		b = append(b, 'Q')
		b = strconv.AppendInt(b, int64(rng.IntN(width/2+1)), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(rng.IntN(height+1)), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(width/2), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(rng.IntN(height+1)), 10)
		b = append(b, 'T')
		b = strconv.AppendInt(b, int64(width), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(rng.IntN(height+1)), 10)
		b = append(b, `"/>`...)
	}
	return append(b, `</svg>`...)
}

// appendGlyph appends outline o as a filled path, turned, sized and placed
// at random in the cell [left, left+cell) of a W×H image (pixels).
func (sc *captchaSVGScratch) appendGlyph(b []byte, o *captchaSVGOutline, left, cell, W, H float64) []byte {
	rng := sc.rng
	sin, cos := math.Sincos((2*rng.Float64() - 1) * captchaSVGMaxTurn)
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, p := range o.pts {
		x, y := p.x*cos-p.y*sin, p.x*sin+p.y*cos
		x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
	}
	// Pixels per em: capitals at captchaSVGCapHeight of the height, less
	// if the turned box would not fit; the 2 px spare absorb the rounding
	// to whole pixels (at most 1 px each side).
	s := min(H*captchaSVGCapHeight/o.capH,
		max(cell*captchaSVGFitWidth-2, cell/2)/(x1-x0),
		(H*captchaSVGFitHeight-2)/(y1-y0))
	s *= captchaSVGMinSize + (1-captchaSVGMinSize)*rng.Float64()
	e := &sc.enc
	sc.pts = e.outline(o, s*sin, s*cos, sc.pts)
	// Whole-pixel moves keep the encoder's rounding and its box exact.
	tx := captchaSVGPlace(rng, left-e.minX, left+cell-e.maxX, -e.minX, W-e.maxX)
	ty := captchaSVGPlace(rng, -e.minY, H-e.maxY, -e.minY, H-e.maxY)

	b = append(b, `<path fill="`...)
	b = appendSVGColour(b, rng, 0, 9)
	b = append(b, `" d="M`...)
	b = strconv.AppendInt(b, int64(e.startX+tx), 10)
	if e.startY+ty >= 0 {
		b = append(b, ' ')
	}
	b = strconv.AppendInt(b, int64(e.startY+ty), 10)
	b = append(b, e.d...)
	return append(b, `"/>`...)
}

// captchaSVGPlace returns a random whole number in [lo, hi] (their middle
// when empty), moved into [minV, maxV] (whole numbers) unless that is
// empty too.
func captchaSVGPlace(rng *rand.Rand, lo, hi, minV, maxV float64) float64 {
	v := (lo + hi) / 2
	if hi > lo {
		v = lo + (hi-lo)*rng.Float64()
	}
	return max(minV, min(math.Round(v), maxV))
}

// appendSVGColour appends "#rgb" with each digit random in [lo, hi).
func appendSVGColour(b []byte, rng *rand.Rand, lo, hi int) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '#')
	for range 3 {
		b = append(b, hex[lo+rng.IntN(hi-lo)])
	}
	return b
}
