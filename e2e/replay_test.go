package e2e

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/blogapi/blogapi/internal/apitest"
)

// The replay check through the real router (docs/signing.md, "Replays"): a
// record names auth_key, token, method, route and the caller's session, and
// is made only once the access token verified.

// signedAt is the signed URL of path with params in the query string and
// the timestamp ms: every client that sends the same params in the same
// millisecond sends this same URL.
func signedAt(c *apitest.Client, path string, ms int64, params map[string]string) string {
	ts := strconv.FormatInt(ms, 10)
	all := map[string]string{"timestamp": ts}
	q := url.Values{"auth_key": {c.Key}, "timestamp": {ts}}
	for k, v := range params {
		all[k], q[k] = v, []string{v}
	}
	q.Set("token", apitest.Sign(all, c.Secret))
	return c.Base + path + "?" + q.Encode()
}

// sendAt sends method url with access token access ("" for none), no body.
func sendAt(t *testing.T, c *apitest.Client, method, u, access string) apitest.Reply {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if access != "" {
		req.Header.Set("access-token", access)
	}
	return c.Send(req)
}

// sessionEnded fails unless tok's session is over.
func sessionEnded(t *testing.T, h *harness, tok, who string) {
	t.Helper()
	r := h.center(tok)
	if r.Code != 401 || r.Msg != "session has ended" {
		t.Fatalf("%s after logout: user centre %d %q, want 401 session has ended", who, r.Code, r.Msg)
	}
}

// TestReplayTwoUsersSameMillisecond: two users who send the same
// parameterless POST /blogapi/logout in the same millisecond send the same
// URL, token included; both are logged out. The same holds for the same
// nick set by two users at once.
func TestReplayTwoUsersSameMillisecond(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("ann", "ann@example.com", "pw")
	h.register("ben", "ben@example.com", "pw")
	ann, ben := login(t, h.c, "ann", "pw"), login(t, h.c, "ben", "pw")
	ms := h.clk.Now().UnixMilli()

	nick := signedAt(h.c, "/blogapi/user/update", ms, map[string]string{"nick": "twin"})
	apitest.Expect(t, sendAt(t, h.c, http.MethodPut, nick, ann.Token), 200, "ann sets nick twin")
	apitest.Expect(t, sendAt(t, h.c, http.MethodPut, nick, ben.Token), 200, "ben sets nick twin in the same ms")
	if h.me(ann.Token).Nick != "twin" || h.me(ben.Token).Nick != "twin" {
		t.Fatal("a nick was not set")
	}

	logout := signedAt(h.c, "/blogapi/logout", ms, nil)
	apitest.Expect(t, sendAt(t, h.c, http.MethodPost, logout, ann.Token), 200, "ann logs out")
	apitest.Expect(t, sendAt(t, h.c, http.MethodPost, logout, ben.Token), 200, "ben logs out with the same signed request")
	sessionEnded(t, h, ann.Token, "ann")
	sessionEnded(t, h, ben.Token, "ben")
}

// TestReplayPreRecordedLogouts: a client without an account sends signed
// POST /blogapi/logout requests for the coming milliseconds, without an
// access token and with a forged one. They are refused by the access-token
// check and record nothing, so the real logouts of those milliseconds still
// end their sessions.
func TestReplayPreRecordedLogouts(t *testing.T) {
	h := newHarness(t, nil, nil)
	const users = 5
	tokens := make([]string, users)
	for i := range users {
		name := "user" + strconv.Itoa(i)
		h.register(name, name+"@example.com", "pw")
		tokens[i] = login(t, h.c, name, "pw").Token
	}
	start := h.clk.Now().UnixMilli()
	attacker := apitest.NewClient(t, h.inst.Srv.URL, h.clk)
	forged := tokens[0][:strings.LastIndexByte(tokens[0], '.')+1] + "forged"
	for ms := start; ms < start+users; ms++ {
		u := signedAt(attacker, "/blogapi/logout", ms, nil)
		apitest.Expect(t, sendAt(t, attacker, http.MethodPost, u, ""), 401, "pre-recording without an access token")
		if r := sendAt(t, attacker, http.MethodPost, u, forged); r.Code != 521 {
			t.Fatalf("pre-recording with a forged access token: %d %q, want 521", r.Code, r.Msg)
		}
	}
	for i, tok := range tokens {
		u := signedAt(h.c, "/blogapi/logout", start+int64(i), nil)
		apitest.Expect(t, sendAt(t, h.c, http.MethodPost, u, tok), 200, "a real logout in a pre-recorded millisecond")
		sessionEnded(t, h, tok, "user"+strconv.Itoa(i))
	}
}

// TestReplaySameUserSameRequest: the same signed request from the same
// session is a replay, 201 "duplicate submission", as it always was; so is
// a signed login sent twice.
func TestReplaySameUserSameRequest(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("cat", "cat@example.com", "pw")
	s := login(t, h.c, "cat", "pw")
	u := signedAt(h.c, "/blogapi/user/update", h.clk.Now().UnixMilli(), map[string]string{"nick": "kitty"})
	apitest.Expect(t, sendAt(t, h.c, http.MethodPut, u, s.Token), 200, "update")
	r := sendAt(t, h.c, http.MethodPut, u, s.Token)
	apitest.Expect(t, r, 201, "the same update again")
	if r.Msg != "duplicate submission" {
		t.Fatalf("replay: %q", r.Msg)
	}

	loginURL := signedAt(h.c, "/blogapi/login", h.clk.Now().UnixMilli(), map[string]string{"account": "cat", "password": apitest.MD5Hex("pw")})
	apitest.Expect(t, sendAt(t, h.c, http.MethodPost, loginURL, ""), 200, "login in the query string")
	apitest.Expect(t, sendAt(t, h.c, http.MethodPost, loginURL, ""), 201, "the same login again")
}
