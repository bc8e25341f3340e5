package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services/media/mediatest"
)

// filePart is one file part of a multipart upload body.
type filePart struct {
	field, name, contentType string
	data                     []byte
}

// uploadBody is a multipart/form-data body with the text field dir (none
// when "") and the file parts.
func uploadBody(t testing.TB, dir string, files ...filePart) (contentType string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if dir != "" {
		if err := w.WriteField("dir", dir); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+f.field+`"; filename="`+f.name+`"`)
		if f.contentType != "" {
			h.Set("Content-Type", f.contentType)
		}
		part, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = part.Write(f.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

// upload sends a signed upload (the dir field signed, the files not) with
// the access token.
func upload(t testing.TB, c *apitest.Client, token, dir string, files ...filePart) apitest.Reply {
	t.Helper()
	ct, body := uploadBody(t, dir, files...)
	signed := map[string]string{}
	if dir != "" {
		signed["dir"] = dir
	}
	return c.Send(apitest.WithHeader(c.SignedRaw(http.MethodPost, "/blogapi/upload", ct, body, signed), accessHdr(token)))
}

// uploadData is data of an upload answer.
type uploadData struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	ThumbURL string `json:"thumbUrl"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Bytes    int64  `json:"bytes"`
	Type     string `json:"type"`
	Dir      string `json:"dir"`
	State    string `json:"state"`
}

// mediaEnv is an instance with users and a way to look into its storage.
type mediaEnv struct {
	inst          *apitest.Instance
	c             *apitest.Client
	clk           *apitest.Clock
	cfg           config.Config
	alice, bob    string // access tokens
	admin         string
	objects       func(t *testing.T) int
	objectHolding func(t *testing.T, needle []byte) bool
}

// mediaDrivers runs f on an instance with the local driver and on one
// with the s3 driver against an in-process S3 server (gofakes3).
func mediaDrivers(t *testing.T, f func(t *testing.T, env *mediaEnv)) {
	for _, driver := range []string{"local", "s3"} {
		t.Run(driver, func(t *testing.T) { f(t, newMediaEnv(t, driver, nil)) })
	}
}

func newMediaEnv(t *testing.T, driver string, mutate func(*config.Config)) *mediaEnv {
	t.Helper()
	clk := apitest.NewClock()
	cfg := apitest.Config(t)
	env := &mediaEnv{clk: clk}
	switch driver {
	case "local":
		dir := filepath.Join(cfg.Data.Dir, "media")
		files := func() [][]byte {
			var out [][]byte
			_ = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
				if err == nil && !e.IsDir() {
					b, _ := os.ReadFile(path)
					out = append(out, b)
				}
				return nil
			})
			return out
		}
		env.objects = func(t *testing.T) int { return len(files()) }
		env.objectHolding = func(t *testing.T, needle []byte) bool {
			for _, b := range files() {
				if bytes.Contains(b, needle) {
					return true
				}
			}
			return false
		}
	case "s3":
		backend := s3mem.New()
		if err := backend.CreateBucket("media"); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(gofakes3.New(backend).Server())
		t.Cleanup(srv.Close)
		cfg.Media.Driver = config.MediaS3
		cfg.Media.S3 = config.S3{Endpoint: srv.URL, Bucket: "media", Region: "us-east-1", AccessKey: "ak", SecretKey: "sk", PathStyle: true}
		objects := func(t *testing.T) [][]byte {
			list, err := backend.ListBucket("media", nil, gofakes3.ListBucketPage{})
			if err != nil {
				t.Fatal(err)
			}
			var out [][]byte
			for _, item := range list.Contents {
				obj, err := backend.GetObject("media", item.Key, nil)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(obj.Contents)
				_ = obj.Contents.Close()
				out = append(out, b)
			}
			return out
		}
		env.objects = func(t *testing.T) int { return len(objects(t)) }
		env.objectHolding = func(t *testing.T, needle []byte) bool {
			for _, b := range objects(t) {
				if bytes.Contains(b, needle) {
					return true
				}
			}
			return false
		}
	}
	if mutate != nil {
		mutate(&cfg)
	}
	env.cfg = cfg
	env.inst = apitest.Start(t, cfg, apitest.NewDB(t, clk), clk)
	env.c = apitest.NewClient(t, env.inst.Srv.URL, clk)
	for _, u := range []struct {
		account string
		token   *string
	}{{"alice", &env.alice}, {"bob", &env.bob}, {"root", &env.admin}} {
		apitest.Expect(t, register(t, env.c, env.inst, u.account, u.account+"@example.com", "pw-"+u.account), 200, "register "+u.account)
		if u.account == "root" {
			_, err := dbtest.Collection(t, env.inst.DB, models.CollUsers).UpdateOne(context.Background(),
				bson.D{{Key: "account", Value: "root"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "type", Value: models.TypeAdmin}}}})
			if err != nil {
				t.Fatal(err)
			}
		}
		*u.token = login(t, env.c, u.account, "pw-"+u.account).Token
	}
	return env
}

func (env *mediaEnv) records(t *testing.T) int64 {
	t.Helper()
	n, err := dbtest.Collection(t, env.inst.DB, models.CollUploads).CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// get fetches the path of an absolute URL the server answered from the
// test server (server.public_url is not where it listens).
func (env *mediaEnv) get(t *testing.T, rawURL string, hdr http.Header) apitest.Reply {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, env.inst.Srv.URL+u.Path, nil)
	return env.c.Send(apitest.WithHeader(req, hdr))
}

func jpegFile(data []byte) filePart {
	return filePart{field: "file", name: "photo.jpg", contentType: "image/jpeg", data: data}
}

var keyURL = regexp.MustCompile(`^http://localhost:8080/media/(avatar|article)/[0-9a-v]{20}(_640)?\.(jpg|png)$`)

// TestUploadHostileFiles, on both drivers, through the real router: each
// hostile file is refused with its code and nothing is stored; the
// polyglot is accepted and stored without its HTML.
func TestUploadHostileFiles(t *testing.T) {
	mediaDrivers(t, func(t *testing.T, env *mediaEnv) {
		c := env.c
		for _, tc := range []struct {
			name  string
			dir   string
			files []filePart
			code  int
		}{
			{"php named .jpg", "article", []filePart{jpegFile([]byte(mediatest.PHP))}, 415},
			{"html named .png", "article", []filePart{{field: "file", name: "x.png", contentType: "image/png", data: []byte("<html><script>alert(1)</script></html>")}}, 415},
			{"svg with script", "avatar/", []filePart{{field: "file", name: "a.svg", contentType: "image/svg+xml", data: []byte(mediatest.SVG)}}, 415},
			{"1x60000 png", "article", []filePart{{field: "file", name: "tall.png", data: mediatest.PNG(image.NewGray(image.Rect(0, 0, 1, 60000)))}}, 400},
			{"decompression bomb", "article", []filePart{{field: "file", name: "bomb.png", data: mediatest.PNGClaiming(20000, 20000)}}, 400},
			{"truncated jpeg", "article", []filePart{jpegFile(mediatest.Truncated())}, 400},
			{"empty file", "avatar", []filePart{jpegFile(nil)}, 400},
			{"two files", "article", []filePart{jpegFile(mediatest.JPEG(32, 32)), jpegFile(mediatest.JPEG(32, 32))}, 400},
			{"no file", "article", nil, 400},
			{"file in another field", "article", []filePart{{field: "image", name: "x.jpg", data: mediatest.JPEG(32, 32)}}, 400},
			{"dir ../../etc", "../../etc", []filePart{jpegFile(mediatest.JPEG(32, 32))}, 400},
			{"dir image/", "image/", []filePart{jpegFile(mediatest.JPEG(32, 32))}, 400},
			{"avatar over 2 MiB", "avatar", []filePart{jpegFile(append(mediatest.JPEG(32, 32), make([]byte, 2<<20)...))}, 413},
		} {
			r := upload(t, c, env.alice, tc.dir, tc.files...)
			apitest.Expect(t, r, tc.code, tc.name)
			if r.Msg == "" || r.Data != nil {
				t.Errorf("%s: envelope %s", tc.name, r.Body)
			}
			if tc.code == 415 && r.Msg != "unsupported image type" {
				t.Errorf("%s: msg %q", tc.name, r.Msg)
			}
		}
		if n, recs := env.objects(t), env.records(t); n != 0 || recs != 0 {
			t.Fatalf("after the refusals: %d objects, %d records", n, recs)
		}

		r := upload(t, c, env.alice, "article", jpegFile(mediatest.Polyglot()))
		apitest.Expect(t, r, 200, "polyglot")
		var d uploadData
		r.Decode(t, &d)
		got := env.get(t, d.URL, nil)
		if got.Status != 200 || bytes.Contains(got.Body, []byte("<script")) || env.objectHolding(t, []byte("<script")) {
			t.Fatalf("polyglot: status %d, stored HTML: %v", got.Status, env.objectHolding(t, []byte("<script")))
		}
	})
}

// countingReader is an endless body that counts what the client read of
// it.
type countingReader struct{ n atomic.Int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	r.n.Add(int64(len(p)))
	return len(p), nil
}

// TestUploadTooLarge: a body over media.max_bytes is refused 413 from its
// Content-Length, before the server reads it, and one without a length
// once the limit is passed.
func TestUploadTooLarge(t *testing.T) {
	env := newMediaEnv(t, "local", nil)
	const size = 64 << 20
	body := &countingReader{}
	ct, _ := uploadBody(t, "article")
	req := env.c.SignedRaw(http.MethodPost, "/blogapi/upload", ct, nil, map[string]string{"dir": "article"})
	req.Body = io.NopCloser(io.LimitReader(body, size))
	req.ContentLength = size
	req = apitest.WithHeader(req, accessHdr(env.alice))
	// The server answers before reading the body and closes the
	// connection; the client may see the 413 or only the closed connection.
	if r, err := env.c.TrySend(req); err == nil {
		apitest.Expect(t, r, 413, "64 MiB upload")
	}
	if n := body.n.Load(); n >= size {
		t.Fatalf("the client wrote the whole %d bytes before the refusal", n)
	}

	ct, big := uploadBody(t, "article", jpegFile(append(mediatest.JPEG(32, 32), make([]byte, 5<<20)...)))
	req = apitest.WithHeader(env.c.SignedRaw(http.MethodPost, "/blogapi/upload", ct, nil, map[string]string{"dir": "article"}), accessHdr(env.alice))
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(big)), -1 // chunked: no length to refuse early
	apitest.Expect(t, env.c.Send(req), 413, "5 MiB + upload, chunked")
	if env.records(t) != 0 {
		t.Fatal("a refused upload was recorded")
	}
}

// TestUploadAvatarFlow: the SPA's avatar upload (dir "avatar/", a client
// file name with a path) answers data.url, an absolute URL under
// server.public_url that serves a 256x256 JPEG with the headers of a
// stored image; no client path reaches the storage.
func TestUploadAvatarFlow(t *testing.T) {
	env := newMediaEnv(t, "local", nil)
	r := upload(t, env.c, env.alice, "avatar/", filePart{field: "file", name: "../../../../etc/passwd.jpg", contentType: "text/html", data: mediatest.JPEG(600, 400)})
	apitest.Expect(t, r, 200, "avatar upload")
	var d uploadData
	r.Decode(t, &d)
	if !keyURL.MatchString(d.URL) || !strings.Contains(d.URL, "/media/avatar/"+d.ID+".jpg") || d.ThumbURL != "" {
		t.Fatalf("data %+v: url is not a server-made key under server.public_url", d)
	}
	if d.Width != 256 || d.Height != 256 || d.Type != "image/jpeg" || d.Dir != "avatar" || d.State != "staged" || d.Bytes <= 0 {
		t.Fatalf("data %+v", d)
	}
	var paths []string
	_ = filepath.WalkDir(env.cfg.Data.Dir, func(path string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.Contains(path, string(filepath.Separator)+"media"+string(filepath.Separator)) {
			paths = append(paths, path)
		}
		return nil
	})
	if want := filepath.Join(env.cfg.Data.Dir, "media", "avatar", d.ID+".jpg"); len(paths) != 1 || paths[0] != want {
		t.Fatalf("files %v, want only %s", paths, want)
	}

	got := env.get(t, d.URL, nil)
	if got.Status != 200 {
		t.Fatalf("GET %s: %d %s", d.URL, got.Status, got.Body)
	}
	for h, want := range map[string]string{
		"Content-Type": "image/jpeg", "X-Content-Type-Options": "nosniff",
		"Content-Security-Policy": "default-src 'none'; sandbox", "Cache-Control": "public, max-age=31536000, immutable",
	} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("%s: %q, want %q", h, v, want)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(got.Body))
	if err != nil || img.Bounds().Dx() != 256 || img.Bounds().Dy() != 256 {
		t.Fatalf("served avatar: %v %v", img.Bounds(), err)
	}
	etag := got.Header.Get("ETag")
	if again := env.get(t, d.URL, http.Header{"If-None-Match": {etag}}); again.Status != http.StatusNotModified || len(again.Body) != 0 {
		t.Fatalf("If-None-Match %s: %d", etag, again.Status)
	}
	// The profile takes the upload as the avatar: it becomes used, and the
	// sweep keeps it. Another user cannot take it; other http(s) URLs stay
	// accepted.
	r = env.c.CallWith(http.MethodPut, "/blogapi/user/update", map[string]string{"avatar": d.URL}, accessHdr(env.bob))
	apitest.Expect(t, r, 400, "bob takes alice's upload as his avatar")
	r = env.c.CallWith(http.MethodPut, "/blogapi/user/update", map[string]string{"avatar": d.URL}, accessHdr(env.alice))
	apitest.Expect(t, r, 200, "alice sets her avatar")
	var u models.User
	r.Decode(t, &u)
	if u.Avatar != d.URL {
		t.Fatalf("avatar %q, want %q", u.Avatar, d.URL)
	}
	rec, err := env.inst.DB.Uploads.ByID(context.Background(), d.ID)
	if err != nil || rec.State != models.UploadUsed {
		t.Fatalf("upload after the profile update: %+v, %v", rec, err)
	}
	r = env.c.CallWith(http.MethodPut, "/blogapi/user/update", map[string]string{"avatar": "https://elsewhere.example/a.png"}, accessHdr(env.bob))
	apitest.Expect(t, r, 200, "bob sets an avatar hosted elsewhere")
	env.clk.Advance(48 * time.Hour)
	if n, err := env.inst.App.Media.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep swept %d (%v): the used avatar must stay", n, err)
	}
	if got := env.get(t, d.URL, nil); got.Status != 200 {
		t.Fatalf("avatar after the sweep: %d", got.Status)
	}

	for _, path := range []string{"/media/avatar/" + d.ID + ".png", "/media/avatar/..%2f..%2fconfig.yaml", "/media/article/" + d.ID + ".jpg",
		"/media/avatar/" + strings.Repeat("0", 20) + ".jpg"} {
		req, _ := http.NewRequest(http.MethodGet, env.inst.Srv.URL+path, nil)
		apitest.Expect(t, env.c.Send(req), 404, "GET "+path)
	}
}

// TestUploadEXIF: a JPEG with GPS tags and a rotated orientation comes
// back without them, upright, with a thumbnail.
func TestUploadEXIF(t *testing.T) {
	env := newMediaEnv(t, "local", nil)
	r := upload(t, env.c, env.alice, "article", jpegFile(mediatest.WithEXIF(mediatest.JPEG(800, 400), 6)))
	apitest.Expect(t, r, 200, "upload with EXIF")
	var d uploadData
	r.Decode(t, &d)
	if d.Width != 400 || d.Height != 800 || d.ThumbURL == "" {
		t.Fatalf("data %+v, want 400x800 (rotated) with a thumbnail", d)
	}
	for _, u := range []string{d.URL, d.ThumbURL} {
		got := env.get(t, u, nil)
		if got.Status != 200 || bytes.Contains(got.Body, []byte(mediatest.GPSMarker)) || bytes.Contains(got.Body, []byte("Exif")) {
			t.Fatalf("GET %s: status %d, EXIF or GPS left", u, got.Status)
		}
	}
	if env.objectHolding(t, []byte(mediatest.GPSMarker)) {
		t.Fatal("a stored object holds the GPS tag")
	}
}

// TestUploadDeleteOwnership, on both drivers: another user's delete is a
// 404 and the image stays served; the owner's removes it; an admin may
// delete anyone's.
func TestUploadDeleteOwnership(t *testing.T) {
	mediaDrivers(t, func(t *testing.T, env *mediaEnv) {
		c := env.c
		var a, b uploadData
		r := upload(t, c, env.alice, "article", jpegFile(mediatest.JPEG(700, 300)))
		apitest.Expect(t, r, 200, "alice uploads")
		r.Decode(t, &a)
		r = upload(t, c, env.bob, "avatar", jpegFile(mediatest.JPEG(300, 300)))
		apitest.Expect(t, r, 200, "bob uploads")
		r.Decode(t, &b)

		del := func(token, id string) apitest.Reply {
			return c.CallWith(http.MethodDelete, "/blogapi/upload/"+id, nil, accessHdr(token))
		}
		apitest.Expect(t, del(env.bob, a.ID), 404, "bob deletes alice's")
		if got := env.get(t, a.URL, nil); got.Status != 200 {
			t.Fatalf("alice's image after bob's delete: %d", got.Status)
		}
		apitest.Expect(t, del(env.alice, a.ID), 200, "alice deletes hers")
		if got := env.get(t, a.ThumbURL, nil); got.Status != 404 {
			t.Fatalf("thumbnail after the delete: %d", got.Status)
		}
		apitest.Expect(t, del(env.alice, a.ID), 404, "second delete")
		apitest.Expect(t, del(env.admin, b.ID), 200, "admin deletes bob's")
		if n, recs := env.objects(t), env.records(t); n != 0 || recs != 0 {
			t.Fatalf("left: %d objects, %d records", n, recs)
		}
		req := c.Request(http.MethodDelete, "/blogapi/upload/"+a.ID, nil, nil)
		apitest.Expect(t, c.Send(req), 401, "delete without a token")
	})
}

// TestUploadSweptAndLimited: a staged upload past media.staged_ttl is
// swept with its file (injected clock); uploads are rate-limited per user.
func TestUploadSweptAndLimited(t *testing.T) {
	env := newMediaEnv(t, "local", func(c *config.Config) {
		c.RateLimit.Upload = config.Rate{Count: 2, Period: time.Hour}
	})
	var d uploadData
	r := upload(t, env.c, env.alice, "article", jpegFile(mediatest.JPEG(64, 64)))
	apitest.Expect(t, r, 200, "first upload")
	r.Decode(t, &d)
	apitest.Expect(t, upload(t, env.c, env.alice, "article", jpegFile(mediatest.JPEG(64, 64))), 200, "second upload")
	r = upload(t, env.c, env.alice, "article", jpegFile(mediatest.JPEG(64, 64)))
	apitest.Expect(t, r, 429, "third upload in the hour")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	apitest.Expect(t, upload(t, env.c, env.bob, "article", jpegFile(mediatest.JPEG(64, 64))), 200, "another user's upload")

	env.clk.Advance(25 * time.Hour)
	n, err := env.inst.App.Media.Sweep(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("sweep: %d, %v; want the 3 staged uploads", n, err)
	}
	if got := env.get(t, d.URL, nil); got.Status != 404 || env.objects(t) != 0 {
		t.Fatalf("after the sweep: GET %d, %d objects", got.Status, env.objects(t))
	}
}

// TestUploadSPAFlows: the SPA's avatar flow (an upload with dir "avatar/",
// then PUT /blogapi/user/update {field: cover, value: url}) and an
// article's images (its cover and an <img> of its content) make those
// uploads used: the sweep deletes only the upload nothing shows.
func TestUploadSPAFlows(t *testing.T) {
	env := newMediaEnv(t, "local", nil)
	up := func(token, dir string) uploadData {
		t.Helper()
		r := upload(t, env.c, token, dir, jpegFile(mediatest.JPEG(1000, 500)))
		apitest.Expect(t, r, 200, "upload "+dir)
		var d uploadData
		r.Decode(t, &d)
		return d
	}
	send := func(method, path, body, token string) apitest.Reply {
		t.Helper()
		return env.c.Send(apitest.WithHeader(env.c.SignedRawJSON(method, path, body), accessHdr(token)))
	}

	avatar := up(env.alice, "avatar/")
	r := send(http.MethodPut, "/blogapi/user/update", fmt.Sprintf(`{"field":"cover","value":%q}`, avatar.URL), env.alice)
	apitest.Expect(t, r, 200, "the SPA sets the avatar")
	var profile struct {
		Cover string `json:"cover"`
	}
	r.Decode(t, &profile)
	if profile.Cover != avatar.URL {
		t.Fatalf("cover %q, want %q", profile.Cover, avatar.URL)
	}

	cover, inline, unused := up(env.admin, "article"), up(env.admin, "article"), up(env.admin, "article")
	body := fmt.Sprintf(`{"type":"original","typeUrl":"","category":%q,"isPrivate":false,"title":"With pictures",`+
		`"content":"<p>Look:</p><p><img src=\"%s\" alt=\"x\"></p>","tags":["go"],"cover":%q,"status":"online",`+
		`"seo":{"title":"s","keywords":"k","description":"d"}}`, models.DefaultCategory, inline.ThumbURL, cover.URL)
	apitest.Expect(t, send(http.MethodPost, "/blogapi/article/section", body, env.admin), 200, "publish with uploaded images")

	for _, d := range []uploadData{avatar, cover, inline} {
		if rec, err := env.inst.DB.Uploads.ByID(context.Background(), d.ID); err != nil || rec.State != models.UploadUsed {
			t.Fatalf("%s after the SPA flow: %+v, %v", d.URL, rec, err)
		}
	}
	env.clk.Advance(25 * time.Hour)
	if n, err := env.inst.App.Media.Sweep(context.Background()); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want only the unused upload", n, err)
	}
	if got := env.get(t, unused.URL, nil); got.Status != 404 {
		t.Fatalf("the unused upload after the sweep: %d", got.Status)
	}
	for _, u := range []string{avatar.URL, cover.URL, inline.ThumbURL} {
		if got := env.get(t, u, nil); got.Status != 200 {
			t.Fatalf("%s after the sweep: %d", u, got.Status)
		}
	}
}
