package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Upload states: an upload is staged until an article or a profile
// references its URL, then used. The sweep deletes staged uploads older
// than media.staged_ttl with their files (README, "Uploads").
const (
	UploadStaged = "staged"
	UploadUsed   = "used"
)

// Upload is a document of the `uploads` collection: one image a user
// uploaded, after validation and re-encoding. `_id` is the server-generated
// name (an xid, 20 characters of [0-9a-v]); Key and ThumbKey are the storage
// keys derived from it ("article/<id>.jpg"), so a URL leads back to its
// record by `_id` alone (docs/architecture.md, embedded-engine rule).
type Upload struct {
	ID string `bson:"_id"`
	// Owner is the uploader's user id (24 hex digits).
	Owner string `bson:"owner"`
	// Dir is "avatar" or "article".
	Dir string `bson:"dir"`
	// Key is the storage key of the image; ThumbKey that of its 640 px
	// thumbnail ("" for avatars).
	Key      string `bson:"key"`
	ThumbKey string `bson:"thumbKey,omitempty"`
	// Type is the stored image's media type: image/jpeg or image/png.
	Type string `bson:"type"`
	// Width and Height are the stored image's, in pixels.
	Width  int `bson:"width"`
	Height int `bson:"height"`
	// Bytes is the stored image's size; ThumbBytes the thumbnail's. Both
	// count against the owner's quota.
	Bytes      int64 `bson:"bytes"`
	ThumbBytes int64 `bson:"thumbBytes,omitempty"`
	// SHA256 is the hex SHA-256 of the stored image.
	SHA256    string     `bson:"sha256"`
	State     string     `bson:"state"`
	CreatedAt time.Time  `bson:"createdAt"`
	UsedAt    *time.Time `bson:"usedAt,omitempty"`
}

// StoredBytes is what u counts against its owner's quota: the image and
// its thumbnail.
func (u Upload) StoredBytes() int64 { return u.Bytes + u.ThumbBytes }

// UploadStore keeps upload records in MongoDB.
type UploadStore struct{ coll *collection }

func newUploadStore(db *database) *UploadStore {
	return &UploadStore{coll: db.Collection(CollUploads)}
}

// ensureIndexes creates the index the staged sweep reads by (MongoDB uses
// it; the embedded engine scans, which the sweep can afford).
func (s *UploadStore) ensureIndexes(ctx context.Context) error {
	return createIndexes(ctx, s.coll,
		mongo.IndexModel{Keys: bson.D{{Key: "state", Value: 1}, {Key: "createdAt", Value: 1}}, Options: options.Index().SetName("state_createdAt")},
	)
}

// Create stores u; ErrDuplicate when its id is taken.
func (s *UploadStore) Create(ctx context.Context, u Upload) error {
	_, err := s.coll.InsertOne(ctx, u)
	switch {
	case err == nil:
		return nil
	case mongo.IsDuplicateKeyError(err):
		return ErrDuplicate
	}
	return fmt.Errorf("insert upload: %w", err)
}

// ByID returns the upload id, or ErrNotFound.
func (s *UploadStore) ByID(ctx context.Context, id string) (Upload, error) {
	return findOne[Upload](ctx, s.coll, bson.D{{Key: "_id", Value: id}})
}

// MarkUsed sets the upload id used at `at` (a used upload stays used) and
// returns it as stored; ErrNotFound when there is none.
func (s *UploadStore) MarkUsed(ctx context.Context, id string, at time.Time) (Upload, error) {
	var u Upload
	err := s.coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: UploadUsed}, {Key: "usedAt", Value: at}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&u)
	switch {
	case err == nil:
		return u, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return Upload{}, ErrNotFound
	}
	return Upload{}, fmt.Errorf("mark upload used: %w", err)
}

// Delete removes the record of upload id; ErrNotFound when there is none
// (also when a concurrent delete took it first).
func (s *UploadStore) Delete(ctx context.Context, id string) error {
	return deleteExactlyOne(ctx, s.coll, bson.D{{Key: "_id", Value: id}})
}

// StagedBefore returns at most limit staged uploads created before
// cutoff, oldest first: the sweep's batch. Not a hot path: on the
// embedded engine it scans the collection.
func (s *UploadStore) StagedBefore(ctx context.Context, cutoff time.Time, limit int) ([]Upload, error) {
	cur, err := s.coll.Find(ctx,
		bson.D{{Key: "state", Value: UploadStaged}, {Key: "createdAt", Value: bson.D{{Key: "$lt", Value: cutoff}}}},
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("find staged uploads: %w", err)
	}
	var out []Upload
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("find staged uploads: %w", err)
	}
	return out, nil
}

// MediaUsage is a document of the `media_usage` collection: what one user
// stores, for the quota. `_id` is the user's id, so reading and counting
// are `{_id}` operations.
type MediaUsage struct {
	Owner string `bson:"_id"`
	// Bytes is the sum of Upload.StoredBytes over the owner's uploads.
	Bytes int64 `bson:"bytes"`
	// Count is the number of the owner's uploads.
	Count int64 `bson:"count"`
}

// MediaUsageStore keeps per-user media usage in MongoDB.
type MediaUsageStore struct{ coll *collection }

func newMediaUsageStore(db *database) *MediaUsageStore {
	return &MediaUsageStore{coll: db.Collection(CollMediaUsage)}
}

// ByOwner returns owner's usage; the zero usage (with Owner set) when the
// owner never uploaded.
func (s *MediaUsageStore) ByOwner(ctx context.Context, owner string) (MediaUsage, error) {
	u, err := findOne[MediaUsage](ctx, s.coll, bson.D{{Key: "_id", Value: owner}})
	if errors.Is(err, ErrNotFound) {
		return MediaUsage{Owner: owner}, nil
	}
	return u, err
}

// Add adds bytes and count (negative to remove) to owner's usage and
// returns the new totals. Concurrent adds of one owner may lose an update
// on the embedded engine (no isolated $inc; docs/architecture.md): the
// quota is then off by one upload, never unbounded.
func (s *MediaUsageStore) Add(ctx context.Context, owner string, bytes, count int64) (MediaUsage, error) {
	inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "bytes", Value: bytes}, {Key: "count", Value: count}}}}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var u MediaUsage
	err := s.coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: owner}}, inc, opts).Decode(&u)
	if err != nil && isDuplicateKey(err) {
		// Two first uploads of one owner raced to create the document: the
		// other created it, so this update finds it.
		err = s.coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: owner}}, inc, opts).Decode(&u)
	}
	if err != nil {
		return MediaUsage{}, fmt.Errorf("add media usage: %w", err)
	}
	return u, nil
}
