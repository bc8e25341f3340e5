package models

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Kinds of DailyCountStore counters.
const (
	CountLogins = "logins"
)

// dailyCountRetention is how long a day's counter is kept.
const dailyCountRetention = 90 * 24 * time.Hour

// dailyCountDoc is a document of `daily_counts`: `_id` is "<kind>:<day>"
// (day as 2006-01-02, UTC).
type dailyCountDoc struct {
	ID        string    `bson:"_id"`
	Count     int64     `bson:"count"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

// DailyCountStore counts events per UTC day (logins, for the admin's
// dashboard): one `$inc` upsert on `{_id: "<kind>:<day>"}` per event, kept
// 90 days (the expiry of Open). On MongoDB the upserts are atomic; FerretDB
// v1 does not isolate them, so the store serialises its own increments and
// retries an upsert that lost the insert race once. Several processes over
// one FerretDB may still lose a count under contention: the dashboard's
// figures are for reading, not for billing.
type DailyCountStore struct {
	coll *mongo.Collection
	mu   sync.Mutex
}

func newDailyCountStore(db *mongo.Database) *DailyCountStore {
	return &DailyCountStore{coll: db.Collection(CollDailyCounts)}
}

// Day is at's UTC day as the counters name it (2006-01-02).
func Day(at time.Time) string { return at.UTC().Format(time.DateOnly) }

// Add counts one event of kind at at.
func (s *DailyCountStore) Add(ctx context.Context, kind string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	day := at.UTC().Truncate(24 * time.Hour)
	inc := func() error {
		_, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: kind + ":" + Day(at)}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "count", Value: 1}}},
				{Key: "$set", Value: bson.D{{Key: "expiresAt", Value: day.Add(dailyCountRetention)}}}},
			options.UpdateOne().SetUpsert(true))
		return err
	}
	err := inc()
	if isDuplicateKey(err) {
		err = inc()
	}
	if err != nil {
		return fmt.Errorf("count %s: %w", kind, err)
	}
	return nil
}

// Days returns the counts of kind for each of the days UTC days up to and
// including to's, oldest first (0 for a day without events): one read over
// the few documents of the range.
func (s *DailyCountStore) Days(ctx context.Context, kind string, to time.Time, days int) ([]int64, error) {
	ids := make(bson.A, days)
	index := make(map[string]int, days)
	for i := range days {
		id := kind + ":" + Day(to.AddDate(0, 0, i-days+1))
		ids[i], index[id] = id, i
	}
	cur, err := s.coll.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, fmt.Errorf("read %s counts: %w", kind, err)
	}
	var docs []dailyCountDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read %s counts: %w", kind, err)
	}
	counts := make([]int64, days)
	for _, d := range docs {
		counts[index[d.ID]] = d.Count
	}
	return counts, nil
}
