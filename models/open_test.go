package models

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestOpenTwice: a restart over the same files and a second instance over
// the same database find the collections and indexes in place and succeed;
// both see the same documents.
func TestOpenTwice(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	first, err := Open(ctx, Options{Dir: dir, Database: "blogapi"})
	if err != nil {
		t.Fatal(err)
	}
	u := User{Account: "kept", Email: "kept@example.com", PasswordHash: "x"}
	if err := first.Users.Create(ctx, &u); err != nil {
		t.Fatal(err)
	}
	first.Close()
	first.Close() // a second Close is harmless

	restarted, err := Open(ctx, Options{Dir: dir, Database: "blogapi"})
	if err != nil {
		t.Fatalf("Open after a restart: %v", err)
	}
	defer restarted.Close()
	second, err := restarted.OpenDatabase(ctx, Options{Database: "blogapi"})
	if err != nil {
		t.Fatalf("a second instance over the same database: %v", err)
	}
	defer second.Close()
	for name, d := range map[string]*DB{"restarted": restarted, "second": second} {
		if got, err := d.Users.ByAccount(ctx, "kept"); err != nil || got.ID != u.ID {
			t.Errorf("%s: ByAccount = %+v, %v", name, got, err)
		}
		if err := d.Users.Create(ctx, &User{Account: "KEPT", Email: name + "@example.com", PasswordHash: "x"}); !errors.Is(err, ErrDuplicateAccount) {
			t.Errorf("%s: the unique account index is gone: %v", name, err)
		}
	}
	if err := second.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	second.Close()
	if err := restarted.Ping(ctx); err != nil {
		t.Fatalf("closing a database opened with OpenDatabase closed the first one's client: %v", err)
	}
	if err := second.Ping(ctx); err == nil {
		t.Fatal("Ping after Close: want an error")
	}
	if _, err := second.Users.ByAccount(ctx, "kept"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("a store after Close: %v, want a failure like a database that is down", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, Options{Dir: t.TempDir()}); err == nil {
		t.Error("Open without a database name: want an error")
	}
	d := &DB{srv: server{uri: "mongodb://127.0.0.1:1/"}}
	for _, o := range []Options{
		{Database: "x", URI: "mongodb://127.0.0.1:2/"},
		{Database: "x", Dir: "elsewhere"},
		{Database: "x", Listen: "127.0.0.1:0"},
		{},
	} {
		if _, err := d.OpenDatabase(ctx, o); err == nil {
			t.Errorf("OpenDatabase(%+v): want an error", o)
		}
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := Open(short, Options{URI: "mongodb://127.0.0.1:1/", Database: "x"}); err == nil {
		t.Error("Open on a server that does not answer: want an error")
	}
}
