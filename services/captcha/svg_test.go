package captcha

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/golang/freetype/truetype"
	"github.com/mojocn/base64Captcha"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// captchaSVGTestSource is base64Captcha's alphanumeric set without the
// look-alikes, so tests and benchmarks cover most glyphs.
const captchaSVGTestSource = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"

func newTestCaptchaRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := NewRenderer()
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}
	return r
}

// svgTestPt is a point named by path data: an end point or a control point.
type svgTestPt struct {
	x, y float64
	ctl  bool
}

// parseSVGTestPath decodes path data made of M L H V Q T Z (either case,
// implicit repeats allowed) into absolute points, per SVG 1.1 §8.3, and
// counts its subpaths.
func parseSVGTestPath(d string) (pts []svgTestPt, subpaths int, err error) {
	var cmd byte
	var cx, cy, sx, sy, qx, qy float64
	prevQuad := false
	i := 0
	skip := func() {
		for i < len(d) && (d[i] == ' ' || d[i] == ',') {
			i++
		}
	}
	num := func() (float64, error) {
		skip()
		j := i
		if j < len(d) && d[j] == '-' {
			j++
		}
		dot := false
		for j < len(d) && (d[j] >= '0' && d[j] <= '9' || d[j] == '.' && !dot) {
			dot = dot || d[j] == '.'
			j++
		}
		v, err := strconv.ParseFloat(d[i:j], 64)
		if err != nil {
			return 0, fmt.Errorf("number at %d of %q: %w", i, d, err)
		}
		i = j
		return v, nil
	}
	for skip(); i < len(d); skip() {
		if c := d[i]; c >= 'A' && c <= 'z' {
			cmd = c
			i++
		} else if cmd == 0 || cmd == 'z' || cmd == 'Z' {
			return nil, 0, fmt.Errorf("number without command at %d of %q", i, d)
		} else if cmd == 'm' {
			cmd = 'l'
		} else if cmd == 'M' {
			cmd = 'L'
		}
		var ox, oy float64
		if cmd >= 'a' {
			ox, oy = cx, cy
		}
		var a [4]float64
		args := map[byte]int{'m': 2, 'l': 2, 'h': 1, 'v': 1, 'q': 4, 't': 2, 'z': 0}[cmd|0x20]
		if _, ok := map[byte]bool{'m': true, 'l': true, 'h': true, 'v': true, 'q': true, 't': true, 'z': true}[cmd|0x20]; !ok {
			return nil, 0, fmt.Errorf("command %q in %q", cmd, d)
		}
		for k := range args {
			if a[k], err = num(); err != nil {
				return nil, 0, err
			}
		}
		quad := false
		switch cmd | 0x20 {
		case 'm':
			cx, cy = a[0]+ox, a[1]+oy
			sx, sy = cx, cy
			subpaths++
		case 'l':
			cx, cy = a[0]+ox, a[1]+oy
		case 'h':
			cx = a[0] + ox
		case 'v':
			cy = a[0] + oy
		case 'q':
			qx, qy = a[0]+ox, a[1]+oy
			pts = append(pts, svgTestPt{qx, qy, true})
			cx, cy, quad = a[2]+ox, a[3]+oy, true
		case 't':
			if prevQuad {
				qx, qy = 2*cx-qx, 2*cy-qy
			} else {
				qx, qy = cx, cy
			}
			pts = append(pts, svgTestPt{qx, qy, true})
			cx, cy, quad = a[0]+ox, a[1]+oy, true
		case 'z':
			cx, cy = sx, sy
		}
		prevQuad = quad
		pts = append(pts, svgTestPt{cx, cy, false})
	}
	return pts, subpaths, nil
}

type svgTestDoc struct {
	root  map[string]string
	paths []map[string]string // filled paths: glyphs and noise ribbons
}

// svgTestSubpaths splits path data into its subpaths, each starting with
// an absolute M (the renderer writes no relative m).
func svgTestSubpaths(d string) []string {
	var subs []string
	for _, s := range strings.Split(d, "M")[1:] {
		subs = append(subs, "M"+s)
	}
	return subs
}

// svgTestArea is the signed area of the polygon through the decoded points
// of one subpath, control points included (y down: positive is clockwise
// on screen).
func svgTestArea(pts []svgTestPt) float64 {
	a := 0.0
	for i, p := range pts {
		q := pts[(i+1)%len(pts)]
		a += p.x*q.y - q.x*p.y
	}
	return a / 2
}

var (
	svgTestPathData      = regexp.MustCompile(`^(M-?[0-9]+[ -][0-9]+[-0-9 lhvqt]*z)+$`)
	svgTestTransformAttr = regexp.MustCompile(`^translate\(-?\d*\.?\d -?\d*\.?\d\)(rotate\(-?\d+\))?scale\(\d*\.?\d+\)$`)
	svgTestColour        = regexp.MustCompile(`^#[0-9a-f]{6}$`)
)

// parseSVGTestDoc walks every XML token of doc and checks that it holds
// nothing but an svg root, one background rect and filled paths whose
// attributes are a colour and path data: nothing that spells the answer,
// and no attribute (stroke, class, id) that tells noise from glyphs.
func parseSVGTestDoc(t *testing.T, doc []byte) svgTestDoc {
	t.Helper()
	for _, bad := range []string{"<text", "<image", "<use", "<font", "href", "data:", "<style", "<script"} {
		if bytes.Contains(doc, []byte(bad)) {
			t.Fatalf("svg contains %q", bad)
		}
	}
	var out svgTestDoc
	dec := xml.NewDecoder(bytes.NewReader(doc))
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("svg is not well-formed XML: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Name.Local] = a.Value
				if a.Name.Space != "" && a.Name.Local != "xmlns" {
					t.Errorf("namespaced attribute %v", a.Name)
				}
			}
			switch {
			case depth == 0 && tok.Name.Local == "svg":
				out.root = attrs
			case depth == 1 && tok.Name.Local == "rect":
				if !svgTestColour.MatchString(attrs["fill"]) || len(attrs) != 3 {
					t.Errorf("background %v", attrs)
				}
			case depth == 1 && tok.Name.Local == "path":
				if !svgTestColour.MatchString(attrs["fill"]) || !svgTestPathData.MatchString(attrs["d"]) || len(attrs) != 2 {
					t.Errorf("path %v", attrs)
				}
				out.paths = append(out.paths, attrs)
			default:
				t.Errorf("element %s at depth %d", tok.Name.Local, depth)
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if s := strings.TrimSpace(string(tok)); s != "" {
				t.Errorf("text node %q", s)
			}
		default:
			t.Errorf("token %T %v", tok, tok)
		}
	}
	if out.root == nil {
		t.Fatalf("no svg root in\n%s", doc)
	}
	return out
}

func TestCaptchaSVGRender(t *testing.T) {
	r := newTestCaptchaRenderer(t)
	sizes := [][2]int{{40, 20}, {120, 44}, {600, 200}, {600, 20}, {40, 200}}
	texts := []string{"a", "ab3x", "19+19=?", "9x9=?", "4*5-1=?", "WMWMWMWM", "Hj Qw", "gyjpqQZ", captchaSVGTestSource[:8]}
	for _, size := range sizes {
		for _, text := range texts {
			w, h := size[0], size[1]
			t.Run(fmt.Sprintf("%dx%d/%s", w, h, text), func(t *testing.T) {
				doc, err := r.RenderSVG(text, w, h)
				if err != nil {
					t.Fatalf("RenderSVG: %v", err)
				}
				svg := parseSVGTestDoc(t, doc)
				want := map[string]string{
					"xmlns":   "http://www.w3.org/2000/svg",
					"width":   strconv.Itoa(w),
					"height":  strconv.Itoa(h),
					"viewBox": fmt.Sprintf("0 0 %d %d", w, h),
				}
				for k, v := range want {
					if svg.root[k] != v {
						t.Errorf("root %s = %q, want %q", k, svg.root[k], v)
					}
				}
				if want := svgTestPaths(text); len(svg.paths) != want {
					t.Fatalf("%d paths, want %d", len(svg.paths), want)
				}
				// Every point, control points included, lies in the view box.
				for _, p := range svg.paths {
					pts, _, err := parseSVGTestPath(p["d"])
					if err != nil {
						t.Fatal(err)
					}
					for _, pt := range pts {
						if pt.x < 0 || pt.x > float64(w) || pt.y < 0 || pt.y > float64(h) {
							t.Fatalf("point (%v, %v) outside %dx%d: %s", pt.x, pt.y, w, h, p["d"])
						}
					}
				}
			})
		}
	}
}

// renderSVGTestLayout renders text with a scratch of its own and returns
// the document and the scratch, whose bookkeeping (parts, units, boxes)
// tells which contour of the document is what.
func renderSVGTestLayout(t *testing.T, r *Renderer, text string, w, h int) (svgTestDoc, *captchaSVGScratch) {
	t.Helper()
	sc := r.scratch.New().(*captchaSVGScratch)
	doc := r.appendSVG(nil, sc, text, w, h)
	return parseSVGTestDoc(t, doc), sc
}

// TestCaptchaSVGLayout: each non-space character is one glyph centred in
// its cell and inside the view box, and the document holds exactly the
// contours laid out, each in the path its unit was dealt to.
func TestCaptchaSVGLayout(t *testing.T) {
	r := newTestCaptchaRenderer(t)
	sizes := [][2]int{{40, 20}, {120, 44}, {600, 200}, {600, 20}, {40, 200}}
	texts := []string{"a", "ab3x", "19+19=?", "9x9=?", "Hj Qw", "gyjpqQZ", captchaSVGTestSource[:8]}
	for _, size := range sizes {
		for _, text := range texts {
			w, h := size[0], size[1]
			t.Run(fmt.Sprintf("%dx%d/%s", w, h, text), func(t *testing.T) {
				svg, sc := renderSVGTestLayout(t, r, text, w, h)
				cell := float64(w) / float64(len(text))
				var cells, wantCells []int
				for i := range len(text) {
					if text[i] != ' ' {
						wantCells = append(wantCells, i)
					}
				}
				for _, b := range sc.boxes {
					if b.minX < 0 || b.maxX > float64(w) || b.minY < 0 || b.maxY > float64(h) {
						t.Errorf("glyph %d box %v outside %dx%d", b.index, b, w, h)
					}
					cells = append(cells, int((b.minX+b.maxX)/2/cell))
				}
				if !slices.Equal(cells, wantCells) {
					t.Errorf("glyphs centred in cells %v, want %v", cells, wantCells)
				}
				for p, path := range svg.paths {
					var want []captchaSVGPart
					for _, part := range sc.parts {
						if sc.unitPath[part.unit] == p {
							want = append(want, part)
						}
					}
					subs := svgTestSubpaths(path["d"])
					if len(subs) != len(want) {
						t.Fatalf("path %d: %d subpaths, %d contours dealt to it", p, len(subs), len(want))
					}
					for k, sub := range subs {
						if wantD := string(appendSVGContour(nil, want[k].x, want[k].y, sc.data[want[k].from:want[k].end])); sub != wantD {
							t.Fatalf("path %d subpath %d: %s, want %s", p, k, sub, wantD)
						}
					}
				}
			})
		}
	}
}

// svgTestPaths is the number of paths a rendering of text has: the
// ribbons', and one or two glyph paths.
func svgTestPaths(text string) int {
	return 1 + min(len(text)-strings.Count(text, " "), 2)
}

// TestCaptchaSVGMarkup: the ribbons come first, in a path of their own
// under the glyphs; the glyphs are dealt into two paths of two different
// inks, each holding at least one, so no element is one character; the
// glyphs' outer contours and the ribbons wind alike, so overlaps fill
// instead of cancelling under the nonzero rule; and contours are not
// listed glyph by glyph.
func TestCaptchaSVGMarkup(t *testing.T) {
	r := newTestCaptchaRenderer(t)
	interleaved := 0
	const renders = 50
	for range renders {
		svg, sc := renderSVGTestLayout(t, r, "WmQ8", 150, 50)
		glyphs := len(sc.boxes)
		units := len(sc.unitPath)
		if len(svg.paths) != 3 {
			t.Fatalf("%d paths, want 3", len(svg.paths))
		}
		held := make([]int, len(svg.paths))
		for u := range units {
			p := sc.unitPath[u]
			if (u < glyphs) == (p == 0) {
				t.Fatalf("unit %d (glyphs 0..%d) dealt to path %d", u, glyphs-1, p)
			}
			held[p]++
		}
		if held[1] == 0 || held[2] == 0 {
			t.Fatalf("glyph paths hold %d and %d glyphs", held[1], held[2])
		}
		if svg.paths[1]["fill"] == svg.paths[2]["fill"] {
			t.Fatalf("both glyph paths are %s", svg.paths[1]["fill"])
		}
		// The largest contour of each unit (a glyph's outer contour, a
		// ribbon) winds clockwise on screen, as decoded from the document.
		largest := make([]float64, units)
		for _, part := range sc.parts {
			pts, _, err := parseSVGTestPath(string(appendSVGContour(nil, part.x, part.y, sc.data[part.from:part.end])))
			if err != nil {
				t.Fatal(err)
			}
			if a := svgTestArea(pts); math.Abs(a) > math.Abs(largest[part.unit]) {
				largest[part.unit] = a
			}
		}
		for u, a := range largest {
			if a <= 0 {
				t.Fatalf("unit %d (glyphs 0..%d) winds anticlockwise: area %v", u, glyphs-1, a)
			}
		}
		// Contours of different glyphs alternate somewhere in a path.
		for p := 1; p < len(svg.paths); p++ {
			last, changes := -1, 0
			for _, part := range sc.parts {
				if sc.unitPath[part.unit] == p && part.unit != last {
					last = part.unit
					changes++
				}
			}
			if changes > held[p] {
				interleaved++
				break
			}
		}
	}
	if interleaved < renders/2 {
		t.Errorf("contours of different glyphs interleaved in %d of %d renders", interleaved, renders)
	}
}

func TestCaptchaSVGRandomised(t *testing.T) {
	r := newTestCaptchaRenderer(t)
	a, err := r.RenderSVG("ab3x", 120, 44)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.RenderSVG("ab3x", 120, 44)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("two renderings of the same text are identical")
	}
}

func TestCaptchaSVGInvalid(t *testing.T) {
	r := newTestCaptchaRenderer(t)
	tests := []struct {
		name          string
		text          string
		width, height int
	}{
		{"zero width", "ab3x", 0, 44},
		{"zero height", "ab3x", 120, 0},
		{"negative width", "ab3x", -120, 44},
		{"negative height", "ab3x", 120, -1},
		{"empty text", "", 120, 44},
		{"accented letter", "abé", 120, 44},
		{"chinese", "验证", 120, 44},
		{"punctuation", "ab#", 120, 44},
		{"markup", "<a>", 120, 44},
		{"control character", "a\x00b", 120, 44},
		{"tab", "a\tb", 120, 44},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := r.RenderSVG(tt.text, tt.width, tt.height)
			if err == nil {
				t.Fatalf("RenderSVG(%q, %d, %d) = %d bytes, want an error", tt.text, tt.width, tt.height, len(doc))
			}
		})
	}
}

func TestCaptchaSVGAllCharacters(t *testing.T) {
	r := newTestCaptchaRenderer(t)
	for i := range len(captchaSVGChars) {
		c := captchaSVGChars[i : i+1]
		doc, err := r.RenderSVG(c, 40, 20)
		if err != nil {
			t.Errorf("RenderSVG(%q): %v", c, err)
			continue
		}
		if svg := parseSVGTestDoc(t, doc); len(svg.paths) != svgTestPaths(c) {
			t.Errorf("%q: %d paths", c, len(svg.paths))
		}
	}
}

// TestCaptchaSVGOutlinesFollowFont encodes every cached outline at one
// pixel per font unit and checks it against the font: one subpath per
// contour, every on-curve point of the outline within rounding of its
// place, and the encoder's box equal to the decoded points' box (the
// layout relies on it).
func TestCaptchaSVGOutlinesFollowFont(t *testing.T) {
	r := newTestCaptchaRenderer(t)
	fonts, err := captchaSVGFonts()
	if err != nil {
		t.Fatal(err)
	}
	var gb truetype.GlyphBuf
	var e svgPathEnc
	var buf []svgPt
	checked := 0
	for i := range len(captchaSVGChars) {
		c := captchaSVGChars[i]
		if c == ' ' {
			continue
		}
		// The renderer keeps, in font order, the fonts with an outline
		// for c.
		var have []*truetype.Font
		for _, f := range fonts {
			if idx := f.Index(rune(c)); idx != 0 && gb.Load(f, 64*32, idx, font.HintingNone) == nil && len(gb.Ends) > 0 {
				have = append(have, f)
			}
		}
		if len(have) != len(r.outlines[c]) {
			t.Fatalf("%q: %d fonts have it, renderer has %d", c, len(have), len(r.outlines[c]))
		}
		for fi, f := range have {
			upe := f.FUnitsPerEm()
			if err := gb.Load(f, fixed.Int26_6(upe<<6), f.Index(rune(c)), font.HintingNone); err != nil {
				t.Fatal(err)
			}
			buf = e.outline(&r.outlines[c][fi], 0, float64(upe), buf)
			var db []byte
			from := 0
			for _, c := range e.contours {
				db = appendSVGContour(db, int(c.x), int(c.y), e.d[from:c.end])
				from = c.end
			}
			d := string(db)
			pts, subpaths, err := parseSVGTestPath(d)
			if err != nil {
				t.Fatal(err)
			}
			x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
			for _, p := range pts {
				x0, y0, x1, y1 = min(x0, p.x), min(y0, p.y), max(x1, p.x), max(y1, p.y)
			}
			if x0 != e.minX || y0 != e.minY || x1 != e.maxX || y1 != e.maxY {
				t.Errorf("%q font %d: encoder box %v,%v %v,%v, decoded %v,%v %v,%v",
					c, fi, e.minX, e.minY, e.maxX, e.maxY, x0, y0, x1, y1)
			}
			contours, start := 0, 0
			for _, end := range gb.Ends {
				if end-start >= 2 {
					contours++
				}
				start = end
			}
			if subpaths != contours {
				t.Errorf("%q font %d: %d subpaths, font has %d contours", c, fi, subpaths, contours)
			}
			b := gb.Bounds
			cx, cy := float64(b.Min.X+b.Max.X)/128, -float64(b.Min.Y+b.Max.Y)/128
			for _, p := range gb.Points {
				if p.Flags&1 == 0 {
					continue
				}
				x, y := float64(p.X)/64-cx, -float64(p.Y)/64-cy
				if !slices.ContainsFunc(pts, func(q svgTestPt) bool {
					return !q.ctl && math.Abs(q.x-x) <= 0.5+1e-6 && math.Abs(q.y-y) <= 0.5+1e-6
				}) {
					t.Errorf("%q font %d: on-curve point (%v, %v) missing from %s", c, fi, x, y, d)
					break
				}
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no glyph checked")
	}
}

func TestCaptchaSVGConcurrent(t *testing.T) {
	r := newTestCaptchaRenderer(t)
	var wg sync.WaitGroup
	docs := make([][]byte, 8*20)
	errs := make([]error, len(docs))
	for w := range 8 {
		wg.Go(func() {
			for i := range 20 {
				k := w*20 + i
				docs[k], errs[k] = r.RenderSVG(captchaSVGTestSource[k%50:k%50+4], 120, 44)
			}
		})
	}
	wg.Wait()
	for k, doc := range docs {
		if errs[k] != nil {
			t.Fatalf("render %d: %v", k, errs[k])
		}
		if svg := parseSVGTestDoc(t, doc); len(svg.paths) != 3 {
			t.Fatalf("render %d: %d paths", k, len(svg.paths))
		}
	}
}

// captchaPNGBaseline renders text the way base64Captcha's string driver
// does, to PNG bytes.
func captchaPNGBaseline(tb testing.TB, driver *base64Captcha.DriverString, text string, buf *bytes.Buffer) {
	item, err := driver.DrawCaptcha(text)
	if err != nil {
		tb.Fatal(err)
	}
	buf.Reset()
	if _, err := item.WriteTo(buf); err != nil {
		tb.Fatal(err)
	}
}

// TestCaptchaSVGNotLargerThanPNG holds the SVG to a size budget: on average no more bytes than base64Captcha's PNG of
// the same text at the default 120×44.
func TestCaptchaSVGNotLargerThanPNG(t *testing.T) {
	r := newTestCaptchaRenderer(t)
	driver := base64Captcha.NewDriverString(44, 120, 0, 0, 4, captchaSVGTestSource, nil, nil, nil)
	var svgBytes, pngBytes int
	var buf bytes.Buffer
	for range 20 {
		_, text, _ := driver.GenerateIdQuestionAnswer()
		doc, err := r.RenderSVG(text, 120, 44)
		if err != nil {
			t.Fatal(err)
		}
		svgBytes += len(doc)
		captchaPNGBaseline(t, driver, text, &buf)
		pngBytes += buf.Len()
	}
	t.Logf("mean bytes: svg %d, png %d", svgBytes/20, pngBytes/20)
	if svgBytes > pngBytes {
		t.Errorf("mean svg %d bytes > mean png %d bytes", svgBytes/20, pngBytes/20)
	}
}

func captchaBenchTexts(n int) []string {
	driver := base64Captcha.NewDriverString(44, 120, 0, 0, 4, captchaSVGTestSource, nil, nil, nil)
	texts := make([]string, n)
	for i := range texts {
		_, texts[i], _ = driver.GenerateIdQuestionAnswer()
	}
	return texts
}

// BenchmarkCaptchaSVG renders 4 characters at 120×44; bytes/op-out is the
// mean document size.
func BenchmarkCaptchaSVG(b *testing.B) {
	r := newTestCaptchaRenderer(b)
	texts := captchaBenchTexts(64)
	b.ReportAllocs()
	var out, n int
	for b.Loop() {
		doc, err := r.RenderSVG(texts[n%len(texts)], 120, 44)
		if err != nil {
			b.Fatal(err)
		}
		out += len(doc)
		n++
	}
	b.ReportMetric(float64(out)/float64(n), "bytes/op-out")
}

// BenchmarkCaptchaPNGBaseline is base64Captcha's own rendering of the
// same texts and size, to PNG; bytes/op-out is the mean PNG size.
func BenchmarkCaptchaPNGBaseline(b *testing.B) {
	driver := base64Captcha.NewDriverString(44, 120, 0, 0, 4, captchaSVGTestSource, nil, nil, nil)
	texts := captchaBenchTexts(64)
	var buf bytes.Buffer
	b.ReportAllocs()
	var out, n int
	for b.Loop() {
		captchaPNGBaseline(b, driver, texts[n%len(texts)], &buf)
		out += buf.Len()
		n++
	}
	b.ReportMetric(float64(out)/float64(n), "bytes/op-out")
}
