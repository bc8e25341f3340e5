package media

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"

	// Decoders of the accepted types; imaging adds BMP and TIFF, which
	// the sniff never lets through.
	_ "image/gif"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/webp"

	"github.com/blogapi/blogapi/services"
)

// Kind is what an upload is for; it decides the size limit and the
// shape of the stored image (README, "Uploads").
type Kind string

// The kinds of upload, as the multipart field `dir` names them.
const (
	KindAvatar  Kind = "avatar"
	KindArticle Kind = "article"
)

// ParseKind reads the multipart field `dir`: "avatar" or "article", with
// or without the trailing slash the SPA sends ("avatar/"); "" is an
// article image (the SPA's editor sends no dir). Anything else is a
// FieldError about "dir" wrapping ErrBadDir.
func ParseKind(dir string) (Kind, error) {
	switch dir {
	case "avatar", "avatar/":
		return KindAvatar, nil
	case "", "article", "article/":
		return KindArticle, nil
	}
	return "", &services.FieldError{Field: "dir", Reason: `must be "avatar" or "article"`, Err: ErrBadDir}
}

// Limits of the image pipeline. Decompression bombs are refused from the
// header (image.DecodeConfig) before any pixel is decoded.
const (
	MaxSide         = 8000       // pixels, either side
	MaxPixels       = 40_000_000 // width × height
	AvatarSize      = 256        // avatars are AvatarSize × AvatarSize
	ArticleMaxWidth = 1920       // article images are scaled down to this width, never up
	ThumbWidth      = 640        // width of an article image's thumbnail
	JPEGQuality     = 85
)

// Media types of the stored images.
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
)

// accepted are the sniffed types the pipeline takes, with the name
// image.DecodeConfig must report for each.
var accepted = map[string]string{
	"image/jpeg": "jpeg",
	"image/png":  "png",
	"image/gif":  "gif",
	"image/webp": "webp",
}

// Encoded is one stored image: its bytes, media type and size in pixels.
type Encoded struct {
	Data          []byte
	Type          string
	Width, Height int
}

// Ext is the file extension of e's type, with the dot.
func (e Encoded) Ext() string {
	if e.Type == TypePNG {
		return ".png"
	}
	return ".jpg"
}

// Processed is what Process makes of an upload: the image to store and,
// for article images, a thumbnail (nil for avatars).
type Processed struct {
	Image Encoded
	Thumb *Encoded
}

// Process validates data and re-encodes it for kind, in this order
// (README, "Uploads"): empty → ErrEmptyFile; the type sniffed from the
// content (http.DetectContentType), never a name or a client's
// Content-Type, must be JPEG, PNG, GIF or WebP, else
// ErrUnsupportedType (SVG and HTML included); the header must decode and
// say at most MaxSide a side and MaxPixels, else ErrInvalidImage or
// ErrImageDimensions; then the image is decoded (ErrInvalidImage when
// it is truncated or corrupt), turned upright by its EXIF orientation,
// shaped for kind (avatar: cropped to a centred square of AvatarSize;
// article: at most ArticleMaxWidth wide plus a ThumbWidth thumbnail) and
// encoded again: JPEG at JPEGQuality when opaque, PNG when it has
// transparency. Re-encoding drops EXIF and GPS tags, comments and
// anything appended after the image. An animation keeps its first frame.
//
// The 400-class errors are FieldErrors about "file" wrapping the
// sentinel. Process is CPU-heavy (about a second for 12 megapixels);
// Service.Upload runs it in a bounded number of slots.
func Process(data []byte, kind Kind) (Processed, error) {
	if len(data) == 0 {
		return Processed{}, fileError("is empty", ErrEmptyFile)
	}
	sniffed := http.DetectContentType(data[:min(len(data), 512)])
	format, ok := accepted[sniffed]
	if !ok {
		return Processed{}, ErrUnsupportedType
	}
	cfg, got, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || got != format {
		return Processed{}, fileError("is not a readable image", ErrInvalidImage)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxSide || cfg.Height > MaxSide || cfg.Width*cfg.Height > MaxPixels {
		return Processed{}, fileError(fmt.Sprintf("must be at most %d pixels a side and %d megapixels", MaxSide, MaxPixels/1_000_000), ErrImageDimensions)
	}
	img, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	if err != nil {
		return Processed{}, fileError("is not a readable image", ErrInvalidImage)
	}
	typ := TypeJPEG
	if !isOpaque(img) {
		typ = TypePNG
	}
	switch kind {
	case KindAvatar:
		main, err := encode(imaging.Fill(img, AvatarSize, AvatarSize, imaging.Center, imaging.Lanczos), typ)
		return Processed{Image: main}, err
	case KindArticle:
		if img.Bounds().Dx() > ArticleMaxWidth {
			img = imaging.Resize(img, ArticleMaxWidth, 0, imaging.Lanczos)
		}
		main, err := encode(img, typ)
		if err != nil {
			return Processed{}, err
		}
		thumbImg := img
		if img.Bounds().Dx() > ThumbWidth {
			thumbImg = imaging.Resize(img, ThumbWidth, 0, imaging.Lanczos)
		}
		thumb, err := encode(thumbImg, typ)
		if err != nil {
			return Processed{}, err
		}
		return Processed{Image: main, Thumb: &thumb}, nil
	}
	return Processed{}, fmt.Errorf("process image: unknown kind %q", kind)
}

// fileError is a 400-class refusal of the multipart field "file".
func fileError(reason string, sentinel error) error {
	return &services.FieldError{Field: "file", Reason: reason, Err: sentinel}
}

// isOpaque reports an image without transparent pixels. The decoders'
// types know (a JPEG's YCbCr at once; paletted and RGBA images by a scan);
// any other type is taken to have transparency, so it is kept as PNG.
func isOpaque(img image.Image) bool {
	o, ok := img.(interface{ Opaque() bool })
	return ok && o.Opaque()
}

// asRGBA lets the JPEG encoder take its fast path (it reads *image.RGBA
// rows directly, any other type pixel by pixel): an opaque NRGBA image,
// what the resizer makes, has the same bytes as an RGBA one.
func asRGBA(img image.Image) image.Image {
	if n, ok := img.(*image.NRGBA); ok {
		return &image.RGBA{Pix: n.Pix, Stride: n.Stride, Rect: n.Rect}
	}
	return img
}

// as8bit gives the PNG encoder 8 bits a channel: it writes the types it
// knows as they are, and any other (a WebP's NYCbCrA, a 16-bit PNG) as
// 16-bit RGBA, twice the size for nothing a browser shows.
func as8bit(img image.Image) image.Image {
	switch img.(type) {
	case *image.NRGBA, *image.RGBA, *image.Paletted, *image.Gray:
		return img
	}
	return imaging.Clone(img)
}

// encode writes img as typ; JPEG only for opaque images.
func encode(img image.Image, typ string) (Encoded, error) {
	var buf bytes.Buffer
	var err error
	if typ == TypePNG {
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, as8bit(img))
	} else {
		err = jpeg.Encode(&buf, asRGBA(img), &jpeg.Options{Quality: JPEGQuality})
	}
	if err != nil {
		return Encoded{}, fmt.Errorf("encode %s: %w", typ, err)
	}
	b := img.Bounds()
	return Encoded{Data: buf.Bytes(), Type: typ, Width: b.Dx(), Height: b.Dy()}, nil
}
