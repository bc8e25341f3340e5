package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/blogapi/blogapi/internal/app"
	"github.com/blogapi/blogapi/models"
)

// refusalCase is a login the flood guard refuses, served through the real
// router (internal/app, as main.go builds it) on one goroutine: what each
// request of a flood costs the server once the guard has tripped, without
// the network, the load generator and the other scenarios around it. The
// requests are built as the flood's (loginFlood): a wrong password at
// another account from another client IP each, signed before the loop.
type refusalCase struct {
	handler  http.Handler
	requests []requestSpec
	next     int
	close    func()
}

// refusalWhat describes the measurement in the report.
const refusalWhat = "`POST /blogapi/login` without captcha, refused by the flood guard (400), through the real router"

// refusalRequests is how many distinct flood logins refusalCase sends in
// turn (the gate records nothing, so they may be sent again).
const refusalRequests = 1024

// refusalCase starts another app with security.login_flood_per_minute 1
// and trips its flood guard with one failing login (an argon2id verify).
// It runs over a database of its own: the guard's site-wide counter is
// shared through the database, and the refused attempts it counts must not
// put the scenarios after it (the login's) under a flood.
func (t *target) refusalCase(ctx context.Context) (*refusalCase, error) {
	cfg := t.cfg
	cfg.Security.LoginFloodPerMinute = 1
	dbo := models.Options{Database: t.cfg.Mongo.Database + "_refusal", Logger: t.logger}
	db, err := t.db.OpenDatabase(ctx, dbo)
	if err != nil {
		return nil, err
	}
	a, err := app.New(ctx, cfg, db, t.logger, time.Now, t.metrics)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := newSigner(t.key, t.secret)
	flood := loginFlood(s, "", t.seeded)
	rc := &refusalCase{handler: a.Handler, close: func() { a.Close(); db.Close() }}
	for i := range refusalRequests {
		rc.requests = append(rc.requests, flood.next(uint64(i)))
	}
	if code := rc.serve(); code != http.StatusUnauthorized {
		rc.close()
		return nil, fmt.Errorf("refused login: the first flood attempt answered HTTP %d, want 401", code)
	}
	if w := rc.send(); !refused(w) {
		rc.close()
		return nil, fmt.Errorf("refused login: HTTP %d %s once the guard tripped, want 400 captcha required", w.Code, w.Body)
	}
	return rc, nil
}

// serve sends the next flood login through the router and returns the
// status.
func (rc *refusalCase) serve() int { return rc.send().Code }

// send sends the next flood login through the router, from the trusted
// proxy 127.0.0.1 as the load's requests come.
func (rc *refusalCase) send() *httptest.ResponseRecorder {
	spec := rc.requests[rc.next%len(rc.requests)]
	rc.next++
	req := httptest.NewRequest(spec.method, spec.url, bytes.NewReader(spec.body))
	req.RemoteAddr = "127.0.0.1:40000"
	for k, v := range spec.header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	rc.handler.ServeHTTP(w, req)
	return w
}

// refused checks that an answer is the guard's refusal: 400 "captcha
// required".
func refused(w *httptest.ResponseRecorder) bool {
	var env struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}
	return json.Unmarshal(w.Body.Bytes(), &env) == nil && env.Code == http.StatusBadRequest && env.Msg == "captcha required"
}
