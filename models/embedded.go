package models

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// embedded is a running in-process FerretDB: the MongoDB wire protocol
// over SQLite files in a directory (README, "Production: a real MongoDB",
// says when to leave it). It is meant for development and single-node use.
type embedded struct {
	uri    string // mongodb://host:port/
	dir    string // absolute; one <database>.sqlite file per database
	cancel context.CancelFunc
	done   chan struct{}
}

// startEmbedded starts FerretDB with its SQLite backend under dir (created
// when missing, mode 0700) and a TCP listener on listen ("" or
// "127.0.0.1:0" picks a free port). logger receives FerretDB's own logs;
// pass one at a quiet level. Stop it with close.
func startEmbedded(ctx context.Context, dir, listen string, logger *slog.Logger) (*embedded, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded database dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("embedded database dir: %w", err)
	}
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(abs) + "/",
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded database: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &embedded{dir: abs, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		_ = f.Run(runCtx)
	}()
	// MongoDBURI blocks until the listener is up.
	e.uri = f.MongoDBURI()
	return e, nil
}

// close stops the server and waits until its files are closed.
func (e *embedded) close() {
	e.cancel()
	<-e.done
}
