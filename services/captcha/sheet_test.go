package captcha

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"strconv"
	"testing"

	"golang.org/x/image/vector"
)

// updateSheet rewrites docs/captcha.png:
//
//	go test ./services/captcha -run TestSheet -update-sheet
var updateSheet = flag.Bool("update-sheet", false, "rewrite docs/captcha.png from 20 new captchas")

const (
	sheetPath       = "../../docs/captcha.png"
	sheetCols       = 4
	sheetRows       = 5
	sheetGap        = 10 // px between captchas and around them
	sheetBackground = 0xd8dde5
)

// sheetSize is the width and height of the sheet, pixels.
func sheetSize() (int, int) {
	return sheetCols*(DefaultWidth+sheetGap) + sheetGap, sheetRows*(DefaultHeight+sheetGap) + sheetGap
}

// TestSheet: docs/captcha.png shows 20 captchas as the service issues them
// (the string driver's alphabet and length, the default size),
// rasterised from their SVG documents. With -update-sheet it draws a new
// sheet; without, it checks the committed one has the layout of this code.
func TestSheet(t *testing.T) {
	w, h := sheetSize()
	if *updateSheet {
		sheet := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(sheet, sheet.Bounds(), image.NewUniform(rgbColour(sheetBackground)), image.Point{}, draw.Src)
		s := New(Config{Driver: "string", Length: 4}, nil, newTestCaptchaRenderer(t))
		for k := range sheetCols * sheetRows {
			_, question, _ := s.driver.GenerateIdQuestionAnswer()
			doc, err := s.renderer.RenderSVG(question, DefaultWidth, DefaultHeight)
			if err != nil {
				t.Fatal(err)
			}
			at := image.Pt(sheetGap+k%sheetCols*(DefaultWidth+sheetGap), sheetGap+k/sheetCols*(DefaultHeight+sheetGap))
			if err := rasterizeSVG(sheet, at, doc); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, sheet); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sheetPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", sheetPath, buf.Len())
	}
	f, err := os.Open(sheetPath)
	if err != nil {
		t.Fatalf("%v: go test ./services/captcha -run TestSheet -update-sheet", err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width != w || cfg.Height != h {
		t.Fatalf("%s is %dx%d (%v), want %dx%d: go test ./services/captcha -run TestSheet -update-sheet", sheetPath, cfg.Width, cfg.Height, err, w, h)
	}
}

func rgbColour(rgb uint32) color.RGBA {
	return color.RGBA{R: uint8(rgb >> 16), G: uint8(rgb >> 8), B: uint8(rgb), A: 0xff}
}

// rasterizeSVG draws doc, one of RenderSVG's documents (a background rect
// and filled paths of M, h, v, l, q, t and z commands), onto dst at at.
func rasterizeSVG(dst draw.Image, at image.Point, doc []byte) error {
	var svg struct {
		Width  int `xml:"width,attr"`
		Height int `xml:"height,attr"`
		Rect   struct {
			Fill string `xml:"fill,attr"`
		} `xml:"rect"`
		Paths []struct {
			Fill string `xml:"fill,attr"`
			D    string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(doc, &svg); err != nil {
		return err
	}
	area := image.Rect(at.X, at.Y, at.X+svg.Width, at.Y+svg.Height)
	fill := func(hex string) (*image.Uniform, error) {
		v, err := strconv.ParseUint(hex[1:], 16, 32)
		if len(hex) != 7 || hex[0] != '#' || err != nil {
			return nil, fmt.Errorf("colour %q", hex)
		}
		return image.NewUniform(rgbColour(uint32(v))), nil
	}
	bg, err := fill(svg.Rect.Fill)
	if err != nil {
		return err
	}
	draw.Draw(dst, area, bg, image.Point{}, draw.Src)
	for _, p := range svg.Paths {
		src, err := fill(p.Fill)
		if err != nil {
			return err
		}
		z := vector.NewRasterizer(svg.Width, svg.Height)
		if err := tracePath(z, p.D); err != nil {
			return err
		}
		z.Draw(dst, area, src, image.Point{})
	}
	return nil
}

// tracePath feeds SVG path data (M absolute; h, v, l, q, t relative; z;
// repeated commands implied) to z.
func tracePath(z *vector.Rasterizer, d string) error {
	var cmd byte
	var cx, cy, sx, sy, qx, qy float32
	prevQuad := false
	i := 0
	num := func() (float32, error) {
		for i < len(d) && (d[i] == ' ' || d[i] == ',') {
			i++
		}
		j := i
		if j < len(d) && d[j] == '-' {
			j++
		}
		for j < len(d) && d[j] >= '0' && d[j] <= '9' {
			j++
		}
		v, err := strconv.ParseFloat(d[i:j], 32)
		i = j
		return float32(v), err
	}
	open := false
	for i < len(d) {
		if c := d[i]; c >= 'A' && c <= 'z' {
			cmd = c
			i++
		}
		quad := false
		switch cmd {
		case 'M':
			x, err := num()
			if err != nil {
				return err
			}
			y, err := num()
			if err != nil {
				return err
			}
			if open {
				z.ClosePath()
			}
			cx, cy, sx, sy, open = x, y, x, y, true
			z.MoveTo(cx, cy)
			cmd = 'l'
			continue
		case 'h', 'v':
			v, err := num()
			if err != nil {
				return err
			}
			if cmd == 'h' {
				cx += v
			} else {
				cy += v
			}
			z.LineTo(cx, cy)
		case 'l':
			dx, err := num()
			if err != nil {
				return err
			}
			dy, err := num()
			if err != nil {
				return err
			}
			cx, cy = cx+dx, cy+dy
			z.LineTo(cx, cy)
		case 'q', 't':
			if cmd == 'q' {
				x, err := num()
				if err != nil {
					return err
				}
				y, err := num()
				if err != nil {
					return err
				}
				qx, qy = cx+x, cy+y
			} else if prevQuad {
				qx, qy = 2*cx-qx, 2*cy-qy
			} else {
				qx, qy = cx, cy
			}
			dx, err := num()
			if err != nil {
				return err
			}
			dy, err := num()
			if err != nil {
				return err
			}
			cx, cy, quad = cx+dx, cy+dy, true
			z.QuadTo(qx, qy, cx, cy)
		case 'z':
			z.ClosePath()
			cx, cy, open = sx, sy, false
		default:
			return fmt.Errorf("path command %q at %d", cmd, i)
		}
		prevQuad = quad
		for i < len(d) && d[i] == ' ' {
			i++
		}
	}
	if open {
		z.ClosePath()
	}
	return nil
}
