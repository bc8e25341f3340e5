package media_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/blogapi/blogapi/services/media"
)

// driver is one storage under test, with a way to look behind it.
type driver struct {
	name    string
	storage media.Storage
	// has reports whether an object exists under key, asked of the
	// backend directly (not through the driver).
	has func(t *testing.T, key string) bool
	// count is the number of objects in the backend.
	count func(t *testing.T) int
}

// drivers are both storage drivers: local on a temp dir and S3 against an
// in-process S3 server (gofakes3, in-memory backend) through the real
// client library.
func drivers(t *testing.T) []driver {
	t.Helper()
	dir := t.TempDir()
	local, err := media.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.Close() })

	backend := s3mem.New()
	if err := backend.CreateBucket("media"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	s3, err := media.NewS3(media.S3Config{Endpoint: srv.URL, Bucket: "media", Region: "us-east-1",
		AccessKey: "test-access", SecretKey: "test-secret-key", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s3.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	return []driver{
		{"local", local, func(t *testing.T, key string) bool {
			_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(key)))
			return err == nil
		}, func(t *testing.T) int {
			n := 0
			err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
				if err == nil && !e.IsDir() {
					n++
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}},
		{"s3", s3, func(t *testing.T, key string) bool {
			obj, err := backend.HeadObject("media", key)
			if err == nil {
				_ = obj.Contents.Close()
			}
			return err == nil
		}, func(t *testing.T) int {
			list, err := backend.ListBucket("media", nil, gofakes3.ListBucketPage{})
			if err != nil {
				t.Fatal(err)
			}
			return len(list.Contents)
		}},
	}
}

// TestStorage: put, open, replace, delete on both drivers; a second
// delete is fine; keys the service does not make are refused before any
// file or request.
func TestStorage(t *testing.T) {
	ctx := context.Background()
	for _, d := range drivers(t) {
		t.Run(d.name, func(t *testing.T) {
			key := "article/cnv0h0ud0000000000a0.jpg"
			if _, err := d.storage.Open(ctx, key); !errors.Is(err, media.ErrObjectNotFound) {
				t.Fatalf("Open before Put: %v", err)
			}
			if err := d.storage.Put(ctx, key, []byte("first"), media.TypeJPEG); err != nil {
				t.Fatal(err)
			}
			if err := d.storage.Put(ctx, key, []byte("second!"), media.TypeJPEG); err != nil {
				t.Fatal(err)
			}
			obj, err := d.storage.Open(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(obj.Body)
			_ = obj.Body.Close()
			if err != nil || string(body) != "second!" || obj.Size != 7 || obj.ModTime.IsZero() {
				t.Fatalf("Open = %q (size %d, time %v), %v", body, obj.Size, obj.ModTime, err)
			}
			if !d.has(t, key) {
				t.Fatal("the backend does not have the object")
			}
			if err := d.storage.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			if d.has(t, key) {
				t.Fatal("the object is still there after Delete")
			}
			if err := d.storage.Delete(ctx, key); err != nil {
				t.Fatalf("second Delete: %v", err)
			}
			for _, bad := range []string{"../../etc/passwd", "article/../../x.jpg", "/etc/passwd", "article/x.jpg",
				"avatar/cnv0h0ud0000000000a0.svg", "image/cnv0h0ud0000000000a0.jpg", "article/cnv0h0ud0000000000a0.jpg/.."} {
				if err := d.storage.Put(ctx, bad, []byte("x"), media.TypeJPEG); err == nil {
					t.Errorf("Put(%q) accepted", bad)
				}
				if _, err := d.storage.Open(ctx, bad); err == nil || errors.Is(err, media.ErrObjectNotFound) {
					t.Errorf("Open(%q) = %v, want a refusal", bad, err)
				}
				if err := d.storage.Delete(ctx, bad); err == nil {
					t.Errorf("Delete(%q) accepted", bad)
				}
			}
		})
	}
}
