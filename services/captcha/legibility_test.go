package captcha

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// contrastRatio is the WCAG 2.x contrast ratio of two 0xRRGGBB colours,
// 1 to 21 (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio).
func contrastRatio(a, b uint32) float64 {
	la, lb := relativeLuminance(a), relativeLuminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// relativeLuminance is WCAG 2.x's relative luminance of 0xRRGGBB.
func relativeLuminance(rgb uint32) float64 {
	channel := func(v uint32) float64 {
		c := float64(v&0xff) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(rgb>>16) + 0.7152*channel(rgb>>8) + 0.0722*channel(rgb)
}

// TestPaletteContrast: every glyph ink the renderer can choose keeps a
// contrast ratio of at least 4.5:1 (WCAG AA for text) against every
// background and every ribbon colour it can choose with it; ribbons stay
// visible against the background, and two inks of one image differ.
func TestPaletteContrast(t *testing.T) {
	if got := contrastRatio(0xffffff, 0x000000); math.Abs(got-21) > 1e-9 {
		t.Fatalf("contrastRatio(white, black) = %v, want 21", got)
	}
	if got := contrastRatio(0xffffff, 0x767676); math.Abs(got-4.54) > 0.01 {
		t.Fatalf("contrastRatio(white, #767676) = %v, want 4.54", got)
	}
	lowest := math.Inf(1)
	for _, ink := range captchaInks {
		for _, bg := range captchaBackgrounds {
			r := contrastRatio(ink, bg)
			lowest = min(lowest, r)
			if r < 4.5 {
				t.Errorf("ink #%06x on background #%06x: %.2f:1, want at least 4.5:1", ink, bg, r)
			}
		}
		for _, rib := range captchaRibbons {
			if r := contrastRatio(ink, rib); r < 4.5 {
				t.Errorf("ink #%06x against ribbon #%06x: %.2f:1, want at least 4.5:1", ink, rib, r)
			}
		}
	}
	for _, rib := range captchaRibbons {
		for _, bg := range captchaBackgrounds {
			if r := contrastRatio(rib, bg); r < 1.5 {
				t.Errorf("ribbon #%06x on background #%06x: %.2f:1, too faint to be noise", rib, bg, r)
			}
		}
	}
	t.Logf("lowest ink/background ratio %.2f:1", lowest)
	seen := map[uint32]bool{}
	for _, c := range append(append(captchaInks[:], captchaRibbons[:]...), captchaBackgrounds[:]...) {
		if seen[c] {
			t.Errorf("#%06x is in the palette twice", c)
		}
		seen[c] = true
	}

	// The renderer draws with the palette only: background, ribbons,
	// then two different inks.
	in := func(list []uint32, fill string) bool {
		for _, c := range list {
			if fill == fmt.Sprintf("#%06x", c) {
				return true
			}
		}
		return false
	}
	r := newTestCaptchaRenderer(t)
	for range 100 {
		doc, err := r.RenderSVG("3adE", DefaultWidth, DefaultHeight)
		if err != nil {
			t.Fatal(err)
		}
		svg := parseSVGTestDoc(t, doc)
		bg := svgTestBackground(t, doc)
		if !in(captchaBackgrounds[:], bg) || !in(captchaRibbons[:], svg.paths[0]["fill"]) ||
			!in(captchaInks[:], svg.paths[1]["fill"]) || !in(captchaInks[:], svg.paths[2]["fill"]) ||
			svg.paths[1]["fill"] == svg.paths[2]["fill"] {
			t.Fatalf("colours outside the palette: background %s, paths %s %s %s", bg, svg.paths[0]["fill"], svg.paths[1]["fill"], svg.paths[2]["fill"])
		}
	}
}

// svgTestBackground is the fill of doc's background rect.
func svgTestBackground(t *testing.T, doc []byte) string {
	t.Helper()
	_, rest, ok := strings.Cut(string(doc), `<rect width="100%" height="100%" fill="`)
	fill, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 {
		t.Fatalf("no background rect in %s", doc)
	}
	return fill
}

// lookAlikes are the characters kept out of captchaSource (its comment
// says with what each is confused).
const lookAlikes = "0Oo1lIi2Zz5Ss6bGg8BqCcfFhKkPprVvuWwXxYy"

// TestAlphabetHasNoLookAlikes: the string captchas' alphabet leaves out
// every character people confuse with another.
func TestAlphabetHasNoLookAlikes(t *testing.T) {
	for _, c := range captchaSource {
		if strings.ContainsRune(lookAlikes, c) {
			t.Errorf("%q is in the alphabet and among the look-alikes", c)
		}
		if !strings.ContainsRune(captchaSVGChars, c) {
			t.Errorf("%q cannot be drawn", c)
		}
	}
	if strings.ContainsAny(captchaSource, "0Oo1lI5S8B") {
		t.Errorf("alphabet %q holds a classic look-alike", captchaSource)
	}
	if len(captchaSource) < 20 {
		t.Errorf("alphabet %q: %d characters, too few for a 4-character captcha", captchaSource, len(captchaSource))
	}
}

// TestLegibleSizes: at the default 150×50 and at the SPA's 120×30, every
// glyph of a four-character captcha stays in its own cell (glyphs never
// overlap) and is tall enough to read: capitals and digits at least 40%
// of the height, every glyph at least 8 px.
func TestLegibleSizes(t *testing.T) {
	r := newTestCaptchaRenderer(t)
	for _, size := range [][2]int{{DefaultWidth, DefaultHeight}, {120, 30}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			cell := float64(w) / 4
			for k := range 200 {
				text := ""
				for i := range 4 {
					text += string(captchaSource[(k*4+i)*7%len(captchaSource)])
				}
				_, sc := renderSVGTestLayout(t, r, text, w, h)
				for _, b := range sc.boxes {
					left := cell * float64(b.index)
					if b.minX < left-1 || b.maxX > left+cell+1 {
						t.Fatalf("%q: glyph %d spans %.0f–%.0f px, outside its cell %.0f–%.0f", text, b.index, b.minX, b.maxX, left, left+cell)
					}
					height, c := b.maxY-b.minY, text[b.index]
					tall := c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
					if height < 8 || tall && height < 0.4*float64(h) {
						t.Fatalf("%q: glyph %q is %.0f px tall in a %d px image", text, c, height, h)
					}
				}
			}
		})
	}
}
