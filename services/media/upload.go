// Package media is the uploads use-case (README, "Uploads"): images from
// users validated and re-encoded (Process), stored under server-made
// names through a Storage driver (Local or S3), recorded with their owner
// (staged until an article or a profile uses them), deleted by their
// owner or an admin, swept when never used, and bounded per user by a
// quota and, for the CPU they cost, by a bulkhead.
package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/xid"
	"golang.org/x/net/html"
	"golang.org/x/sync/semaphore"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
)

// Uploads is the store of upload records the service needs
// (models.UploadStore).
type Uploads interface {
	Create(ctx context.Context, u models.Upload) error
	ByID(ctx context.Context, id string) (models.Upload, error)
	MarkUsed(ctx context.Context, id string, at time.Time) (models.Upload, error)
	Delete(ctx context.Context, id string) error
	StagedBefore(ctx context.Context, cutoff time.Time, limit int) ([]models.Upload, error)
}

// Usage is the per-user usage store (models.MediaUsageStore).
type Usage interface {
	ByOwner(ctx context.Context, owner string) (models.MediaUsage, error)
	Add(ctx context.Context, owner string, bytes, count int64) (models.MediaUsage, error)
}

// Config is media.* as the service takes it.
type Config struct {
	// MaxBytes bounds an article image, AvatarMaxBytes an avatar, in
	// bytes of the uploaded file (media.max_bytes, media.avatar_max_bytes).
	MaxBytes, AvatarMaxBytes int64
	// UserQuotaBytes bounds what one user stores, images and thumbnails
	// (media.user_quota_bytes); 0 is no quota. Admins have none.
	UserQuotaBytes int64
	// StagedTTL is how long an upload no article or profile uses is kept
	// (media.staged_ttl).
	StagedTTL time.Duration
	// BaseURL is the absolute URL keys are served under, without the
	// trailing slash: server.public_url + "/media" for GET /media/<key>,
	// or a bucket's public address (media.public_url).
	BaseURL string
	// Slots is how many images are processed at once (at least 1), Queue
	// how many more may wait for a slot, each at most MaxWait (0: as long
	// as its request lives); the rest are refused with services.ErrBusy
	// (media.process_concurrency, media.process_queue).
	Slots, Queue int
	MaxWait      time.Duration
}

// Deps are the service's stores, storage, clock and logger.
type Deps struct {
	Uploads Uploads
	Usage   Usage
	Storage Storage
	Config  Config
	Now     func() time.Time
	Logger  *slog.Logger
}

// Service is the media use-case. Safe for concurrent use.
type Service struct {
	uploads Uploads
	usage   Usage
	storage Storage
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	slots   *semaphore.Weighted
	waiting atomic.Int64
}

// New returns the service over d.
func New(d Deps) *Service {
	now, logger := d.Now, d.Logger
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := d.Config
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Service{uploads: d.Uploads, usage: d.Usage, storage: d.Storage, cfg: cfg, now: now, log: logger,
		slots: semaphore.NewWeighted(int64(max(cfg.Slots, 1)))}
}

// Actor is who asks: a user id (24 hex digits) and whether the user is an
// admin (no quota; may delete any upload).
type Actor struct {
	ID    string
	Admin bool
}

// ActorOf is the actor a logged-in user is.
func ActorOf(u models.User) Actor {
	return Actor{ID: u.ID.Hex(), Admin: u.Type == models.TypeAdmin}
}

// Result is a stored upload with the URLs it is served at (ThumbURL ""
// for avatars).
type Result struct {
	models.Upload
	URL, ThumbURL string
}

// MaxBytes is the size limit of an uploaded file of kind, in bytes.
func (s *Service) MaxBytes(kind Kind) int64 {
	if kind == KindAvatar {
		return s.cfg.AvatarMaxBytes
	}
	return s.cfg.MaxBytes
}

// Upload reads one file (at most MaxBytes(kind), else ErrTooLarge),
// checks the actor's quota (ErrQuotaExceeded), processes it (Process and
// its refusals) in a processing slot (a services.RetryLater wrapping
// services.ErrBusy when none is free in time), and stores the image, its
// thumbnail and its record, staged, under a new random name. Nothing is
// stored when any step fails.
func (s *Service) Upload(ctx context.Context, a Actor, kind Kind, file io.Reader) (Result, error) {
	limit := s.MaxBytes(kind)
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return Result{}, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(data)) > limit {
		return Result{}, ErrTooLarge
	}
	var used models.MediaUsage
	if s.quota(a) {
		if used, err = s.usage.ByOwner(ctx, a.ID); err != nil {
			return Result{}, unavailable(err)
		}
		if used.Bytes >= s.cfg.UserQuotaBytes {
			return Result{}, ErrQuotaExceeded
		}
	}
	p, err := s.process(ctx, data, kind)
	if err != nil {
		return Result{}, err
	}
	stored := int64(len(p.Image.Data))
	if p.Thumb != nil {
		stored += int64(len(p.Thumb.Data))
	}
	if s.quota(a) && used.Bytes+stored > s.cfg.UserQuotaBytes {
		return Result{}, ErrQuotaExceeded
	}

	sum := sha256.Sum256(p.Image.Data)
	id := xid.New().String()
	rec := models.Upload{
		ID: id, Owner: a.ID, Dir: string(kind), Key: string(kind) + "/" + id + p.Image.Ext(),
		Type: p.Image.Type, Width: p.Image.Width, Height: p.Image.Height, Bytes: int64(len(p.Image.Data)),
		SHA256: hex.EncodeToString(sum[:]), State: models.UploadStaged, CreatedAt: s.now().UTC(),
	}
	if err := s.storage.Put(ctx, rec.Key, p.Image.Data, rec.Type); err != nil {
		return Result{}, storageUnavailable(err)
	}
	if p.Thumb != nil {
		rec.ThumbKey, rec.ThumbBytes = string(kind)+"/"+id+"_640"+p.Thumb.Ext(), int64(len(p.Thumb.Data))
		if err := s.storage.Put(ctx, rec.ThumbKey, p.Thumb.Data, p.Thumb.Type); err != nil {
			s.removeFiles(ctx, rec)
			return Result{}, storageUnavailable(err)
		}
	}
	if err := s.uploads.Create(ctx, rec); err != nil {
		s.removeFiles(ctx, rec)
		return Result{}, unavailable(err)
	}
	if _, err := s.usage.Add(ctx, a.ID, rec.StoredBytes(), 1); err != nil {
		// The upload is stored; only the quota undercounts it.
		s.log.WarnContext(ctx, "media usage not counted", "upload", id, "err", err.Error())
	}
	return s.result(rec), nil
}

func (s *Service) quota(a Actor) bool { return s.cfg.UserQuotaBytes > 0 && !a.Admin }

// process runs Process in a slot: at most Slots at once, at most Queue
// waiting, each for at most MaxWait, admitted in arrival order.
func (s *Service) process(ctx context.Context, data []byte, kind Kind) (Processed, error) {
	if !s.slots.TryAcquire(1) {
		if s.waiting.Add(1) > int64(s.cfg.Queue) {
			s.waiting.Add(-1)
			return Processed{}, errBusy()
		}
		wctx := ctx
		if s.cfg.MaxWait > 0 {
			var cancel context.CancelFunc
			wctx, cancel = context.WithTimeout(ctx, s.cfg.MaxWait)
			defer cancel()
		}
		err := s.slots.Acquire(wctx, 1)
		s.waiting.Add(-1)
		if err != nil {
			return Processed{}, errBusy()
		}
	}
	defer s.slots.Release(1)
	return Process(data, kind)
}

func errBusy() error { return &services.RetryLater{Err: services.ErrBusy, RetryAfter: time.Second} }

// Delete removes the upload id, its files and its record, if the actor
// owns it or is an admin; ErrUploadNotFound otherwise (another user's
// upload is not told apart from a missing one).
func (s *Service) Delete(ctx context.Context, a Actor, id string) error {
	rec, err := s.uploads.ByID(ctx, id)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return ErrUploadNotFound
	case err != nil:
		return unavailable(err)
	case rec.Owner != a.ID && !a.Admin:
		return ErrUploadNotFound
	}
	return s.remove(ctx, rec)
}

// remove deletes rec's files, then its record, then takes it off its
// owner's usage. A file that cannot be deleted keeps the record, so a
// later delete or sweep tries again.
func (s *Service) remove(ctx context.Context, rec models.Upload) error {
	for _, key := range []string{rec.Key, rec.ThumbKey} {
		if key == "" {
			continue
		}
		if err := s.storage.Delete(ctx, key); err != nil {
			return storageUnavailable(err)
		}
	}
	if err := s.uploads.Delete(ctx, rec.ID); errors.Is(err, models.ErrNotFound) {
		return ErrUploadNotFound // a concurrent delete took it
	} else if err != nil {
		return unavailable(err)
	}
	if _, err := s.usage.Add(ctx, rec.Owner, -rec.StoredBytes(), -1); err != nil {
		s.log.WarnContext(ctx, "media usage not decreased", "upload", rec.ID, "err", err.Error())
	}
	return nil
}

// removeFiles deletes what Upload stored before a later step failed.
func (s *Service) removeFiles(ctx context.Context, rec models.Upload) {
	for _, key := range []string{rec.Key, rec.ThumbKey} {
		if key == "" {
			continue
		}
		if err := s.storage.Delete(context.WithoutCancel(ctx), key); err != nil {
			s.log.WarnContext(ctx, "media file left behind", "key", key, "err", err.Error())
		}
	}
}

// URL is the absolute URL key is served at.
func (s *Service) URL(key string) string { return s.cfg.BaseURL + "/" + key }

func (s *Service) result(rec models.Upload) Result {
	r := Result{Upload: rec, URL: s.URL(rec.Key)}
	if rec.ThumbKey != "" {
		r.ThumbURL = s.URL(rec.ThumbKey)
	}
	return r
}

// Own reports whether url is one of this server's uploads (its image or
// thumbnail URL), and which.
func (s *Service) Own(url string) (id string, ok bool) {
	key, found := strings.CutPrefix(url, s.cfg.BaseURL+"/")
	if !found {
		return "", false
	}
	return IDOfKey(key)
}

// Use marks the upload behind url used by the actor (an article or a
// profile now references it), so the sweep keeps it. A url that is not
// one of this server's uploads is left to the caller: (false, nil). One
// of ours that is missing, or another user's (unless the actor is an
// admin), is ErrUploadNotFound.
func (s *Service) Use(ctx context.Context, a Actor, url string) (bool, error) {
	id, ok := s.Own(url)
	if !ok {
		return false, nil
	}
	rec, err := s.uploads.ByID(ctx, id)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return true, ErrUploadNotFound
	case err != nil:
		return true, unavailable(err)
	case rec.Owner != a.ID && !a.Admin:
		return true, ErrUploadNotFound
	case rec.State == models.UploadUsed:
		return true, nil
	}
	if _, err := s.uploads.MarkUsed(ctx, id, s.now().UTC()); errors.Is(err, models.ErrNotFound) {
		return true, ErrUploadNotFound
	} else if err != nil {
		return true, unavailable(err)
	}
	return true, nil
}

// Served is an object for GET /media/<key>: the upload's record (type,
// SHA-256 for the ETag) and the open object. Close Object.Body.
type Served struct {
	Upload models.Upload
	Object Object
}

// Open opens key for serving; ErrUploadNotFound for a key the service
// does not make, an upload without a record (deleted) or a missing file.
func (s *Service) Open(ctx context.Context, key string) (Served, error) {
	id, ok := IDOfKey(key)
	if !ok {
		return Served{}, ErrUploadNotFound
	}
	rec, err := s.uploads.ByID(ctx, id)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return Served{}, ErrUploadNotFound
	case err != nil:
		return Served{}, unavailable(err)
	case key != rec.Key && key != rec.ThumbKey:
		return Served{}, ErrUploadNotFound
	}
	obj, err := s.storage.Open(ctx, key)
	if errors.Is(err, ErrObjectNotFound) {
		return Served{}, ErrUploadNotFound
	} else if err != nil {
		return Served{}, storageUnavailable(err)
	}
	return Served{Upload: rec, Object: obj}, nil
}

// sweepBatch is how many staged uploads one sweep round reads.
const sweepBatch = 100

// Sweep deletes the staged uploads older than StagedTTL, files and
// records, and returns how many it deleted.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	cutoff := s.now().Add(-s.cfg.StagedTTL)
	n := 0
	for {
		batch, err := s.uploads.StagedBefore(ctx, cutoff, sweepBatch)
		if err != nil {
			return n, unavailable(err)
		}
		for _, rec := range batch {
			if err := s.remove(ctx, rec); err != nil && !errors.Is(err, ErrUploadNotFound) {
				return n, err
			}
			n++
		}
		if len(batch) < sweepBatch {
			return n, nil
		}
	}
}

// Run sweeps every interval until ctx ends, logging failures.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.Sweep(ctx); err != nil {
				s.log.WarnContext(ctx, "media sweep failed", "err", err.Error())
			} else if n > 0 {
				s.log.InfoContext(ctx, "media sweep", "deleted", n)
			}
		}
	}
}

// unavailable marks a store (database) failure as a dependency that did
// not answer (503), keeping the cause.
func unavailable(err error) error {
	return fmt.Errorf("%w: %w", services.ErrUnavailable, err)
}

// storageRetryAfter is the Retry-After of a storage failure's 503.
const storageRetryAfter = 5 * time.Second

// storageUnavailable marks an object-storage failure (503 with
// Retry-After), keeping the cause.
func storageUnavailable(err error) error {
	return &services.RetryLater{Err: fmt.Errorf("%w: %w", ErrStorageUnavailable, err), RetryAfter: storageRetryAfter}
}

// UseAll marks used every url that is one of the actor's uploads (any
// user's for an admin): an article's cover and the images of its content
// (ImageURLs), so the sweep keeps them. Other URLs, missing uploads and
// other users' are skipped: an article may show any image, it only keeps
// its author's alive. Errors: the store's, as services.ErrUnavailable.
func (s *Service) UseAll(ctx context.Context, a Actor, urls ...string) error {
	for _, u := range urls {
		if _, err := s.Use(ctx, a, u); err != nil && !errors.Is(err, ErrUploadNotFound) {
			return err
		}
	}
	return nil
}

// ImageURLs lists the src of every <img> of an HTML fragment (an
// article's rendered and sanitised content), in order, without repeats.
func ImageURLs(fragment string) []string {
	var out []string
	z := html.NewTokenizer(strings.NewReader(fragment))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "img" {
				continue
			}
			for hasAttr {
				var key, val []byte
				key, val, hasAttr = z.TagAttr()
				if string(key) == "src" && !slices.Contains(out, string(val)) {
					out = append(out, string(val))
				}
			}
		}
	}
}
