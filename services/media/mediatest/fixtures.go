// Package mediatest makes the image files the upload tests send: real
// JPEG, PNG and GIF files generated in memory, files with EXIF and GPS
// tags, and hostile files (decompression bombs, polyglots, SVG with a
// script, truncated images).
package mediatest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
)

// Halves is a w×h image whose left half is red and right half blue:
// orientation is visible in it.
func Halves(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 255, A: 255}
			if x >= w/2 {
				c = color.RGBA{B: 255, A: 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// JPEG is Halves(w, h) as a JPEG.
func JPEG(w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, Halves(w, h), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// PNG is img as a PNG.
func PNG(img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// TransparentPNG is a w×h PNG whose top half is transparent.
func TransparentPNG(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := h / 2; y < h; y++ {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{G: 200, A: 255})
		}
	}
	return PNG(img)
}

// AnimatedGIF is a w×h GIF of two frames, red then blue.
func AnimatedGIF(w, h int) []byte {
	pal := color.Palette{color.RGBA{R: 255, A: 255}, color.RGBA{B: 255, A: 255}}
	frame := func(i uint8) *image.Paletted {
		p := image.NewPaletted(image.Rect(0, 0, w, h), pal)
		for k := range p.Pix {
			p.Pix[k] = i
		}
		return p
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{frame(0), frame(1)}, Delay: []int{10, 10}}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// PNGClaiming is a small valid PNG whose header says w×h pixels (its
// IHDR rewritten, CRC included): a decompression bomb for w×h large.
func PNGClaiming(w, h int) []byte {
	b := PNG(image.NewGray(image.Rect(0, 0, 1, 1)))
	// The signature (8 bytes), then IHDR: length (4), type (4), width,
	// height, and its CRC over type and data after 13 data bytes.
	binary.BigEndian.PutUint32(b[16:], uint32(w))
	binary.BigEndian.PutUint32(b[20:], uint32(h))
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// GPS text that WithEXIF writes into the EXIF block, to look for in the
// stored file.
const GPSMarker = "GPSMARKER-48.8584N-2.2945E"

// WithEXIF returns jpg (a JPEG) with an EXIF APP1 segment right after its
// SOI marker: IFD0 holds the orientation tag (1–8; 6 means the camera
// was turned: rotate 90° clockwise to view) and a GPS IFD whose
// GPSLatitudeRef is "N" and whose GPSMapDatum is GPSMarker.
func WithEXIF(jpg []byte, orientation uint16) []byte {
	le := binary.LittleEndian
	var t bytes.Buffer
	t.WriteString("II*\x00")
	_ = binary.Write(&t, le, uint32(8)) // IFD0 at 8
	// IFD0: 2 entries (12 bytes each), then the next-IFD offset.
	ifd0 := 8
	gpsIFD := ifd0 + 2 + 2*12 + 4
	_ = binary.Write(&t, le, uint16(2))
	entry := func(tag, typ uint16, count, value uint32) {
		_ = binary.Write(&t, le, tag)
		_ = binary.Write(&t, le, typ)
		_ = binary.Write(&t, le, count)
		_ = binary.Write(&t, le, value)
	}
	entry(0x0112, 3, 1, uint32(orientation)) // Orientation, SHORT
	entry(0x8825, 4, 1, uint32(gpsIFD))      // GPSInfo IFD pointer, LONG
	_ = binary.Write(&t, le, uint32(0))
	// GPS IFD: GPSLatitudeRef "N" inline, GPSMapDatum at the data after it.
	datum := gpsIFD + 2 + 2*12 + 4
	_ = binary.Write(&t, le, uint16(2))
	entry(0x0001, 2, 2, uint32('N'))
	entry(0x0012, 2, uint32(len(GPSMarker)+1), uint32(datum))
	_ = binary.Write(&t, le, uint32(0))
	t.WriteString(GPSMarker + "\x00")

	payload := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// HTMLPayload is what Polyglot appends.
const HTMLPayload = "<html><body><script>alert(document.cookie)</script></body></html>"

// Polyglot is a valid JPEG with an HTML page appended: a browser sniffing
// the file may run the script.
func Polyglot() []byte { return append(JPEG(64, 48), HTMLPayload...) }

// SVG is an SVG image with a script.
const SVG = `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>`

// PHP is a PHP script (sent under a .jpg name).
const PHP = "<?php echo shell_exec($_GET['c']); ?>"

// Photo is a w×h JPEG (quality 90) with gradients and noise, so it
// compresses like a photo rather than a flat fill: 4000×3000 (12
// megapixels) is about 2 MB.
func Photo(w, h int) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			img.Y[y*img.YStride+x] = uint8((x*255/w+y*255/h)/2 + rng.IntN(12))
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			i := y*img.CStride + x
			img.Cb[i], img.Cr[i] = uint8(x*255/((w+1)/2)), uint8(128+rng.IntN(8))
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Truncated is the first half of a JPEG: its header reads, its pixels do
// not.
func Truncated() []byte {
	b := JPEG(256, 256)
	return b[:len(b)/2]
}
