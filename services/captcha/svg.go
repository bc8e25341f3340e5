package captcha

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"

	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/math/fixed"
)

// captchaSVGChars are the characters RenderSVG draws: what base64Captcha's
// string and math drivers produce (docs/security.md); the math driver's "x" is the
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
	// Noise: filled ribbons drawn like the glyphs, in a path of their own
	// under the glyphs' paths.
	captchaSVGLongNoise  = 2        // ribbons from the left edge to the right one
	captchaSVGShortNoise = 2        // pen-stroke ribbons about a cell long
	captchaSVGNoiseWidth = 1.0 / 16 // widest ribbon, of the height
)

// The palette, 0xRRGGBB. Every ink has a contrast ratio of at least 4.5:1
// (WCAG 2.x, the AA level for text) against every background and against
// every ribbon colour, so glyphs stand out from the ground and from the
// noise crossing them; ribbons are lighter than the inks and darker than
// the backgrounds (about 2:1 against them). TestPaletteContrast computes
// every pair.
var (
	captchaBackgrounds = [...]uint32{0xffffff, 0xfdf6e3, 0xf0f7ff, 0xf2fbef, 0xfff4f4, 0xf7f3ff, 0xfffbe6}
	captchaInks        = [...]uint32{0x1a1a1a, 0x14213d, 0x3b0a45, 0x083528, 0x521800, 0x002b5c, 0x4a0e0e}
	captchaRibbons     = [...]uint32{0x9aa5b1, 0xa3b18a, 0xc09a8b, 0x9e9ac8, 0x8fb3b0, 0xc4a35a, 0xb08fb8}
)

// captchaSVGOutline is one character of one font, ready to transform: its
// contours in em units, y down, centred on the glyph's box, each starting
// on the curve, with TrueType's implied midpoints made explicit.
type captchaSVGOutline struct {
	pts  []svgPt
	ends []int   // end (exclusive) of each contour in pts
	capH float64 // the font's cap height (of "H"), em
}

// Renderer draws captcha text as a vector SVG document (docs/security.md).
// Safe for concurrent use.
type Renderer struct {
	// outlines[c] is character c in every loaded font that has it;
	// immutable after NewRenderer.
	outlines [128][]captchaSVGOutline
	// scratch holds *captchaSVGScratch, used by one call at a time.
	scratch sync.Pool
}

// captchaSVGScratch is per-call working memory, pooled so rendering
// allocates only the document.
type captchaSVGScratch struct {
	rng *rand.Rand // seeded from crypto/rand
	pts []svgPt
	enc svgPathEnc
	// The image's contours (glyphs' and noise ribbons') before they are
	// written: parts[i]'s data is data[parts[i-1].end:parts[i].end].
	parts []captchaSVGPart
	data  []byte
	// unitPath[u] is the <path> element unit u (a glyph or a ribbon) goes in.
	unitPath []int
	// boxes are the placed glyphs' boxes, in text order (for tests).
	boxes []captchaSVGBox
}

// captchaSVGPart is one closed contour ready to write: its first point in
// whole pixels, the end of its relative path data in the scratch's data,
// and the unit (glyph or ribbon) it belongs to.
type captchaSVGPart struct {
	x, y      int
	from, end int
	unit      int
}

// captchaSVGBox is a placed glyph's box in pixels and the text index it
// shows.
type captchaSVGBox struct {
	index                  int
	minX, minY, maxX, maxY float64
}

// NewRenderer loads the Go fonts (golang.org/x/image/font/gofont: Go Bold,
// Go Medium and Go Mono Bold) and caches the outline of every drawable
// character (a few ms, once). Only solid, upright faces: hollow, outlined,
// 3D and italic letters are the ones people misread (D as 4, a as d).
func NewRenderer() (*Renderer, error) {
	fonts, err := captchaSVGFonts()
	if err != nil {
		return nil, err
	}
	r := &Renderer{}
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

// captchaSVGFonts parses the fonts NewRenderer draws with, in order.
func captchaSVGFonts() ([]*truetype.Font, error) {
	var fonts []*truetype.Font
	for _, ttf := range [][]byte{gobold.TTF, gomedium.TTF, gomonobold.TTF} {
		f, err := truetype.Parse(ttf)
		if err != nil {
			return nil, fmt.Errorf("captcha renderer: loading fonts: %w", err)
		}
		fonts = append(fonts, f)
	}
	return fonts, nil
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
	o.orient()
	return o, len(o.ends) > 0, nil
}

// orient reverses every contour of o when its outer contour (the largest)
// winds anticlockwise on screen (negative area with y down), so that all
// glyphs and the noise ribbons wind alike. Several glyphs and ribbons share
// a path filled by the nonzero rule: where shapes of opposite winding
// overlapped, the overlap would be cut out instead of filled.
func (o *captchaSVGOutline) orient() {
	outer, largest := 0.0, 0.0
	start := 0
	for _, end := range o.ends {
		if a := svgContourArea(o.pts[start:end]); math.Abs(a) > largest {
			outer, largest = a, math.Abs(a)
		}
		start = end
	}
	if outer >= 0 {
		return
	}
	start = 0
	for _, end := range o.ends {
		// p0, p1, …, pn-1 becomes p0, pn-1, …, p1: still on-curve first,
		// and implied midpoints still sit between the two controls they
		// split.
		slices.Reverse(o.pts[start+1 : end])
		start = end
	}
}

// svgContourArea is the signed area of the polygon through pts (shoelace
// formula, y down: positive winds clockwise on screen). Control points are
// included: close enough for telling the winding of a glyph contour.
func svgContourArea(pts []svgPt) float64 {
	a := 0.0
	for i, p := range pts {
		q := pts[(i+1)%len(pts)]
		a += p.x*q.y - q.x*p.y
	}
	return a / 2
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
// minus sign. Each contour's first point is kept apart (contours) and its
// data starts with a command letter, so a writer can put an absolute
// "M x y" before it: contours can then be moved by whole pixels after the
// glyph's size is known, and written in any order.
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
	// contours[i] is contour i's first point, whole pixels, and the end
	// of its data in d.
	contours []svgEncContour
	// The box of every point d names, control points included, pixels.
	minX, minY, maxX, maxY float64
}

// svgEncContour is where one encoded contour starts (whole pixels) and
// where its data in svgPathEnc.d ends.
type svgEncContour struct {
	x, y float64
	end  int
}

func (e *svgPathEnc) reset() {
	*e = svgPathEnc{d: e.d[:0], contours: e.contours[:0], minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
}

func (e *svgPathEnc) cmd(c byte) {
	if c == e.last && c != 'z' {
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
// appendCaptchaSVGContour, transformed, or a polygon of on-curve points),
// rounding them to whole pixels.
func (e *svgPathEnc) contour(seq []svgPt) {
	m := len(seq)
	sx, sy := math.Round(seq[0].x), math.Round(seq[0].y)
	// The writer puts "M x y" first: the data's first command letter is
	// always written.
	e.last, e.sep = 'M', false
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
	e.contours = append(e.contours, svgEncContour{x: sx, y: sy, end: len(e.d)})
}

// appendSVGContour appends "M x y" and a contour's relative data.
func appendSVGContour(b []byte, x, y int, data []byte) []byte {
	b = append(b, 'M')
	b = strconv.AppendInt(b, int64(x), 10)
	if y >= 0 {
		b = append(b, ' ')
	}
	b = strconv.AppendInt(b, int64(y), 10)
	return append(b, data...)
}

// RenderSVG returns a standalone SVG document of width×height pixels
// (`<svg xmlns="http://www.w3.org/2000/svg" width=".." height=".." viewBox="0 0 W H">`)
// showing text (ASCII letters, digits and the math-driver characters
// `+-*x=?` and space), docs/security.md.
//
// Each non-space character is drawn in a random font, turned up to 20°,
// sized and placed at random inside its cell of width/len(text) pixels;
// rotation and scale are baked into the whole-pixel coordinates, so no two
// renderings share path data. Noise is drawn the way glyphs are: filled
// ribbons, two across the image and two about a cell long, as wide as a
// glyph's strokes, in a lighter colour under the glyphs. Colours come from
// a palette in which every glyph ink keeps a contrast ratio of at least
// 4.5:1 against the background and the ribbons. The markup does not
// segment the answer into characters: the glyphs are dealt at random into
// two filled paths of two different inks, and each path lists its
// contours, each from an absolute "M", in random order — a reader has to
// take the glyphs apart by geometry, as on a bitmap. For 40–600 × 20–200
// pixels and 1–8 characters every glyph lies inside the view box; at
// 150×50 with four characters the document is about 1 kB (bytes).
//
// An error only for empty text, a character it cannot draw, or a
// non-positive size.
func (r *Renderer) RenderSVG(text string, width, height int) ([]byte, error) {
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
	return r.appendSVG(make([]byte, 0, 768+400*len(text)), sc, text, width, height), nil
}

func (r *Renderer) appendSVG(b []byte, sc *captchaSVGScratch, text string, width, height int) []byte {
	rng := sc.rng
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
	b = appendSVGColour(b, captchaBackgrounds[rng.IntN(len(captchaBackgrounds))])
	b = append(b, `"/>`...)

	sc.parts, sc.data, sc.boxes, sc.unitPath = sc.parts[:0], sc.data[:0], sc.boxes[:0], sc.unitPath[:0]
	cell := W / float64(len(text))
	for i := range len(text) {
		if text[i] == ' ' {
			continue
		}
		outlines := r.outlines[text[i]]
		sc.addGlyph(&outlines[rng.IntN(len(outlines))], i, cell, W, H)
	}
	glyphs := len(sc.unitPath)
	for k := range captchaSVGLongNoise + captchaSVGShortNoise {
		sc.addRibbon(k < captchaSVGLongNoise, cell, W, H)
	}

	// Path 0 holds the ribbons, drawn first, under the glyphs. The glyphs
	// are dealt at random into two more paths of two different inks, each
	// path getting at least one (when there are two).
	glyphPaths := min(glyphs, 2)
	for u := range sc.unitPath {
		if u < glyphs {
			sc.unitPath[u] = 1 + rng.IntN(glyphPaths)
		} else {
			sc.unitPath[u] = 0
		}
	}
	if glyphPaths == 2 {
		a := rng.IntN(glyphs)
		sc.unitPath[a], sc.unitPath[(a+1+rng.IntN(glyphs-1))%glyphs] = 1, 2
	}
	ink := rng.IntN(len(captchaInks))
	inks := [2]uint32{captchaInks[ink], captchaInks[(ink+1+rng.IntN(len(captchaInks)-1))%len(captchaInks)]}
	rng.Shuffle(len(sc.parts), func(i, j int) { sc.parts[i], sc.parts[j] = sc.parts[j], sc.parts[i] })
	for p := range 1 + glyphPaths {
		b = append(b, `<path fill="`...)
		if p == 0 {
			b = appendSVGColour(b, captchaRibbons[rng.IntN(len(captchaRibbons))])
		} else {
			b = appendSVGColour(b, inks[p-1])
		}
		b = append(b, `" d="`...)
		for _, part := range sc.parts {
			if sc.unitPath[part.unit] == p {
				b = appendSVGContour(b, part.x, part.y, sc.data[part.from:part.end])
			}
		}
		b = append(b, `"/>`...)
	}
	return append(b, `</svg>`...)
}

// addParts moves the contours the encoder holds by (tx, ty) whole pixels
// into the image's parts, as one new unit.
func (sc *captchaSVGScratch) addParts(tx, ty float64) {
	e := &sc.enc
	unit := len(sc.unitPath)
	sc.unitPath = append(sc.unitPath, 0)
	from := 0
	for _, c := range e.contours {
		start := len(sc.data)
		sc.data = append(sc.data, e.d[from:c.end]...)
		sc.parts = append(sc.parts, captchaSVGPart{x: int(c.x + tx), y: int(c.y + ty), from: start, end: len(sc.data), unit: unit})
		from = c.end
	}
}

// addGlyph adds outline o, turned, sized and placed at random in cell
// index of width cell of a W×H image (pixels), as one unit.
func (sc *captchaSVGScratch) addGlyph(o *captchaSVGOutline, index int, cell, W, H float64) {
	rng := sc.rng
	left := cell * float64(index)
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
	sc.addParts(tx, ty)
	sc.boxes = append(sc.boxes, captchaSVGBox{index: index, minX: e.minX + tx, minY: e.minY + ty, maxX: e.maxX + tx, maxY: e.maxY + ty})
}

// addRibbon adds one noise ribbon as a unit: a quadratic curve thickened
// to a closed polygon, thinner towards its ends like a pen stroke, winding
// as the glyphs do (captchaSVGOutline.orient). long ribbons cross the
// image from the left edge to the right one; short ones are about a cell
// long, anywhere. Every point is kept inside the W×H image.
func (sc *captchaSVGScratch) addRibbon(long bool, cell, W, H float64) {
	// A ribbon squeezed against an edge by the clamping can collapse to a
	// sliver whose winding the encoder's whole pixels no longer keep: draw
	// another, a few times at most, until it has some area.
	pts := sc.ribbon(sc.pts[:0], long, cell, W, H)
	for try := 1; try < captchaSVGRibbonTries && math.Abs(svgRoundedArea(pts)) < captchaSVGMinRibbonArea; try++ {
		pts = sc.ribbon(pts[:0], long, cell, W, H)
	}
	if svgContourArea(pts) < 0 {
		slices.Reverse(pts[1:])
	}
	sc.pts = pts
	e := &sc.enc
	e.reset()
	e.contour(pts)
	sc.addParts(0, 0)
}

// Ribbons drawn again at most captchaSVGRibbonTries times while their area
// is below captchaSVGMinRibbonArea (px²).
const (
	captchaSVGRibbonTries   = 8
	captchaSVGMinRibbonArea = 4
)

// svgRoundedArea is svgContourArea of pts at whole pixels, as the encoder
// writes them.
func svgRoundedArea(pts []svgPt) float64 {
	a := 0.0
	for i, p := range pts {
		q := pts[(i+1)%len(pts)]
		a += math.Round(p.x)*math.Round(q.y) - math.Round(q.x)*math.Round(p.y)
	}
	return a / 2
}

// ribbon appends to pts the outline of one random ribbon (see addRibbon).
func (sc *captchaSVGScratch) ribbon(pts []svgPt, long bool, cell, W, H float64) []svgPt {
	rng := sc.rng
	var x0, y0, x1, y1 float64
	samples := 12
	if long {
		x0, y0, x1, y1 = 0, H*rng.Float64(), W, H*rng.Float64()
	} else {
		samples = 6
		turn := 2 * math.Pi * rng.Float64()
		half := cell * (0.35 + 0.3*rng.Float64())
		cx, cy := W*rng.Float64(), H*(0.15+0.7*rng.Float64())
		x0, y0 = cx-half*math.Cos(turn), cy-half*math.Sin(turn)
		x1, y1 = cx+half*math.Cos(turn), cy+half*math.Sin(turn)
	}
	// The control point bends the curve by up to half the height.
	qx, qy := (x0+x1)/2+(rng.Float64()-0.5)*H/2, (y0+y1)/2+(rng.Float64()-0.5)*H
	halfWidth := max(0.75, H*captchaSVGNoiseWidth*(0.5+0.5*rng.Float64())/2)
	for side := 1.0; side >= -1; side -= 2 {
		for k := range samples + 1 {
			i := k
			if side < 0 {
				i = samples - k
			}
			t := float64(i) / float64(samples)
			// B(t) and its tangent B'(t) of the quadratic (x0,y0) (qx,qy) (x1,y1).
			u := 1 - t
			bx, by := u*u*x0+2*u*t*qx+t*t*x1, u*u*y0+2*u*t*qy+t*t*y1
			dx, dy := 2*u*(qx-x0)+2*t*(x1-qx), 2*u*(qy-y0)+2*t*(y1-qy)
			n := math.Hypot(dx, dy)
			if n == 0 {
				n = 1
			}
			w := side * halfWidth * (0.4 + 0.6*math.Sin(math.Pi*t))
			pts = append(pts, svgPt{x: max(0, min(W, bx-dy/n*w)), y: max(0, min(H, by+dx/n*w)), on: true})
		}
	}
	return pts
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

// appendSVGColour appends rgb (0xRRGGBB) as "#rrggbb".
func appendSVGColour(b []byte, rgb uint32) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '#')
	for shift := 20; shift >= 0; shift -= 4 {
		b = append(b, hex[rgb>>shift&0xf])
	}
	return b
}
