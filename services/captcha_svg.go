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
// string and math drivers produce (SPEC §6).
const captchaSVGChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-*x=? "

// Outlines are cached on integer grids of 32, 64, 128 and 256 units per em;
// each glyph uses the coarsest grid on which one unit is at most
// captchaSVGMaxUnitPx pixels, so output stays small at small sizes and
// smooth at large ones.
const (
	captchaSVGLevels    = 4
	captchaSVGBaseUnits = 32
	captchaSVGMaxUnitPx = 1.0
)

// Layout proportions, as fractions of the image height or of a
// character's cell (width / number of characters).
const (
	captchaSVGCapHeight = 0.62 // cap height of the largest glyphs, of the height
	captchaSVGFitHeight = 0.92 // a rotated glyph's box at most, of the height
	captchaSVGFitWidth  = 0.96 // a rotated glyph's box at most, of the cell width
	captchaSVGMinSize   = 0.8  // smallest random size factor
	captchaSVGMaxTurn   = 20   // largest rotation, degrees either way
	captchaSVGNoise     = 3    // noise curves per image
)

// captchaSVGGlyph is one character's outline on one grid: SVG path data
// ("M…z", integer coordinates, y down, origin near the centre of the
// glyph's box) and the box of every point the path data names, control
// points included, in grid units.
type captchaSVGGlyph struct {
	d                      []byte
	minX, minY, maxX, maxY float64
}

// captchaSVGFontGlyph is a character of one font on every grid, with that
// font's cap height (of "H") on every grid, in grid units.
type captchaSVGFontGlyph struct {
	grid [captchaSVGLevels]captchaSVGGlyph
	capH *[captchaSVGLevels]float64
}

// CaptchaRenderer draws captcha text as a vector SVG document (SPEC §6).
// Safe for concurrent use.
type CaptchaRenderer struct {
	// glyphs[c] lists character c in every loaded font that has it;
	// immutable after NewCaptchaRenderer.
	glyphs [128][]captchaSVGFontGlyph
	// rngs holds *rand.Rand seeded from crypto/rand; a source is used by
	// one call at a time.
	rngs sync.Pool
}

// NewCaptchaRenderer loads base64Captcha's embedded fonts and caches the
// outline of every drawable character on every grid (a few ms, once).
// Only the readable Latin fonts are used: the sketched and 3D ones cost
// kilobytes of path data per glyph, and the Chinese one has no style.
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
		"fonts/chromohv.ttf",
		"fonts/actionj.ttf",
		"fonts/DeborahFancyDress.ttf",
	})
	r = &CaptchaRenderer{}
	r.rngs.New = func() any {
		var seed [32]byte
		_, _ = crand.Read(seed[:]) // never fails since Go 1.24
		return rand.New(rand.NewChaCha8(seed))
	}
	var gb truetype.GlyphBuf
	for _, f := range fonts {
		capH := new([captchaSVGLevels]float64)
		for l := range captchaSVGLevels {
			g, ok, err := loadCaptchaSVGGlyph(&gb, f, 'H', l)
			if err != nil {
				return nil, err
			}
			if !ok {
				capH = nil
				break
			}
			capH[l] = g.maxY - g.minY
		}
		if capH == nil {
			continue
		}
		for i := range len(captchaSVGChars) {
			c := captchaSVGChars[i]
			if c == ' ' {
				continue
			}
			fg := captchaSVGFontGlyph{capH: capH}
			ok := true
			for l := range captchaSVGLevels {
				var err error
				fg.grid[l], ok, err = loadCaptchaSVGGlyph(&gb, f, rune(c), l)
				if err != nil {
					return nil, err
				}
				if !ok {
					break
				}
			}
			if ok {
				r.glyphs[c] = append(r.glyphs[c], fg)
			}
		}
	}
	for i := range len(captchaSVGChars) {
		if c := captchaSVGChars[i]; c != ' ' && len(r.glyphs[c]) == 0 {
			return nil, fmt.Errorf("captcha renderer: no font draws %q", c)
		}
	}
	return r, nil
}

// loadCaptchaSVGGlyph converts character c of f to path data on grid
// level l; ok is false when the font has no outline for c (some fonts map
// missing characters to an empty glyph).
func loadCaptchaSVGGlyph(gb *truetype.GlyphBuf, f *truetype.Font, c rune, l int) (g captchaSVGGlyph, ok bool, err error) {
	idx := f.Index(c)
	if idx == 0 {
		return g, false, nil
	}
	units := captchaSVGBaseUnits << l
	// 64 sub-units per grid unit: the grid rounding happens in svgPathEnc.
	if err := gb.Load(f, fixed.Int26_6(units<<6), idx, font.HintingNone); err != nil {
		return g, false, fmt.Errorf("captcha renderer: glyph %q: %w", c, err)
	}
	if len(gb.Ends) == 0 {
		return g, false, nil
	}
	b := gb.Bounds
	cx := math.Round(float64(b.Min.X+b.Max.X) / 128)
	cy := math.Round(-float64(b.Min.Y+b.Max.Y) / 128)
	e := svgPathEnc{minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
	start := 0
	for _, end := range gb.Ends {
		e.contour(gb.Points[start:end], cx, cy)
		start = end
	}
	if len(e.d) == 0 {
		return g, false, nil
	}
	return captchaSVGGlyph{d: e.d, minX: e.minX, minY: e.minY, maxX: e.maxX, maxY: e.maxY}, true, nil
}

// svgPt is an outline point in grid units, y down. implied marks the
// on-curve midpoint TrueType implies between two off-curve points.
type svgPt struct {
	x, y    float64
	on      bool
	implied bool
}

// svgPathEnc writes compact SVG path data with integer coordinates:
// relative commands, h/v for axis lines, t where TrueType's implied
// midpoints make the control point a reflection, repeated command letters
// left out, and no separator before a minus sign.
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
	minX, minY, maxX, maxY float64
}

func (e *svgPathEnc) cmd(c byte) {
	if c == e.last && c != 'z' && c != 'm' && c != 'M' {
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
	if cx == e.curX && cy == e.curY && x == e.curX && y == e.curY {
		e.quad = false
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

// contour appends one closed TrueType contour (26.6 points, y up), moved
// by (-cx, -cy) grid units after flipping y.
func (e *svgPathEnc) contour(pts []truetype.Point, cx, cy float64) {
	n := len(pts)
	if n < 2 {
		return
	}
	seq := make([]svgPt, 0, 2*n)
	first := -1
	for i, p := range pts {
		q := svgPt{x: float64(p.X)/64 - cx, y: -float64(p.Y)/64 - cy, on: p.Flags&1 != 0}
		if q.on && first < 0 {
			first = len(seq)
		}
		seq = append(seq, q)
		next := pts[(i+1)%n]
		if !q.on && next.Flags&1 == 0 {
			nx, ny := float64(next.X)/64-cx, -float64(next.Y)/64-cy
			seq = append(seq, svgPt{x: (q.x + nx) / 2, y: (q.y + ny) / 2, on: true, implied: true})
		}
	}
	if first < 0 {
		first = 1 // all off-curve: seq[1] is an implied midpoint
	}
	seq = append(seq[first:], seq[:first]...)
	m := len(seq)

	sx, sy := math.Round(seq[0].x), math.Round(seq[0].y)
	if len(e.d) == 0 {
		e.cmd('M')
		e.num(sx)
		e.num(sy)
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
		// was chosen so that reflection lands within a unit of p.
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
// `+-*x=?` and space), SPEC §6. Each non-space character is one filled
// <path> in a random font with its own rotation, size, offset and colour,
// inside its cell of width/len(text) pixels and inside the view box; three
// stroked noise curves cross the image. About 1.5–2.5 kB at 120×44 with
// four characters.
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
		if c != ' ' && (c >= 128 || len(r.glyphs[c]) == 0) {
			return nil, fmt.Errorf("captcha svg: cannot draw %q", text[i:i+1])
		}
	}
	rng := r.rngs.Get().(*rand.Rand)
	defer r.rngs.Put(rng)
	return r.appendSVG(make([]byte, 0, 2048), rng, text, width, height), nil
}

func (r *CaptchaRenderer) appendSVG(b []byte, rng *rand.Rand, text string, width, height int) []byte {
	W, H := float64(width), float64(height)
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

	cell := W / float64(len(text))
	for i := range len(text) {
		c := text[i]
		if c == ' ' {
			continue
		}
		fonts := r.glyphs[c]
		fg := &fonts[rng.IntN(len(fonts))]
		turn := float64(rng.IntN(2*captchaSVGMaxTurn+1) - captchaSVGMaxTurn)
		size := captchaSVGMinSize + (1-captchaSVGMinSize)*rng.Float64()
		sin, cos := math.Sincos(turn * math.Pi / 180)

		// Pixels per unit on the coarsest grid, then the grid to use.
		l := 0
		s := captchaSVGScale(&fg.grid[0], fg.capH[0], sin, cos, cell, H, size)
		for l < captchaSVGLevels-1 && s > captchaSVGMaxUnitPx {
			l++
			s /= 2
		}
		g := &fg.grid[l]
		// Three significant digits, rounded down so the box still fits.
		s = captchaSVGScale(g, fg.capH[l], sin, cos, cell, H, size)
		digits := max(0, 2-int(math.Floor(math.Log10(s))))
		k := math.Pow10(digits)
		s = math.Floor(s*k) / k

		// Where the glyph's box lands around the translation point.
		x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, p := range [4][2]float64{{g.minX, g.minY}, {g.maxX, g.minY}, {g.minX, g.maxY}, {g.maxX, g.maxY}} {
			x := s * (p[0]*cos - p[1]*sin)
			y := s * (p[0]*sin + p[1]*cos)
			x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
		}
		cellLeft := cell * float64(i)
		tx := captchaSVGPlace(rng, cellLeft-x0, cellLeft+cell-x1, -x0, W-x1)
		ty := captchaSVGPlace(rng, -y0, H-y1, -y0, H-y1)

		b = append(b, `<path fill="`...)
		b = appendSVGColour(b, rng, 0, 0x9)
		b = append(b, `" transform="translate(`...)
		b = appendSVGDecimal(b, tx, 1)
		b = append(b, ' ')
		b = appendSVGDecimal(b, ty, 1)
		if turn != 0 {
			b = append(b, `)rotate(`...)
			b = strconv.AppendInt(b, int64(turn), 10)
		}
		b = append(b, `)scale(`...)
		b = appendSVGDecimal(b, s, digits)
		b = append(b, `)" d="`...)
		b = append(b, g.d...)
		b = append(b, `"/>`...)
	}

	// Noise: wavy curves from the left edge to the right one.
	stroke := max(1, math.Round(H/22*2)/2)
	for range captchaSVGNoise {
		b = append(b, `<path fill="none" stroke="`...)
		b = appendSVGColour(b, rng, 0x3, 0xb)
		if stroke != 1 {
			b = append(b, `" stroke-width="`...)
			b = appendSVGDecimal(b, stroke, 1)
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

// captchaSVGScale returns the pixels per grid unit for glyph g of a font
// whose cap height is capH units, turned by the angle of sin and cos: the
// size factor times the scale that makes capitals captchaSVGCapHeight of
// the height, reduced so the turned box fits the cell and the height.
func captchaSVGScale(g *captchaSVGGlyph, capH, sin, cos, cell, H, size float64) float64 {
	w, h := g.maxX-g.minX, g.maxY-g.minY
	sin, cos = math.Abs(sin), math.Abs(cos)
	tw, th := w*cos+h*sin, w*sin+h*cos
	s := H * captchaSVGCapHeight / capH
	s = min(s, cell*captchaSVGFitWidth/tw, H*captchaSVGFitHeight/th)
	return s * size
}

// captchaSVGPlace returns a random position in [lo, hi] (or its middle
// when empty), moved into [min, max] and rounded to 0.1 within it.
func captchaSVGPlace(rng *rand.Rand, lo, hi, minV, maxV float64) float64 {
	v := (lo + hi) / 2
	if hi > lo {
		v = lo + (hi-lo)*rng.Float64()
	}
	minV, maxV = math.Ceil(minV*10)/10, math.Floor(maxV*10)/10
	v = math.Round(v*10) / 10
	return max(minV, min(v, maxV))
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

// appendSVGDecimal appends v with at most digits decimals, without
// trailing zeros or a leading "0" before the point.
func appendSVGDecimal(b []byte, v float64, digits int) []byte {
	k := math.Pow10(digits)
	n := int64(math.Round(v * k))
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	whole, frac := n/int64(k), n%int64(k)
	if whole != 0 || frac == 0 {
		b = strconv.AppendInt(b, whole, 10)
	}
	if frac == 0 {
		return b
	}
	b = append(b, '.')
	for d := int64(k) / 10; frac != 0; d /= 10 {
		b = append(b, byte('0'+frac/d))
		frac %= d
	}
	return b
}
