package models

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
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
// dashboard) in `daily_counts`, one document `{_id: "<kind>:<day>"}` per
// kind and day, kept 90 days (the expiry of Open). Add costs no round
// trip: it counts in memory, and Flush, run by Open's periodic clean-up
// (every sweep interval) and by Close, writes the pending counts with one
// `$inc` upsert per kind and day. So a login does not pay for its
// statistics, and on FerretDB v1, which does not isolate an `$inc`, one
// process's flushes never race each other. Days adds this process's
// pending counts; another instance's show after its next flush. A crash
// loses at most one interval of counts: the dashboard's figures are for
// reading, not for billing.
type DailyCountStore struct {
	coll    *collection
	mu      sync.Mutex
	pending map[string]int64 // by _id
	flushMu sync.Mutex       // one Flush at a time
}

func newDailyCountStore(db *database) *DailyCountStore {
	return &DailyCountStore{coll: db.Collection(CollDailyCounts), pending: map[string]int64{}}
}

// Day is at's UTC day as the counters name it (2006-01-02).
func Day(at time.Time) string { return at.UTC().Format(time.DateOnly) }

// Add counts one event of kind at at, in memory until the next Flush.
func (s *DailyCountStore) Add(_ context.Context, kind string, at time.Time) error {
	s.mu.Lock()
	s.pending[kind+":"+Day(at)]++
	s.mu.Unlock()
	return nil
}

// Flush writes the pending counts and returns how many documents it
// updated; a count whose write failed stays pending for the next Flush.
func (s *DailyCountStore) Flush(ctx context.Context, _ time.Time) (int, error) {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	batch := s.pending
	s.pending = map[string]int64{}
	s.mu.Unlock()
	n := 0
	var failed error
	for id, count := range batch {
		if failed == nil {
			failed = s.inc(ctx, id, count)
		}
		if failed != nil {
			s.mu.Lock()
			s.pending[id] += count
			s.mu.Unlock()
			continue
		}
		n++
	}
	return n, failed
}

// inc adds count to the document id, creating it; an upsert that lost
// the insert race to another process is retried once.
func (s *DailyCountStore) inc(ctx context.Context, id string, count int64) error {
	day, err := time.Parse(time.DateOnly, id[strings.LastIndexByte(id, ':')+1:])
	if err != nil {
		return fmt.Errorf("count %s: %w", id, err)
	}
	up := func() error {
		_, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "count", Value: count}}},
				{Key: "$set", Value: bson.D{{Key: "expiresAt", Value: day.Add(dailyCountRetention)}}}},
			options.UpdateOne().SetUpsert(true))
		return err
	}
	err = up()
	if isDuplicateKey(err) {
		err = up()
	}
	if err != nil {
		return fmt.Errorf("count %s: %w", id, err)
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
	s.mu.Lock()
	for id, i := range index {
		counts[i] += s.pending[id]
	}
	s.mu.Unlock()
	return counts, nil
}
