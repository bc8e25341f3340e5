package media_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"testing"

	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/media"
	"github.com/blogapi/blogapi/services/media/mediatest"
)

// TestProcessRefuses: each hostile or broken file is refused with its
// sentinel; the 400-class ones name the field "file".
func TestProcessRefuses(t *testing.T) {
	for _, c := range []struct {
		name  string
		data  []byte
		want  error
		field bool
	}{
		{"empty", nil, media.ErrEmptyFile, true},
		{"php named .jpg", []byte(mediatest.PHP), media.ErrUnsupportedType, false},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), media.ErrUnsupportedType, false},
		{"svg with script", []byte(mediatest.SVG), media.ErrUnsupportedType, false},
		{"bmp", append([]byte("BM"), make([]byte, 64)...), media.ErrUnsupportedType, false},
		{"1x60000 png", mediatest.PNG(image.NewGray(image.Rect(0, 0, 1, 60000))), media.ErrImageDimensions, true},
		{"bomb 20000x20000", mediatest.PNGClaiming(20000, 20000), media.ErrImageDimensions, true},
		{"7000x7000 (49 MP)", mediatest.PNGClaiming(7000, 7000), media.ErrImageDimensions, true},
		{"truncated jpeg", mediatest.Truncated(), media.ErrInvalidImage, true},
		{"jpeg magic, garbage", append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{1}, 100)...), media.ErrInvalidImage, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := media.Process(c.data, media.KindArticle)
			if !errors.Is(err, c.want) {
				t.Fatalf("Process = %v, want %v", err, c.want)
			}
			var fe *services.FieldError
			if got := errors.As(err, &fe) && fe.Field == "file"; got != c.field {
				t.Fatalf("FieldError about file: %v, want %v (%v)", got, c.field, err)
			}
		})
	}
}

// TestProcessEXIF: a JPEG with GPS tags and orientation 6 comes back
// without any EXIF, turned upright: the red left half of the sensor image
// is now on top.
func TestProcessEXIF(t *testing.T) {
	in := mediatest.WithEXIF(mediatest.JPEG(80, 40), 6)
	if !bytes.Contains(in, []byte(mediatest.GPSMarker)) {
		t.Fatal("fixture has no GPS marker")
	}
	p, err := media.Process(in, media.KindArticle)
	if err != nil {
		t.Fatal(err)
	}
	out := p.Image.Data
	for _, marker := range [][]byte{[]byte("Exif"), []byte(mediatest.GPSMarker), {0xff, 0xe1}} {
		if bytes.Contains(out, marker) {
			t.Errorf("stored image still contains %q", marker)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 40 || b.Dy() != 80 || p.Image.Width != 40 || p.Image.Height != 80 {
		t.Fatalf("size %v (reported %dx%d), want 40x80 (rotated)", b, p.Image.Width, p.Image.Height)
	}
	top, bottom := img.At(20, 5), img.At(20, 75)
	if r, _, b, _ := top.RGBA(); r < 0xc000 || b > 0x4000 {
		t.Errorf("top pixel %v, want red", top)
	}
	if r, _, b, _ := bottom.RGBA(); b < 0xc000 || r > 0x4000 {
		t.Errorf("bottom pixel %v, want blue", bottom)
	}
}

// TestProcessPolyglot: a JPEG with HTML appended is accepted, and the
// stored file no longer contains the HTML.
func TestProcessPolyglot(t *testing.T) {
	p, err := media.Process(mediatest.Polyglot(), media.KindArticle)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.Image.Data, []byte("<script")) || bytes.Contains(p.Thumb.Data, []byte("<script")) {
		t.Fatal("the appended HTML survived re-encoding")
	}
	if p.Image.Type != media.TypeJPEG {
		t.Fatalf("type %s", p.Image.Type)
	}
}

// TestProcessShapes: avatars become 256x256 squares; article images are
// scaled down to 1920 wide (never up) with a 640 wide thumbnail; the
// stored type follows transparency; GIF and WebP are re-encoded.
func TestProcessShapes(t *testing.T) {
	webpLossy, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	webpAlpha, err := os.ReadFile("testdata/yellow_rose.lossy-with-alpha.webp")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name          string
		data          []byte
		kind          media.Kind
		typ           string
		w, h          int
		thumbW, thumb int // thumbnail width and height; 0: none
	}{
		{"avatar from a wide jpeg", mediatest.JPEG(900, 300), media.KindAvatar, media.TypeJPEG, 256, 256, 0, 0},
		{"avatar from a tiny png", mediatest.PNG(mediatest.Halves(10, 20)), media.KindAvatar, media.TypeJPEG, 256, 256, 0, 0},
		{"big article jpeg", mediatest.JPEG(3840, 1280), media.KindArticle, media.TypeJPEG, 1920, 640, 640, 213},
		{"small article jpeg", mediatest.JPEG(300, 200), media.KindArticle, media.TypeJPEG, 300, 200, 300, 200},
		{"transparent png", mediatest.TransparentPNG(1000, 500), media.KindArticle, media.TypePNG, 1000, 500, 640, 320},
		{"animated gif", mediatest.AnimatedGIF(100, 50), media.KindArticle, media.TypeJPEG, 100, 50, 100, 50},
		{"lossy webp", webpLossy, media.KindArticle, media.TypeJPEG, 0, 0, 0, 0},
		{"webp with alpha", webpAlpha, media.KindArticle, media.TypePNG, 0, 0, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := media.Process(c.data, c.kind)
			if err != nil {
				t.Fatal(err)
			}
			if p.Image.Type != c.typ {
				t.Fatalf("type %s, want %s", p.Image.Type, c.typ)
			}
			if p.Image.Type == media.TypePNG {
				cfg, err := png.DecodeConfig(bytes.NewReader(p.Image.Data))
				if err != nil || cfg.ColorModel == color.RGBA64Model || cfg.ColorModel == color.NRGBA64Model {
					t.Fatalf("stored PNG colour model %v, %v: want 8 bits a channel", cfg.ColorModel, err)
				}
			}
			w, h := decodedSize(t, p.Image)
			if w != p.Image.Width || h != p.Image.Height {
				t.Fatalf("decoded %dx%d, reported %dx%d", w, h, p.Image.Width, p.Image.Height)
			}
			if c.w != 0 && (w != c.w || h != c.h) {
				t.Fatalf("image %dx%d, want %dx%d", w, h, c.w, c.h)
			}
			switch {
			case c.kind == media.KindAvatar:
				if p.Thumb != nil {
					t.Fatal("an avatar got a thumbnail")
				}
			case p.Thumb == nil:
				t.Fatal("no thumbnail")
			default:
				tw, th := decodedSize(t, *p.Thumb)
				if c.thumbW != 0 && (tw != c.thumbW || th != c.thumb) {
					t.Fatalf("thumbnail %dx%d, want %dx%d", tw, th, c.thumbW, c.thumb)
				}
				if tw > media.ThumbWidth || p.Thumb.Type != c.typ {
					t.Fatalf("thumbnail %dx%d %s", tw, th, p.Thumb.Type)
				}
			}
		})
	}
}

// TestParseKind: the SPA's "avatar/" and the editor's missing dir are
// accepted; a path is not.
func TestParseKind(t *testing.T) {
	for dir, want := range map[string]media.Kind{"avatar": media.KindAvatar, "avatar/": media.KindAvatar,
		"": media.KindArticle, "article": media.KindArticle, "article/": media.KindArticle} {
		if got, err := media.ParseKind(dir); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %q, %v", dir, got, err)
		}
	}
	for _, dir := range []string{"../../etc", "image/", "avatar/../..", "/avatar", "AVATAR"} {
		var fe *services.FieldError
		if _, err := media.ParseKind(dir); !errors.Is(err, media.ErrBadDir) || !errors.As(err, &fe) || fe.Field != "dir" {
			t.Errorf("ParseKind(%q) = %v", dir, err)
		}
	}
}

func decodedSize(t *testing.T, e media.Encoded) (int, int) {
	t.Helper()
	var img image.Image
	var err error
	if e.Type == media.TypePNG {
		img, err = png.Decode(bytes.NewReader(e.Data))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(e.Data))
	}
	if err != nil {
		t.Fatalf("stored %s does not decode: %v", e.Type, err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}
