package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/blogapi/blogapi/services/signing"
)

// signer signs requests as a client does (docs/signing.md) with the project's own
// code (signing.Parse and Params.Sign, as clients/sign does):
// every request is signed when it is sent, with the current millisecond
// timestamp; a POST's timestamp is also strictly increasing, so every
// mutating request carries a signature of its own and passes replay
// protection (sign.replay mutating, the default).
type signer struct {
	key, secret string
	lastTS      atomic.Int64
}

func newSigner(key, secret string) *signer { return &signer{key: key, secret: secret} }

// uniqueTimestamp is the clock in ms, strictly increasing across calls:
// two POSTs with the same body in the same millisecond would otherwise sign
// alike, and the second would be refused as a replay (201). (GETs, sent
// far faster than one per ms, would drift ahead of the clock with it.)
func (s *signer) uniqueTimestamp() string {
	for {
		last := s.lastTS.Load()
		ts := max(time.Now().UnixMilli(), last+1)
		if s.lastTS.CompareAndSwap(last, ts) {
			return strconv.FormatInt(ts, 10)
		}
	}
}

// requestSpec is one request: a vegeta.Target without the dependency in
// the plain-HTTP helpers.
type requestSpec struct {
	method, url string
	body        []byte
	header      http.Header
}

func (r requestSpec) target(t *vegeta.Target) {
	t.Method, t.URL, t.Body, t.Header = r.method, r.url, r.body, r.header
}

// get is a signed GET of path with query parameters q (signing parameters
// added) and extra headers.
func (s *signer) get(base, path string, q url.Values, header http.Header) requestSpec {
	if q == nil {
		q = url.Values{}
	}
	q.Set("auth_key", s.key)
	q.Set("timestamp", strconv.FormatInt(time.Now().UnixMilli(), 10))
	s.sign(q, "", nil)
	return requestSpec{method: http.MethodGet, url: base + path + "?" + q.Encode(), header: withHeader(header)}
}

// post is a signed POST of a JSON object body; the signing parameters go
// in the query string.
func (s *signer) post(base, path string, body []byte, header http.Header) requestSpec {
	q := url.Values{"auth_key": {s.key}, "timestamp": {s.uniqueTimestamp()}}
	s.sign(q, "application/json", body)
	h := withHeader(header)
	h.Set("Content-Type", "application/json")
	return requestSpec{method: http.MethodPost, url: base + path + "?" + q.Encode(), body: body, header: h}
}

func (s *signer) sign(q url.Values, contentType string, body []byte) {
	p, err := signing.Parse(q.Encode(), contentType, body)
	if err != nil {
		// The harness builds every request itself: a parse error is a bug.
		panic(fmt.Sprintf("bench: sign: %v", err))
	}
	q.Set("token", p.Sign(s.secret))
}

func withHeader(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		out[k] = v
	}
	return out
}

// scenario is one kind of request under load: a targeter and the envelope
// code (= HTTP status, response.http_status mirror or standard alike for
// 200 and 401) every answer should carry.
type scenario struct {
	name   string
	what   string // the row's description in the report
	expect int
	next   func(i uint64) requestSpec
}

// targeter serves sc.next(0), sc.next(1), … to vegeta's workers; it is
// called concurrently.
func (sc scenario) targeter() vegeta.Targeter {
	var seq atomic.Uint64
	return func(t *vegeta.Target) error {
		sc.next(seq.Add(1) - 1).target(t)
		return nil
	}
}

// spread maps the i-th request to one of n users, visiting them in a
// scattered order (a stride coprime with n) so that consecutive requests
// do not hit neighbouring documents.
func spread(i uint64, n int) int {
	const stride = 7919 // prime
	if n%stride == 0 {
		return int(i % uint64(n))
	}
	return int(i * stride % uint64(n))
}

func healthz(base string) scenario {
	return scenario{name: "healthz", what: "`GET /healthz` (baseline: unsigned, no database)", expect: 200,
		next: func(uint64) requestSpec {
			return requestSpec{method: http.MethodGet, url: base + "/healthz", header: http.Header{}}
		}}
}

// clientIPs is how many client IPs the public routes' requests come
// from, as a site's traffic does: each request from one of them, through
// the trusted proxy (X-Forwarded-For), so the per-IP rate limits keep
// state for every one.
const clientIPs = 100_000

// clientIP is the X-Forwarded-For header of the i-th request: one of
// clientIPs addresses in 100.64.0.0/10, scattered.
func clientIP(i uint64) http.Header {
	k := i * 2654435761 % clientIPs
	return http.Header{"X-Forwarded-For": {fmt.Sprintf("100.%d.%d.%d", 64+k>>16, k>>8&255, k&255)}}
}

func checkUsername(s *signer, base string, users int) scenario {
	return scenario{name: "check-username", what: "`GET /blogapi/reg/check/username` (signed, from one of 100,000 client IPs; rate limit, the account's alias read by `_id`)", expect: 200,
		next: func(i uint64) requestSpec {
			return s.get(base, "/blogapi/reg/check/username", url.Values{"account": {accountName(spread(i, users))}}, clientIP(i))
		}}
}

func captcha(s *signer, base string) scenario {
	return scenario{name: "captcha", what: "`GET /blogapi/service/captcha` (signed, from one of 100,000 client IPs; rate limit, SVG render, one write)", expect: 200,
		next: func(i uint64) requestSpec { return s.get(base, "/blogapi/service/captcha", nil, clientIP(i)) }}
}

func userCenter(s *signer, base string, tokens []string) scenario {
	headers := make([]http.Header, len(tokens))
	for i, tok := range tokens {
		headers[i] = http.Header{"Access-Token": {tok}}
	}
	return scenario{name: "user-center", what: "`GET /blogapi/user/center` (signed + JWT, from one of 100,000 client IPs: session and user read by `_id`)", expect: 200,
		next: func(i uint64) requestSpec {
			h := clientIP(i)
			h.Set("Access-Token", headers[i%uint64(len(headers))].Get("Access-Token"))
			return s.get(base, "/blogapi/user/center", nil, h)
		}}
}

// login logs seeded users in, each request from a client IP of its own
// (172.16.x.y through the trusted proxy), as users log in from their own
// devices: the brute-force guard counts an attempt as a failure until its
// password is checked, so from one IP the fourth concurrent login would be
// asked for a captcha (400).
func login(s *signer, base string, users int) scenario {
	password := md5hex(benchPassword)
	return scenario{name: "login", what: "`POST /blogapi/login` (signed; user read, guard counters, argon2id verify, session write)", expect: 200,
		next: func(i uint64) requestSpec {
			body, _ := json.Marshal(map[string]string{"account": accountName(spread(i, users)), "password": password})
			ip := fmt.Sprintf("172.%d.%d.%d", 16+i>>16&15, i>>8&255, i&255)
			return s.post(base, "/blogapi/login", body, http.Header{"X-Forwarded-For": {ip}})
		}}
}

// loginFlood is a stream of failing logins that each reach the password
// hash: the i-th tries a wrong password on seeded user spread(i, users)
// from client IP 10.x.y.z (X-Forwarded-For through the trusted proxy
// 127.0.0.1), so neither the per-account nor the per-IP budget of the
// brute-force guard (captcha after 3 failures, lock after 10) stops it
// before the hash as long as the flood stays under 3 attempts per account.
func loginFlood(s *signer, base string, users int) scenario {
	return scenario{name: "login-flood", what: "failing logins, each from its own client IP", expect: 401,
		next: func(i uint64) requestSpec {
			body, _ := json.Marshal(map[string]string{"account": accountName(spread(i, users)), "password": md5hex(fmt.Sprint("wrong-", i))})
			ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
			return s.post(base, "/blogapi/login", body, http.Header{"X-Forwarded-For": {ip}})
		}}
}
