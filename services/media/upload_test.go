package media_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/media"
	"github.com/blogapi/blogapi/services/media/mediatest"
)

// clock is an injected clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a service over a fresh database and one storage driver.
type fixture struct {
	svc   *media.Service
	db    *models.DB
	d     driver
	clock *clock
}

const baseURL = "https://blog.example.com/media"

func newFixture(t *testing.T, d driver, cfg media.Config) fixture {
	t.Helper()
	db := dbtest.New(t)
	c := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes, cfg.AvatarMaxBytes = 5<<20, 2<<20
	}
	if cfg.StagedTTL == 0 {
		cfg.StagedTTL = 24 * time.Hour
	}
	cfg.BaseURL, cfg.Slots, cfg.Queue = baseURL+"/", 1, 8
	svc := media.New(media.Deps{Uploads: db.Uploads, Usage: db.MediaUsage, Storage: d.storage, Config: cfg, Now: c.Now})
	return fixture{svc: svc, db: db, d: d, clock: c}
}

func (f fixture) records(t *testing.T) int64 {
	t.Helper()
	n, err := dbtest.Collection(t, f.db, models.CollUploads).CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f fixture) usage(t *testing.T, owner string) models.MediaUsage {
	t.Helper()
	u, err := f.db.MediaUsage.ByOwner(context.Background(), owner)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var (
	alice = media.Actor{ID: "64b000000000000000000001"}
	bob   = media.Actor{ID: "64b000000000000000000002"}
	admin = media.Actor{ID: "64b0000000000000000000ad", Admin: true}
)

// TestUploadStoresAndServes, on both drivers: an article image is stored
// with its thumbnail under server-made keys, recorded staged with its
// owner, size, dimensions and SHA-256, counted in the owner's usage, and
// opened for serving by its key.
func TestUploadStoresAndServes(t *testing.T) {
	ctx := context.Background()
	for _, d := range drivers(t) {
		t.Run(d.name, func(t *testing.T) {
			f := newFixture(t, d, media.Config{})
			res, err := f.svc.Upload(ctx, alice, media.KindArticle, bytes.NewReader(mediatest.JPEG(2400, 1200)))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.ID) != 20 || res.Key != "article/"+res.ID+".jpg" || res.ThumbKey != "article/"+res.ID+"_640.jpg" {
				t.Fatalf("keys %q %q for id %q", res.Key, res.ThumbKey, res.ID)
			}
			if res.URL != baseURL+"/"+res.Key || res.ThumbURL != baseURL+"/"+res.ThumbKey {
				t.Fatalf("URLs %q %q", res.URL, res.ThumbURL)
			}
			if res.Width != 1920 || res.Height != 960 || res.Type != media.TypeJPEG || res.State != models.UploadStaged ||
				res.Owner != alice.ID || len(res.SHA256) != 64 || !res.CreatedAt.Equal(f.clock.Now()) {
				t.Fatalf("record %+v", res.Upload)
			}
			if !d.has(t, res.Key) || !d.has(t, res.ThumbKey) || d.count(t) != 2 {
				t.Fatalf("storage holds %d objects", d.count(t))
			}
			if u := f.usage(t, alice.ID); u.Bytes != res.StoredBytes() || u.Count != 1 {
				t.Fatalf("usage %+v, want %d bytes", u, res.StoredBytes())
			}
			for _, key := range []string{res.Key, res.ThumbKey} {
				served, err := f.svc.Open(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(served.Object.Body)
				_ = served.Object.Body.Close()
				if served.Upload.ID != res.ID || int64(len(body)) != served.Object.Size || !bytes.HasPrefix(body, []byte{0xff, 0xd8}) {
					t.Fatalf("Open(%s): %d bytes, record %s", key, len(body), served.Upload.ID)
				}
			}
			for _, key := range []string{"article/" + res.ID + ".png", "avatar/" + res.ID + ".jpg", "../" + res.Key, "article/cnv0h0ud0000000000a0.jpg"} {
				if _, err := f.svc.Open(ctx, key); !errors.Is(err, media.ErrUploadNotFound) {
					t.Errorf("Open(%q) = %v, want ErrUploadNotFound", key, err)
				}
			}
		})
	}
}

// TestUploadRefusalsStoreNothing, on both drivers: every hostile file is
// refused with its sentinel and leaves no object, record or usage.
func TestUploadRefusalsStoreNothing(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		kind media.Kind
		data []byte
		want error
	}{
		{"php named .jpg", media.KindArticle, []byte(mediatest.PHP), media.ErrUnsupportedType},
		{"svg with script", media.KindArticle, []byte(mediatest.SVG), media.ErrUnsupportedType},
		{"1x60000 png", media.KindArticle, mediatest.PNG(image.NewGray(image.Rect(0, 0, 1, 60000))), media.ErrImageDimensions},
		{"bomb", media.KindArticle, mediatest.PNGClaiming(20000, 20000), media.ErrImageDimensions},
		{"truncated jpeg", media.KindArticle, mediatest.Truncated(), media.ErrInvalidImage},
		{"empty", media.KindAvatar, nil, media.ErrEmptyFile},
		{"over 5 MiB", media.KindArticle, bytes.Repeat([]byte{0xff}, 5<<20+1), media.ErrTooLarge},
		{"avatar over 2 MiB", media.KindAvatar, append(mediatest.JPEG(64, 64), make([]byte, 2<<20)...), media.ErrTooLarge},
	}
	for _, d := range drivers(t) {
		t.Run(d.name, func(t *testing.T) {
			f := newFixture(t, d, media.Config{})
			for _, c := range cases {
				if _, err := f.svc.Upload(ctx, alice, c.kind, bytes.NewReader(c.data)); !errors.Is(err, c.want) {
					t.Errorf("%s: %v, want %v", c.name, err, c.want)
				}
			}
			if n, r, u := d.count(t), f.records(t), f.usage(t, alice.ID); n != 0 || r != 0 || u.Bytes != 0 {
				t.Fatalf("after the refusals: %d objects, %d records, usage %+v", n, r, u)
			}
		})
	}
}

// TestUploadQuota: a user past media.user_quota_bytes is refused, an
// admin is not; deleting frees the room.
func TestUploadQuota(t *testing.T) {
	ctx := context.Background()
	d := drivers(t)[0]
	f := newFixture(t, d, media.Config{UserQuotaBytes: 30_000})
	img := mediatest.JPEG(1200, 800) // stored as about 20 KB with its thumbnail
	first, err := f.svc.Upload(ctx, alice, media.KindArticle, bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	if first.StoredBytes() > 30_000 || first.StoredBytes() < 15_000 {
		t.Fatalf("fixture stores %d bytes; the test needs 15–30 kB", first.StoredBytes())
	}
	if _, err := f.svc.Upload(ctx, alice, media.KindArticle, bytes.NewReader(img)); !errors.Is(err, media.ErrQuotaExceeded) {
		t.Fatalf("second upload: %v, want ErrQuotaExceeded", err)
	}
	for range 2 {
		if _, err := f.svc.Upload(ctx, admin, media.KindArticle, bytes.NewReader(img)); err != nil {
			t.Fatalf("admin upload: %v", err)
		}
	}
	if err := f.svc.Delete(ctx, alice, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Upload(ctx, alice, media.KindArticle, bytes.NewReader(img)); err != nil {
		t.Fatalf("upload after a delete: %v", err)
	}
}

// TestDeleteOwnership, on both drivers: another user cannot delete an
// upload (it looks missing to them) and its files stay; the owner can,
// and an admin can delete anyone's.
func TestDeleteOwnership(t *testing.T) {
	ctx := context.Background()
	for _, d := range drivers(t) {
		t.Run(d.name, func(t *testing.T) {
			f := newFixture(t, d, media.Config{})
			a, err := f.svc.Upload(ctx, alice, media.KindArticle, bytes.NewReader(mediatest.JPEG(800, 600)))
			if err != nil {
				t.Fatal(err)
			}
			b, err := f.svc.Upload(ctx, bob, media.KindAvatar, bytes.NewReader(mediatest.JPEG(300, 300)))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.svc.Delete(ctx, bob, a.ID); !errors.Is(err, media.ErrUploadNotFound) {
				t.Fatalf("bob deletes alice's: %v", err)
			}
			if !d.has(t, a.Key) || !d.has(t, a.ThumbKey) {
				t.Fatal("a refused delete removed files")
			}
			if err := f.svc.Delete(ctx, alice, a.ID); err != nil {
				t.Fatal(err)
			}
			if d.has(t, a.Key) || d.has(t, a.ThumbKey) {
				t.Fatal("files left after the owner's delete")
			}
			if err := f.svc.Delete(ctx, alice, a.ID); !errors.Is(err, media.ErrUploadNotFound) {
				t.Fatalf("second delete: %v", err)
			}
			if err := f.svc.Delete(ctx, admin, b.ID); err != nil {
				t.Fatalf("admin deletes bob's: %v", err)
			}
			if d.count(t) != 0 || f.records(t) != 0 {
				t.Fatalf("left: %d objects, %d records", d.count(t), f.records(t))
			}
			if u := f.usage(t, alice.ID); u.Bytes != 0 || u.Count != 0 {
				t.Fatalf("alice's usage after deleting everything: %+v", u)
			}
		})
	}
}

// TestUseAndSweep: with an injected clock, staged uploads older than
// media.staged_ttl are swept with their files; used ones and young ones
// stay. Use accepts only the actor's own uploads and leaves other URLs to
// the caller.
func TestUseAndSweep(t *testing.T) {
	ctx := context.Background()
	for _, d := range drivers(t) {
		t.Run(d.name, func(t *testing.T) {
			f := newFixture(t, d, media.Config{StagedTTL: 24 * time.Hour})
			up := func(a media.Actor) media.Result {
				r, err := f.svc.Upload(ctx, a, media.KindArticle, bytes.NewReader(mediatest.JPEG(200, 100)))
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			used, staged := up(alice), up(alice)
			if ours, err := f.svc.Use(ctx, alice, used.URL); !ours || err != nil {
				t.Fatalf("Use own: %v, %v", ours, err)
			}
			if ours, err := f.svc.Use(ctx, bob, staged.ThumbURL); !ours || !errors.Is(err, media.ErrUploadNotFound) {
				t.Fatalf("Use another's: %v, %v", ours, err)
			}
			for _, url := range []string{"https://elsewhere.example/a.jpg", baseURL + "/../x", strings.TrimSuffix(baseURL, "/media") + "/" + used.Key} {
				if ours, err := f.svc.Use(ctx, alice, url); ours || err != nil {
					t.Errorf("Use(%q) = %v, %v; want not ours", url, ours, err)
				}
			}
			f.clock.Advance(23 * time.Hour)
			young := up(bob)
			if n, err := f.svc.Sweep(ctx); err != nil || n != 0 {
				t.Fatalf("sweep at 23 h: %d, %v", n, err)
			}
			f.clock.Advance(2 * time.Hour)
			if n, err := f.svc.Sweep(ctx); err != nil || n != 1 {
				t.Fatalf("sweep at 25 h: %d, %v; want 1", n, err)
			}
			if d.has(t, staged.Key) || d.has(t, staged.ThumbKey) {
				t.Fatal("the swept upload's files remain")
			}
			if _, err := f.svc.Open(ctx, used.Key); err != nil {
				t.Fatalf("the used upload: %v", err)
			}
			if _, err := f.svc.Open(ctx, young.Key); err != nil {
				t.Fatalf("the young upload: %v", err)
			}
			if u := f.usage(t, alice.ID); u.Count != 1 || u.Bytes != used.StoredBytes() {
				t.Fatalf("alice's usage after the sweep: %+v", u)
			}
		})
	}
}

// TestUploadBusy: with the only slot taken and no queue, an upload is
// refused at once with a RetryLater; with a queue, one whose request ends
// while it waits is refused too; once the slot is free, uploads go
// through.
func TestUploadBusy(t *testing.T) {
	ctx := context.Background()
	d := drivers(t)[0]
	db := dbtest.New(t)
	for _, queue := range []int{0, 1} {
		svc := media.New(media.Deps{Uploads: db.Uploads, Usage: db.MediaUsage, Storage: d.storage,
			Config: media.Config{MaxBytes: 1 << 20, AvatarMaxBytes: 1 << 20, BaseURL: baseURL, Slots: 1, Queue: queue}})
		release := media.HoldSlots(svc, 1)
		waitCtx, cancel := context.WithCancel(ctx)
		cancel() // with a queue, the upload waits until its request ends: at once
		_, err := svc.Upload(waitCtx, alice, media.KindAvatar, bytes.NewReader(mediatest.JPEG(64, 64)))
		var rl *services.RetryLater
		if !errors.Is(err, services.ErrBusy) || !errors.As(err, &rl) || rl.RetryAfter <= 0 {
			t.Fatalf("queue %d: upload with every slot taken: %v", queue, err)
		}
		release()
		if _, err := svc.Upload(ctx, alice, media.KindAvatar, bytes.NewReader(mediatest.JPEG(64, 64))); err != nil {
			t.Fatalf("queue %d: upload once the slot is free: %v", queue, err)
		}
	}
}

// TestImageURLs: every <img> src of a fragment, once, in order; entities
// decoded; other tags' URLs ignored.
func TestImageURLs(t *testing.T) {
	got := media.ImageURLs(`<p>a <img src="https://x/1.jpg" alt=1> <a href="https://x/2.jpg">2</a></p>` +
		`<img alt="" src='https://x/3.png?a=1&amp;b=2'/><IMG SRC="https://x/1.jpg"><img>`)
	want := []string{"https://x/1.jpg", "https://x/3.png?a=1&b=2"}
	if !slices.Equal(got, want) {
		t.Fatalf("ImageURLs = %q, want %q", got, want)
	}
}

// TestUseAll: an article's own images are marked used; foreign URLs,
// missing uploads and another user's are skipped (an admin's article
// keeps anyone's).
func TestUseAll(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, drivers(t)[0], media.Config{})
	mine, err := f.svc.Upload(ctx, alice, media.KindArticle, bytes.NewReader(mediatest.JPEG(100, 100)))
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := f.svc.Upload(ctx, bob, media.KindArticle, bytes.NewReader(mediatest.JPEG(100, 100)))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.UseAll(ctx, alice, "https://elsewhere.example/x.jpg", mine.ThumbURL); err != nil {
		t.Fatal(err)
	}
	if rec, _ := f.db.Uploads.ByID(ctx, mine.ID); rec.State != models.UploadUsed {
		t.Fatalf("own image after UseAll: %s", rec.State)
	}
	if err := f.svc.UseAll(ctx, alice, theirs.URL, baseURL+"/article/cnv0h0ud0000000000a0.jpg"); err != nil {
		t.Fatalf("another user's image, a missing one: %v", err)
	}
	if rec, _ := f.db.Uploads.ByID(ctx, theirs.ID); rec.State != models.UploadStaged {
		t.Fatalf("bob's image after alice's article: %s", rec.State)
	}
	if err := f.svc.UseAll(ctx, admin, theirs.URL); err != nil {
		t.Fatalf("an admin's article with a user's image: %v", err)
	}
	if rec, _ := f.db.Uploads.ByID(ctx, theirs.ID); rec.State != models.UploadUsed {
		t.Fatalf("bob's image after the admin's article: %s", rec.State)
	}
}

// downStorage is a storage driver whose calls fail while down is set, as
// an S3 endpoint in an outage does.
type downStorage struct {
	media.Storage
	down bool
}

var errOutage = errors.New("dial tcp: connection refused")

func (s *downStorage) Put(ctx context.Context, key string, data []byte, typ string) error {
	if s.down {
		return errOutage
	}
	return s.Storage.Put(ctx, key, data, typ)
}

func (s *downStorage) Open(ctx context.Context, key string) (media.Object, error) {
	if s.down {
		return media.Object{}, errOutage
	}
	return s.Storage.Open(ctx, key)
}

func (s *downStorage) Delete(ctx context.Context, key string) error {
	if s.down {
		return errOutage
	}
	return s.Storage.Delete(ctx, key)
}

// TestStorageOutage: while the object storage fails, uploads, serving and
// deletes answer ErrStorageUnavailable with a Retry-After, never the
// database's services.ErrUnavailable; nothing is recorded and the deleted
// upload keeps its record, so the delete can be tried again.
func TestStorageOutage(t *testing.T) {
	ctx := context.Background()
	st := &downStorage{Storage: drivers(t)[0].storage}
	f := newFixture(t, driver{name: "down", storage: st}, media.Config{})
	kept, err := f.svc.Upload(ctx, alice, media.KindArticle, bytes.NewReader(mediatest.JPEG(800, 600)))
	if err != nil {
		t.Fatal(err)
	}
	st.down = true
	check := func(what string, err error) {
		t.Helper()
		var rl *services.RetryLater
		if !errors.Is(err, media.ErrStorageUnavailable) || errors.Is(err, services.ErrUnavailable) ||
			!errors.As(err, &rl) || rl.RetryAfter <= 0 || !errors.Is(err, errOutage) {
			t.Errorf("%s during a storage outage: %v", what, err)
		}
	}
	_, err = f.svc.Upload(ctx, alice, media.KindAvatar, bytes.NewReader(mediatest.JPEG(64, 64)))
	check("upload", err)
	_, err = f.svc.Open(ctx, kept.Key)
	check("open", err)
	check("delete", f.svc.Delete(ctx, alice, kept.ID))
	if n := f.records(t); n != 1 {
		t.Fatalf("%d records after the outage; want the first upload's only", n)
	}
	st.down = false
	if err := f.svc.Delete(ctx, alice, kept.ID); err != nil {
		t.Fatalf("delete once the storage is back: %v", err)
	}
}
