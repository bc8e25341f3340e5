package media

import "errors"

// Sentinels of the media service; controllers/response maps them to
// codes (docs/uploads.md lists them).
var (
	// ErrTooLarge: the file is over the size limit of its kind (413).
	ErrTooLarge = errors.New("upload too large")
	// ErrUnsupportedType: the content is not JPEG, PNG, GIF or WebP (415).
	ErrUnsupportedType = errors.New("unsupported image type")
	// ErrEmptyFile, ErrInvalidImage, ErrImageDimensions: the file is empty,
	// unreadable or truncated, or too many pixels (400, field "file").
	ErrEmptyFile       = errors.New("empty file")
	ErrInvalidImage    = errors.New("invalid image")
	ErrImageDimensions = errors.New("image dimensions over the limit")
	// ErrBadDir: the `dir` field is not avatar or article (400).
	ErrBadDir = errors.New("unknown upload dir")
	// ErrQuotaExceeded: the owner's stored bytes would pass
	// media.user_quota_bytes.
	ErrQuotaExceeded = errors.New("upload quota exceeded")
	// ErrUploadNotFound: no such upload, or another user's (a user cannot
	// tell the two apart).
	ErrUploadNotFound = errors.New("upload not found")
	// ErrObjectNotFound: a storage driver has no object under the key.
	ErrObjectNotFound = errors.New("stored object not found")
	// ErrStorageUnavailable: the object storage (the local directory or
	// the S3 bucket) failed or did not answer (503, with Retry-After);
	// the database's failures stay services.ErrUnavailable.
	ErrStorageUnavailable = errors.New("object storage unavailable")
)
