package models_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/models/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestEmbeddedRoundTrip(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	c := dbtest.Collection(t, db, "c")
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	var got struct{ N int }
	if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&got); err != nil || got.N != 1 {
		t.Fatalf("got %+v, %v", got, err)
	}
}
