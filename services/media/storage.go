package media

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"time"
)

// Storage keeps the stored images under keys the service makes
// ("article/<id>.jpg"; ValidKey). Drivers: Local (files under
// data.dir/media, the default) and S3 (any S3-compatible service; what
// several API instances must share). Implementations are safe for
// concurrent use.
type Storage interface {
	// Put stores data under key with its media type, replacing any object
	// there.
	Put(ctx context.Context, key string, data []byte, contentType string) error
	// Open returns the object under key; ErrObjectNotFound when there is
	// none. The caller closes it.
	Open(ctx context.Context, key string) (Object, error)
	// Delete removes the object under key; a missing object is not an
	// error.
	Delete(ctx context.Context, key string) error
}

// Object is one stored object being read.
type Object struct {
	Body    io.ReadSeekCloser
	Size    int64
	ModTime time.Time
}

// keyPattern is every key the service makes: the kind's folder, the
// upload's xid (20 characters of [0-9a-v]), "_640" for a thumbnail, and
// the extension of the encoded type.
var keyPattern = regexp.MustCompile(`^(avatar|article)/([0-9a-v]{20})(_640)?\.(jpg|png)$`)

// ValidKey reports a key the service could have made. Every storage
// operation and GET /media/<key> check it first, so no path from a
// request reaches a file system or a bucket.
func ValidKey(key string) bool { return keyPattern.MatchString(key) }

// IDOfKey is the upload id in a valid key ("" and false otherwise).
func IDOfKey(key string) (string, bool) {
	m := keyPattern.FindStringSubmatch(key)
	if m == nil {
		return "", false
	}
	return m[2], true
}

func checkKey(key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("storage key %q: not a key the media service makes", key)
	}
	return nil
}

// Local stores objects as files under one directory, opened as an
// os.Root: no key, however written, reaches outside it.
type Local struct {
	root *os.Root
}

// NewLocal opens (creating it, mode 0750) the directory dir for Local
// storage. Close it when done.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("media storage: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("media storage: %w", err)
	}
	return &Local{root: root}, nil
}

// Close releases the directory.
func (l *Local) Close() error { return l.root.Close() }

// Put writes data to a temporary file beside key and renames it into
// place, so a reader never sees half a file.
func (l *Local) Put(_ context.Context, key string, data []byte, _ string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := l.root.MkdirAll(path.Dir(key), 0o750); err != nil {
		return fmt.Errorf("media storage: %w", err)
	}
	var suffix [8]byte
	_, _ = rand.Read(suffix[:])
	tmp := key + ".tmp-" + hex.EncodeToString(suffix[:])
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("media storage: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = l.root.Rename(tmp, key)
	}
	if err != nil {
		_ = l.root.Remove(tmp)
		return fmt.Errorf("media storage: %w", err)
	}
	return nil
}

// Open opens the file of key.
func (l *Local) Open(_ context.Context, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return Object{}, err
	}
	f, err := l.root.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return Object{}, ErrObjectNotFound
	}
	if err != nil {
		return Object{}, fmt.Errorf("media storage: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return Object{}, fmt.Errorf("media storage: %w", err)
	}
	return Object{Body: f, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Delete removes the file of key.
func (l *Local) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := l.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media storage: %w", err)
	}
	return nil
}
