package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config is media.s3.*: an S3-compatible service and the bucket the
// images go to.
type S3Config struct {
	// Endpoint is the service's URL, http:// or https:// plus host[:port]
	// ("https://s3.eu-west-1.amazonaws.com").
	Endpoint string
	Bucket   string
	Region   string
	// AccessKey and SecretKey sign the requests (AWS signature v4).
	AccessKey, SecretKey string
	// PathStyle addresses the bucket in the path (endpoint/bucket/key)
	// instead of the host name; most self-hosted services need it.
	PathStyle bool
	// Transport, when not nil, carries the requests (tests).
	Transport http.RoundTripper
}

// S3 stores objects in a bucket of an S3-compatible service through
// github.com/minio/minio-go/v7. Objects are written with their
// Content-Type and an immutable Cache-Control, so a bucket served
// publicly (media.public_url) answers as GET /media/<key> does.
type S3 struct {
	client *minio.Client
	bucket string
}

// NewS3 builds the S3 driver of c. It makes no request: Check does.
func NewS3(c S3Config) (*S3, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("media s3: endpoint must be http(s)://host[:port] (got %q)", c.Endpoint)
	}
	lookup := minio.BucketLookupAuto
	if c.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       c.Region,
		BucketLookup: lookup,
		Transport:    c.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("media s3: %w", err)
	}
	return &S3{client: client, bucket: c.Bucket}, nil
}

// Check asks the service whether the bucket exists (bounded by ctx): a
// start-up check, so a wrong endpoint, key or bucket fails at once.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("media s3: bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("media s3: bucket %s does not exist", s.bucket)
	}
	return nil
}

// Put uploads data under key.
func (s *S3) Put(ctx context.Context, key string, data []byte, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		ContentType:  contentType,
		CacheControl: CacheControl,
	})
	if err != nil {
		return fmt.Errorf("media s3: put %s: %w", key, err)
	}
	return nil
}

// Open reads the object of key (its size and time from a HEAD request,
// then ranged GETs as the body is read and sought).
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return Object{}, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return Object{}, fmt.Errorf("media s3: get %s: %w", key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		_ = obj.Close()
		if isNoSuchKey(err) {
			return Object{}, ErrObjectNotFound
		}
		return Object{}, fmt.Errorf("media s3: stat %s: %w", key, err)
	}
	return Object{Body: obj, Size: st.Size, ModTime: st.LastModified}, nil
}

// Delete removes the object of key (S3 answers a missing key with
// success).
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil && !isNoSuchKey(err) {
		return fmt.Errorf("media s3: delete %s: %w", key, err)
	}
	return nil
}

func isNoSuchKey(err error) bool {
	var e minio.ErrorResponse
	return errors.As(err, &e) && (e.Code == "NoSuchKey" || e.StatusCode == http.StatusNotFound)
}

// CacheControl is the Cache-Control of every stored image: its key
// changes with its content (a new upload, a new name), so it never goes
// stale.
const CacheControl = "public, max-age=31536000, immutable"
