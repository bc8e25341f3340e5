package models

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// OutboxMessage is a document of the `outbox` collection: one mail the
// development mailer "sent", kept so that a developer and
// the tests can follow its links without a mail server.
type OutboxMessage struct {
	ID        bson.ObjectID `bson:"_id"`
	To        string        `bson:"to"`
	Subject   string        `bson:"subject"`
	Text      string        `bson:"text"`
	HTML      string        `bson:"html"`
	CreatedAt time.Time     `bson:"createdAt"`
}

// outboxDoc adds the lower-cased address that lookups match on, so that
// `Latest("Bob@Example.com")` finds mail sent to "bob@example.com".
type outboxDoc struct {
	OutboxMessage `bson:",inline"`
	ToKey         string `bson:"toKey"`
}

// OutboxStore keeps development mail in the `outbox` collection. It is
// never used by the SMTP mailer; nothing expires it.
type OutboxStore struct{ coll *collection }

// newOutboxStore uses the `outbox` collection of db.
func newOutboxStore(db *database) *OutboxStore {
	return &OutboxStore{coll: db.Collection(CollOutbox)}
}

// ensureIndexes creates the index that Latest and List use. Idempotent.
func (s *OutboxStore) ensureIndexes(ctx context.Context) error {
	_, err := s.coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "toKey", Value: 1}, {Key: "createdAt", Value: -1}},
		Options: options.Index().SetName("toKey_createdAt"),
	})
	if err != nil {
		return fmt.Errorf("outbox indexes: %w", err)
	}
	return nil
}

// Add stores m. A zero ID is replaced by a new ObjectID; CreatedAt is
// stored as given (the mailer sets it from its clock).
func (s *OutboxStore) Add(ctx context.Context, m OutboxMessage) error {
	if m.ID.IsZero() {
		m.ID = bson.NewObjectID()
	}
	if _, err := s.coll.InsertOne(ctx, outboxDoc{OutboxMessage: m, ToKey: EmailKey(m.To)}); err != nil {
		return fmt.Errorf("store outbox message: %w", err)
	}
	return nil
}

// Latest is the newest message sent to the address to (case-insensitive);
// ErrNotFound when there is none.
func (s *OutboxStore) Latest(ctx context.Context, to string) (OutboxMessage, error) {
	msgs, err := s.List(ctx, to, 1)
	if err != nil {
		return OutboxMessage{}, err
	}
	if len(msgs) == 0 {
		return OutboxMessage{}, ErrNotFound
	}
	return msgs[0], nil
}

// List returns up to limit messages sent to the address to
// (case-insensitive), newest first (by CreatedAt, then by insertion order);
// limit ≤ 0 means all. No message is an empty slice, not an error.
func (s *OutboxStore) List(ctx context.Context, to string, limit int) ([]OutboxMessage, error) {
	opts := options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}})
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	cur, err := s.coll.Find(ctx, bson.D{{Key: "toKey", Value: EmailKey(to)}}, opts)
	if err != nil {
		return nil, fmt.Errorf("find outbox messages: %w", err)
	}
	docs := []outboxDoc{}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read outbox messages: %w", err)
	}
	msgs := make([]OutboxMessage, len(docs))
	for i, d := range docs {
		msgs[i] = d.OutboxMessage
	}
	return msgs, nil
}
