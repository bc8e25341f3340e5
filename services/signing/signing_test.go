package signing_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/blogapi/blogapi/services/signing"
)

type signVector struct {
	Name        string      `json:"name"`
	Method      string      `json:"method"`
	Query       [][2]string `json:"query"`
	ContentType *string     `json:"content_type"`
	Body        *string     `json:"body"`
	AuthKey     string      `json:"auth_key"`
	AuthSecret  string      `json:"auth_secret"`
	Canonical   string      `json:"canonical"`
	Token       string      `json:"token"`
}

func loadVectors(tb testing.TB) []signVector {
	tb.Helper()
	raw, err := os.ReadFile("../../testdata/sign_vectors.json")
	if err != nil {
		tb.Fatal(err)
	}
	var file struct{ Vectors []signVector }
	if err := json.Unmarshal(raw, &file); err != nil {
		tb.Fatal(err)
	}
	if len(file.Vectors) == 0 {
		tb.Fatal("no vectors")
	}
	return file.Vectors
}

// rawQuery encodes pairs in order, as a client does.
func rawQuery(pairs [][2]string) string {
	parts := make([]string, len(pairs))
	for i, kv := range pairs {
		parts[i] = url.QueryEscape(kv[0]) + "=" + url.QueryEscape(kv[1])
	}
	return strings.Join(parts, "&")
}

func (v signVector) request() (query, contentType string, body []byte) {
	if v.ContentType != nil {
		contentType = *v.ContentType
	}
	if v.Body != nil {
		body = []byte(*v.Body)
	}
	return rawQuery(v.Query), contentType, body
}

// timestamp is the vector's timestamp parameter, read with the standard
// library from wherever it travels: the query, a form body or a JSON body.
func (v signVector) timestamp(tb testing.TB) time.Time {
	tb.Helper()
	q, ct, body := v.request()
	query, err := url.ParseQuery(q)
	if err != nil {
		tb.Fatal(err)
	}
	s := query.Get("timestamp")
	switch {
	case s != "":
	case ct == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			tb.Fatal(err)
		}
		s = form.Get("timestamp")
	case ct == "application/json":
		var members map[string]json.RawMessage
		if err := json.Unmarshal(body, &members); err != nil {
			tb.Fatal(err)
		}
		s = strings.Trim(string(members["timestamp"]), `"`)
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		tb.Fatalf("%s: timestamp %q", v.Name, s)
	}
	return time.UnixMilli(ms)
}

func TestSignVectors(t *testing.T) {
	vectors := loadVectors(t)
	if len(vectors) != 8 {
		t.Fatalf("%d vectors, want 8", len(vectors))
	}
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			p, err := signing.Parse(v.request())
			if err != nil {
				t.Fatal(err)
			}
			if got := string(p.AppendCanonical(nil, v.AuthSecret)); got != v.Canonical {
				t.Errorf("canonical\n got %q\nwant %q", got, v.Canonical)
			}
			if got := p.Sign(v.AuthSecret); got != v.Token {
				t.Errorf("Sign = %s, want %s", got, v.Token)
			}
			// The vector's request with its token verifies.
			q, ct, body := v.request()
			p, err = signing.Parse(q+"&token="+v.Token, ct, body)
			if err != nil {
				t.Fatal(err)
			}
			ts := v.timestamp(t)
			s := signing.NewSigner(signing.Config{
				Apps:   []signing.App{{Name: "web", Key: v.AuthKey, Secret: v.AuthSecret}},
				Replay: signing.ReplayOff,
				Now:    func() time.Time { return ts },
			}, nil)
			sig, err := s.Verify(p)
			if err != nil || sig.App.Name != "web" {
				t.Fatalf("Verify = %+v, %v", sig, err)
			}
		})
	}
}

const (
	testKey    = "fwCWYMqmRINlRtMp"
	testSecret = "G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh"
	testTS     = int64(1_700_000_000_000)
)

var testNow = time.UnixMilli(testTS)

// signQuery adds the token for secret to the query pairs.
func signQuery(t testing.TB, secret string, pairs ...[2]string) string {
	t.Helper()
	q := rawQuery(pairs)
	p, err := signing.Parse(q, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return q + "&token=" + p.Sign(secret)
}

func newSigner(replay string, store signing.ReplayStore) *signing.Signer {
	return signing.NewSigner(signing.Config{
		Apps:   []signing.App{{Name: "web", Key: testKey, Secret: testSecret}, {Name: "other", Key: "k2", Secret: "s2"}},
		Replay: replay,
		Now:    func() time.Time { return testNow },
	}, store)
}

// wantErr fails unless err is want (nil: no error) and reads as it.
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("err = %v, want success", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}

// parseErrors are the sentinels Parse returns.
var parseErrors = []error{signing.ErrQuerySemicolon, signing.ErrQueryEscape, signing.ErrFormSemicolon, signing.ErrFormEscape,
	signing.ErrMultipartBoundary, signing.ErrMultipart, signing.ErrNotUTF8, signing.ErrMalformedJSON, signing.ErrNotObject,
	signing.ErrTooManyParams, signing.ErrTooDeep}

// isParseError reports whether err is one of parseErrors or a
// *DuplicateMemberError.
func isParseError(err error) bool {
	var dup *signing.DuplicateMemberError
	if errors.As(err, &dup) {
		return true
	}
	for _, e := range parseErrors {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// wantParseErr fails unless err is a Parse error whose text is msg: the
// envelope message the HTTP layer answers with.
func wantParseErr(t *testing.T, err error, msg string) {
	t.Helper()
	if !isParseError(err) || err.Error() != msg {
		t.Fatalf("err = %v, want the Parse error %q", err, msg)
	}
}

func TestSignVerifyChecks(t *testing.T) {
	ts := strconv.FormatInt(testTS, 10)
	key := [2]string{"auth_key", testKey}
	good := signQuery(t, testSecret, [2]string{"a", "1"}, key, [2]string{"timestamp", ts})
	tok := good[strings.LastIndex(good, "=")+1:]
	skew := signing.DefaultMaxSkew.Milliseconds()
	at := func(ms int64) string {
		return signQuery(t, testSecret, key, [2]string{"timestamp", strconv.FormatInt(ms, 10)})
	}
	cases := []struct {
		name, query string
		want        error
	}{
		{"valid", good, nil},
		{"uppercase token", strings.Replace(good, tok, strings.ToUpper(tok), 1), nil},
		{"token missing", "a=1&auth_key=" + testKey + "&timestamp=" + ts, signing.ErrTokenMissing},
		{"token empty", "a=1&auth_key=" + testKey + "&timestamp=" + ts + "&token=", signing.ErrTokenMissing},
		{"token missing before unknown key", "auth_key=nope&timestamp=x", signing.ErrTokenMissing},
		{"auth_key missing", "a=1&timestamp=" + ts + "&token=" + tok, signing.ErrAuthKeyMissing},
		{"auth_key unknown", "a=1&auth_key=nope&timestamp=" + ts + "&token=" + tok, signing.ErrAuthKeyUnknown},
		{"unknown key before bad timestamp", "auth_key=nope&timestamp=x&token=" + tok, signing.ErrAuthKeyUnknown},
		{"timestamp missing", "a=1&auth_key=" + testKey + "&token=" + tok, signing.ErrTimestampMissing},
		{"timestamp not a number", "auth_key=" + testKey + "&timestamp=soon&token=" + tok, signing.ErrTimestampInvalid},
		{"timestamp fractional", "auth_key=" + testKey + "&timestamp=1700000000000.5&token=" + tok, signing.ErrTimestampInvalid},
		{"timestamp exponent", "auth_key=" + testKey + "&timestamp=1.7e12&token=" + tok, signing.ErrTimestampInvalid},
		{"timestamp plus sign", "auth_key=" + testKey + "&timestamp=%2B1700000000000&token=" + tok, signing.ErrTimestampInvalid},
		{"timestamp overflow", "auth_key=" + testKey + "&timestamp=99999999999999999999&token=" + tok, signing.ErrTimestampInvalid},
		{"bad timestamp before bad token", "auth_key=" + testKey + "&timestamp=x&token=zz", signing.ErrTimestampInvalid},
		{"at the past edge", at(testTS - skew), nil},
		{"at the future edge", at(testTS + skew), nil},
		{"too old", at(testTS - skew - 1), signing.ErrExpired},
		{"too new", at(testTS + skew + 1), signing.ErrExpired},
		{"far past, negative", at(-9_000_000_000_000_000_000), signing.ErrExpired},
		{"expired before bad token", "auth_key=" + testKey + "&timestamp=1&token=zz", signing.ErrExpired},
		{"value changed", strings.Replace(good, "a=1", "a=2", 1), signing.ErrSignatureInvalid},
		{"other app's secret", signQuery(t, "s2", [2]string{"a", "1"}, key, [2]string{"timestamp", ts}), signing.ErrSignatureInvalid},
		{"token not hex", strings.Replace(good, tok, "z"+tok[1:], 1), signing.ErrSignatureInvalid},
		{"token short", strings.Replace(good, tok, tok[1:], 1), signing.ErrSignatureInvalid},
		{"token long", strings.Replace(good, tok, tok+"0", 1), signing.ErrSignatureInvalid},
		{"first token wins", good + "&token=" + strings.Repeat("0", 32), nil},
		{"second token ignored", strings.Replace(good, "token=", "token=00000000000000000000000000000000&token=", 1), signing.ErrSignatureInvalid},
	}
	s := newSigner(signing.ReplayOff, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := signing.Parse(tc.query, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := s.Verify(p)
			wantErr(t, err, tc.want)
			if err == nil && sig.App.Key != testKey {
				t.Fatalf("app = %+v", sig.App)
			}
		})
	}
}

func TestSignVerifyFieldsInBody(t *testing.T) {
	ts := strconv.FormatInt(testTS, 10)
	sum := func(canonical string) string {
		h := md5.Sum([]byte(canonical + testSecret))
		return hex.EncodeToString(h[:])
	}
	cases := []struct {
		name, query, contentType, body string
	}{
		{"form", "", "application/x-www-form-urlencoded",
			"a=%E5%B0%8F+x&auth_key=" + testKey + "&timestamp=" + ts + "&token=" + sum("小 x"+ts)},
		{"json, timestamp number", "", "application/json; charset=utf-8",
			`{"a":"小 x","auth_key":"` + testKey + `","timestamp":` + ts + `,"token":"` + sum("小 x"+ts) + `"}`},
		{"json, timestamp string", "", "application/json",
			`{"token":"` + sum("小 x"+ts) + `","a":"小 x","auth_key":"` + testKey + `","timestamp":"` + ts + `"}`},
		{"json body, signing fields in query", "auth_key=" + testKey + "&token=" + sum("小 x"+ts) + "&timestamp=" + ts,
			"application/json", `{"a":"小 x"}`},
		{"multipart", "", "",
			""}, // filled below
	}
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	for _, kv := range [][2]string{{"a", "小 x"}, {"auth_key", testKey}, {"timestamp", ts}, {"token", sum("小 x" + ts)}} {
		if err := w.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("avatar", "a.png")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte("\x89PNG\xff not signed"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cases[len(cases)-1].contentType = w.FormDataContentType()
	cases[len(cases)-1].body = mp.String()

	s := newSigner(signing.ReplayOff, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := signing.Parse(tc.query, tc.contentType, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Verify(p); err != nil {
				t.Fatalf("Verify: %v (canonical %q)", err, p.AppendCanonical(nil, ""))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const js = "application/json"
	cases := []struct {
		name, query, contentType, body, msg string
	}{
		{"json array", "", js, `[]`, "body must be a JSON object"},
		{"json string", "", js, `"x"`, "body must be a JSON object"},
		{"json number", "", js, ` 1 `, "body must be a JSON object"},
		{"json null", "", js, `null`, "body must be a JSON object"},
		{"duplicate member", "", js, `{"a":1,"b":2,"a":3}`, `duplicate JSON member "a"`},
		{"duplicate member by escape", "", js, `{"a":1,"\u0061":2}`, `duplicate JSON member "a"`},
		{"unterminated object", "", js, `{"a":1`, "malformed JSON body"},
		{"missing value", "", js, `{"a":}`, "malformed JSON body"},
		{"trailing data", "", js, `{"a":1}x`, "malformed JSON body"},
		{"two objects", "", js, `{"a":1}{}`, "malformed JSON body"},
		{"trailing comma", "", js, `{"a":1,}`, "malformed JSON body"},
		{"bare word", "", js, `{"a":nul}`, "malformed JSON body"},
		{"bad number", "", js, `{"a":01}`, "malformed JSON body"},
		{"bad number 2", "", js, `{"a":1.}`, "malformed JSON body"},
		{"bad escape", "", js, `{"a":"\x"}`, "malformed JSON body"},
		{"short unicode escape", "", js, `{"a":"\u12"}`, "malformed JSON body"},
		{"control char in string", "", js, "{\"a\":\"x\ny\"}", "malformed JSON body"},
		{"bad nested", "", js, `{"a":[1,}`, "malformed JSON body"},
		{"nested mismatch", "", js, `{"a":[1}]}`, "malformed JSON body"},
		{"unterminated nested", "", js, `{"a":{"b":"}"`, "malformed JSON body"},
		{"not json at all", "", js, `hello`, "malformed JSON body"},
		{"single quotes", "", js, `{'a':1}`, "malformed JSON body"},
		{"invalid UTF-8 in JSON", "", js, "{\"a\":\"\xff\"}", "request is not valid UTF-8"},
		{"invalid UTF-8 in form", "", "application/x-www-form-urlencoded", "a=%ff", "request is not valid UTF-8"},
		{"raw invalid UTF-8 in form", "", "application/x-www-form-urlencoded", "a=\xc3", "request is not valid UTF-8"},
		{"invalid UTF-8 in query", "a=%C3%28", "", "", "request is not valid UTF-8"},
		{"invalid UTF-8 in query name", "%ff=1", "", "", "request is not valid UTF-8"},
		{"bad percent in query", "a=%zz", "", "", "malformed query string: invalid percent-encoding"},
		{"semicolon in query", "a=1;b=2", "", "", "malformed query string: ';' is not a separator"},
		{"semicolon past the first 8 bytes", "abcdefgh=1;b", "", "", "malformed query string: ';' is not a separator"},
		{"semicolon in a long query", "abc;efghijklmnopq=1", "", "", "malformed query string: ';' is not a separator"},
		{"bad percent in form", "", "application/x-www-form-urlencoded", "a=%4", "malformed form body: invalid percent-encoding"},
		{"multipart without boundary", "", "multipart/form-data", "x", "malformed multipart body: Content-Type has no boundary"},
		{"multipart garbage", "", "multipart/form-data; boundary=zz", "--zz\r\nno end", "malformed multipart body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := signing.Parse(tc.query, tc.contentType, []byte(tc.body))
			if p != nil {
				t.Fatalf("params %v returned with error %v", p, err)
			}
			wantParseErr(t, err, tc.msg)
		})
	}
}

// repeatPairs is n pairs "a=1" joined by '&', as a query or a form body.
func repeatPairs(n int) string { return strings.TrimSuffix(strings.Repeat("a=1&", n), "&") }

// jsonObject is a JSON object of n members named m0, m1, … of value 1.
func jsonObject(n int) string {
	m := make([]string, n)
	for i := range m {
		m[i] = `"m` + strconv.Itoa(i) + `":1`
	}
	return "{" + strings.Join(m, ",") + "}"
}

// jsonNested is a JSON object body depth levels deep (its own object
// counting as 1): one member whose value is arrays nested depth-1 deep.
func jsonNested(depth int) string {
	return `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
}

// multipartForm is a multipart body of fields text fields of value 1 and
// files file parts, and its Content-Type.
func multipartForm(t *testing.T, fields, files int) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for i := range fields {
		if err := w.WriteField("f"+strconv.Itoa(i), "1"); err != nil {
			t.Fatal(err)
		}
	}
	for i := range files {
		fw, err := w.CreateFormFile("file"+strconv.Itoa(i), "a.txt")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte("not signed"))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.String()
}

// TestParseLimits checks MaxParams (query and body together)
// and MaxJSONDepth, at and just past each, and the floods they are there
// for.
func TestParseLimits(t *testing.T) {
	const (
		js      = "application/json"
		form    = "application/x-www-form-urlencoded"
		tooMany = "too many parameters"
		deep    = "JSON body is nested too deeply"
	)
	if signing.MaxParams != 256 || signing.MaxJSONDepth != 64 {
		t.Fatalf("limits %d, %d: the cases below assume 256 and 64", signing.MaxParams, signing.MaxJSONDepth)
	}
	mpCT, mpAtLimit := multipartForm(t, 256, 0)
	mpCT2, mpOver := multipartForm(t, 257, 0)
	mpCT3, mpFilesAtLimit := multipartForm(t, 254, 2)
	mpCT4, mpFilesOver := multipartForm(t, 255, 2)
	cases := []struct {
		name, query, contentType, body string
		msg                            string // "" means accepted
		canonical                      string // when accepted, without the secret
	}{
		{"query at the limit", repeatPairs(256), "", "", "", strings.Repeat("1", 256)},
		{"query past the limit", repeatPairs(257), "", "", tooMany, ""},
		{"empty pairs do not count", strings.Repeat("a=1&&", 256), "", "", "", strings.Repeat("1", 256)},
		{"query and form at the limit", repeatPairs(200), form, repeatPairs(56), "", strings.Repeat("1", 256)},
		{"query and form past the limit", repeatPairs(200), form, repeatPairs(57), tooMany, ""},
		{"form flood of 1 MiB", "", form, strings.Repeat("a&", 512<<10), tooMany, ""},
		{"query flood of 1 MiB", strings.Repeat("a&", 512<<10), "", "", tooMany, ""},
		{"json at the limit", "", js, jsonObject(256), "", strings.Repeat("1", 256)},
		{"json past the limit", "", js, jsonObject(257), tooMany, ""},
		{"query and json past the limit", "a=1", js, jsonObject(256), tooMany, ""},
		{"multipart at the limit", "", mpCT, mpAtLimit, "", strings.Repeat("1", 256)},
		{"multipart past the limit", "", mpCT2, mpOver, tooMany, ""},
		{"multipart files count, at the limit", "", mpCT3, mpFilesAtLimit, "", strings.Repeat("1", 254)},
		{"multipart files count, past the limit", "", mpCT4, mpFilesOver, tooMany, ""},
		{"query and multipart past the limit", "a=1", mpCT, mpAtLimit, tooMany, ""},
		{"json at the depth limit", "", js, jsonNested(64), "", strings.Repeat("[", 63) + strings.Repeat("]", 63)},
		{"json past the depth limit", "", js, jsonNested(65), deep, ""},
		{"nested objects past the depth limit", "", js,
			`{"a":` + strings.Repeat(`{"a":`, 64) + "1" + strings.Repeat("}", 64) + "}", deep, ""},
		{"half a million open brackets", "", js, `{"a":` + strings.Repeat("[", 500_000), deep, ""},
		{"half a million brackets, closed", "", js, jsonNested(500_000), deep, ""},
		{"deep later member", "", js, `{"a":1,"b":` + strings.Repeat("[", 500_000) + strings.Repeat("]", 500_000) + "}", deep, ""},
		{"half a million brackets, not an object", "", js, strings.Repeat("[", 500_000) + strings.Repeat("]", 500_000), "malformed JSON body", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := signing.Parse(tc.query, tc.contentType, []byte(tc.body))
			if tc.msg != "" {
				if p != nil {
					t.Fatal("params returned with an error")
				}
				wantParseErr(t, err, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(p.AppendCanonical(nil, "")); got != tc.canonical {
				t.Fatalf("canonical %.80q (%d bytes), want %d bytes", got, len(got), len(tc.canonical))
			}
		})
	}
}

// TestParseValues checks the rendering of values (the README, "Signing a
// request by hand") through the canonical string, mostly one parameter per
// case so that the string is that parameter's value.
func TestParseValues(t *testing.T) {
	const js = "application/json"
	cases := []struct {
		name, contentType, body string
		canonical               string // without the secret
	}{
		{"number with exponent as sent", js, `{"a":1e5}`, "1e5"},
		{"negative zero as sent", js, `{"a":-0.0}`, "-0.0"},
		{"exponent sign as sent", js, `{"a":1E+2}`, "1E+2"},
		{"trailing zero as sent", js, `{"a":1.50}`, "1.50"},
		{"zero", js, `{"a":0}`, "0"},
		{"true", js, `{"a":true}`, "true"},
		{"false", js, `{"a":false}`, "false"},
		{"null is empty", js, `{"a":null,"b":"x"}`, "x"},
		{"empty string", js, `{"a":"","b":"x"}`, "x"},
		{"escapes decoded at top level", js, `{"a":"x\u00e9\/\t"}`, "xé/\t"},
		{"surrogate pair", js, `{"a":"\ud83d\ude00"}`, "😀"},
		{"lone surrogate", js, `{"a":"\ud800x"}`, "\uFFFDx"},
		{"lone surrogate before escape", js, `{"a":"\ud800\u0041"}`, "\uFFFDA"},
		{"escaped name sorts decoded", js, `{"b":"2","\u0061":"1"}`, "12"},
		{"escaped token name not signed", js, `{"\u0074oken":"t","x":"1"}`, "1"},
		{"nested compacted, strings kept", js, "{ \"a\" : { \"b\" : [ 1 , \"x y\\n\" ] } ,\n\"c\":[]}",
			`{"b":[1,"x y\n"]}[]`},
		{"brackets inside nested strings", js, `{"a":{"s":"\" {]"},"b":1}`, `{"s":"\" {]"}1`},
		{"empty body", js, " \n", ""},
		{"empty object", js, "{ }", ""},
		{"other content type not signed", "text/plain", `{"a":1}`, ""},
		{"content type case and params", "Application/JSON ; charset=UTF-8", `{"a":1}`, "1"},
		{"form plus and empty pairs", "application/x-www-form-urlencoded", "a=x+y&&b&=z", "zx y"},
		{"form plus past the first 8 bytes", "application/x-www-form-urlencoded", "abcdefgh=x+y", "x y"},
		{"form plus in a long body", "application/x-www-form-urlencoded", "abcdefgh=x+yzzzzzzzzz", "x yzzzzzzzzz"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := signing.Parse("", tc.contentType, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(p.AppendCanonical(nil, "")); got != tc.canonical {
				t.Errorf("canonical %q, want %q", got, tc.canonical)
			}
		})
	}
}

// TestSignCanonicalMatchesReference compares AppendCanonical with a
// plain reference (a stable sort of decoded pairs) on generated requests:
// few and many parameters, repeated names, names that share long prefixes,
// names and values that need decoding, in the query, a form or JSON.
func TestSignCanonicalMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"a", "b", "B", "_", "token", "auth_key", "timestamp", "password", "password1",
		"password2", "passwordX", "pass", "p%C3%A9", "a b", "", "longer_name_than_eight", "longer_name_than_nine"}
	values := []string{"", "1", "x y", "小灰", "a&b=c", "%", "+", "\"", "\\"}
	for n := range 300 {
		count := rng.IntN(40)
		type pair struct{ name, value string }
		var want []pair
		var query []string
		var form []string
		var members []string
		seenJSON := map[string]bool{}
		kind := rng.IntN(3) // body: none, form, JSON
		for range count {
			name, value := names[rng.IntN(len(names))], values[rng.IntN(len(values))]
			decoded, _ := url.QueryUnescape(name)
			enc := url.QueryEscape(decoded) + "=" + url.QueryEscape(value)
			switch where := rng.IntN(2); {
			case where == 0 || kind == 0:
				query = append(query, enc)
			case kind == 1:
				form = append(form, enc)
			default:
				if seenJSON[decoded] {
					continue
				}
				seenJSON[decoded] = true
				k, _ := json.Marshal(decoded)
				v, _ := json.Marshal(value)
				members = append(members, string(k)+":"+string(v))
			}
		}
		// The reference: query pairs, then body pairs, stably by name.
		for _, q := range append(append([]string{}, query...), form...) {
			k, v, _ := strings.Cut(q, "=")
			k, _ = url.QueryUnescape(k)
			v, _ = url.QueryUnescape(v)
			want = append(want, pair{k, v})
		}
		for _, m := range members {
			var kv map[string]string
			_ = json.Unmarshal([]byte("{"+m+"}"), &kv)
			for k, v := range kv {
				want = append(want, pair{k, v})
			}
		}
		sort.SliceStable(want, func(i, j int) bool { return want[i].name < want[j].name })
		var canonical string
		for _, w := range want {
			if w.name != "token" && w.name != "auth_key" {
				canonical += w.value
			}
		}

		ct, body := "", ""
		switch kind {
		case 1:
			ct, body = "application/x-www-form-urlencoded", strings.Join(form, "&")
		case 2:
			ct, body = "application/json", "{"+strings.Join(members, ",")+"}"
		}
		p, err := signing.Parse(strings.Join(query, "&"), ct, []byte(body))
		if err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		if got := string(p.AppendCanonical(nil, "S")); got != canonical+"S" {
			t.Fatalf("case %d: query %q body %q\ncanonical %q\n     want %q", n, query, body, got, canonical+"S")
		}
	}
}

func TestParseMultipartFilesNotSigned(t *testing.T) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("b", "2")
	fw, _ := w.CreateFormFile("a", "a.txt")
	_, _ = fw.Write([]byte("file"))
	_ = w.WriteField("a", "1")
	_ = w.Close()
	p, err := signing.Parse("a=0", w.FormDataContentType(), buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.AppendCanonical(nil, "S")); got != "012S" {
		t.Fatalf("canonical = %q, want 012S", got)
	}
}

// memStore is a ReplayStore in memory, on the test clock; err, when set,
// is its answer to everything, as a store that is down.
type memStore struct {
	records map[string]time.Time
	err     error
}

func (m *memStore) Record(_ context.Context, key string, expiresAt time.Time) error {
	if m.err != nil {
		return m.err
	}
	if exp, ok := m.records[key]; ok && exp.After(testNow) {
		return signing.ErrReplayed
	}
	if m.records == nil {
		m.records = map[string]time.Time{}
	}
	m.records[key] = expiresAt
	return nil
}

// TestSignReplay: a signature is recorded for the methods the replay mode
// covers, keyed by auth_key, token, method, route and session.
func TestSignReplay(t *testing.T) {
	ts := strconv.FormatInt(testTS, 10)
	query := func(v string) string {
		return signQuery(t, testSecret, [2]string{"v", v}, [2]string{"auth_key", testKey}, [2]string{"timestamp", ts})
	}
	type call struct {
		query    string
		req      signing.Request
		replayed bool
	}
	q1, q2, q3 := query("1"), query("2"), query("3")
	tok3 := q3[strings.LastIndex(q3, "=")+1:]
	post := signing.Request{Method: "POST", Route: "/blogapi/logout", Session: "s1"}
	with := func(f func(*signing.Request)) signing.Request { r := post; f(&r); return r }
	otherSession := with(func(r *signing.Request) { r.Session = "s2" })
	noSession := with(func(r *signing.Request) { r.Session = "" })
	otherRoute := with(func(r *signing.Request) { r.Route = "/blogapi/user/update" })
	put := with(func(r *signing.Request) { r.Method = "PUT" })
	get := with(func(r *signing.Request) { r.Method = "GET" })
	head := with(func(r *signing.Request) { r.Method = "HEAD" })
	cases := []struct {
		mode  string
		calls []call
	}{
		{signing.ReplayMutating, []call{
			{q1, post, false}, {q1, post, true},
			// The same signature for another caller, route or method is
			// another request.
			{q1, otherSession, false}, {q1, otherSession, true}, {q1, noSession, false}, {q1, noSession, true},
			{q1, otherRoute, false}, {q1, put, false}, {q1, put, true},
			{q2, get, false}, {q2, get, false}, {q2, post, false}, {q2, post, true},
			// The token is recorded lowercased: the uppercase spelling is the same token.
			{q3, post, false}, {strings.Replace(q3, tok3, strings.ToUpper(tok3), 1), post, true},
		}},
		{signing.ReplayAll, []call{{q1, get, false}, {q1, get, true}, {q1, head, false}, {q1, head, true}}},
		{signing.ReplayOff, []call{{q1, post, false}, {q1, post, false}}},
		{"", []call{{q1, get, false}, {q1, post, false}, {q1, post, true}}},
	}
	for _, tc := range cases {
		t.Run("mode "+tc.mode, func(t *testing.T) {
			s := newSigner(tc.mode, &memStore{})
			for i, c := range tc.calls {
				p, err := signing.Parse(c.query, "", nil)
				if err != nil {
					t.Fatal(err)
				}
				sig, err := s.Verify(p)
				if err != nil {
					t.Fatal(err)
				}
				err = s.Replay(context.Background(), sig, c.req)
				if c.replayed {
					wantErr(t, err, signing.ErrReplayed)
				} else if err != nil {
					t.Fatalf("call %d %+v: %v", i, c.req, err)
				}
			}
		})
	}

	// The record's key and lifetime: auth_key:token:method:session:route,
	// now + 2×max_skew.
	store := &memStore{}
	s := newSigner(signing.ReplayMutating, store)
	p, _ := signing.Parse(q3, "", nil)
	sig, err := s.Verify(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Replay(context.Background(), sig, post); err != nil {
		t.Fatal(err)
	}
	key := testKey + ":" + tok3 + ":POST:s1:/blogapi/logout"
	exp, ok := store.records[key]
	if want := testNow.Add(2 * signing.DefaultMaxSkew); !ok || !exp.Equal(want) || len(store.records) != 1 {
		t.Fatalf("records %v, want %s until %v", store.records, key, want)
	}
}

func TestSignReplayStoreDown(t *testing.T) {
	down := errors.New("connection refused")
	s := newSigner(signing.ReplayMutating, &memStore{err: down})
	q := signQuery(t, testSecret, [2]string{"auth_key", testKey}, [2]string{"timestamp", strconv.FormatInt(testTS, 10)})
	p, err := signing.Parse(q, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Verify(p)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Replay(context.Background(), sig, signing.Request{Method: "POST", Route: "/x"})
	if !errors.Is(err, down) || errors.Is(err, signing.ErrReplayed) {
		t.Fatalf("err = %v, want the store's error", err)
	}
	// A GET is not replay-checked in mutating mode, so it does not need the store.
	if err := s.Replay(context.Background(), sig, signing.Request{Method: "GET", Route: "/x"}); err != nil {
		t.Fatalf("GET: %v", err)
	}
}

func TestNewSignerNeedsStore(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewSigner without a store in mutating mode did not panic")
		}
	}()
	signing.NewSigner(signing.Config{Replay: signing.ReplayMutating}, nil)
}

func registerJSON(b *testing.B) (signVector, string, string, []byte) {
	for _, v := range loadVectors(b) {
		if v.Name == "register-json" {
			q, ct, body := v.request()
			return v, q + "&token=" + v.Token, ct, body
		}
	}
	b.Fatal("no register-json vector")
	return signVector{}, "", "", nil
}

// BenchmarkVerifyRegisterJSON is the server's whole signing cost for a
// typical signed POST: Parse and Verify (the replay record is a database
// write of its own).
func BenchmarkVerifyRegisterJSON(b *testing.B) {
	v, q, ct, body := registerJSON(b)
	ts := v.timestamp(b)
	s := signing.NewSigner(signing.Config{
		Apps:   []signing.App{{Name: "web", Key: v.AuthKey, Secret: v.AuthSecret}},
		Replay: signing.ReplayOff,
		Now:    func() time.Time { return ts },
	}, nil)
	b.ReportAllocs()
	for b.Loop() {
		p, err := signing.Parse(q, ct, body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Verify(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMD5Baseline is the floor for the benchmark above: md5 and hex of
// the same canonical string, nothing else.
func BenchmarkMD5Baseline(b *testing.B) {
	v, _, _, _ := registerJSON(b)
	canonical := []byte(v.Canonical)
	var out [32]byte
	b.ReportAllocs()
	for b.Loop() {
		sum := md5.Sum(canonical)
		hex.Encode(out[:], sum[:])
	}
	if string(out[:]) != v.Token {
		b.Fatalf("baseline token %s, want %s", out, v.Token)
	}
}

// FuzzParse checks Parse on JSON bodies against
// encoding/json: it never panics, accepts exactly the valid JSON objects
// without duplicate members within MaxParams and MaxJSONDepth (or
// whitespace-only bodies), and renders the members as the README says.
func FuzzParse(f *testing.F) {
	for _, v := range loadVectors(f) {
		if v.Body != nil {
			f.Add([]byte(*v.Body))
		}
	}
	for _, s := range []string{``, ` `, `{}`, `[]`, `{"a":1,"a":2}`, `{"a":"\ud800"}`, `{"a":{"b":[1, 2,{"c" : "\" ]"}]}}`,
		`{"a":-0.5e-3}`, `{"a":"x`, `{"a":[}`, "{\"a\":\"\xff\"}", `{"a":1}  `, `{"":null}`} {
		f.Add([]byte(s))
	}
	f.Add([]byte(jsonNested(signing.MaxJSONDepth)))
	f.Add([]byte(jsonNested(signing.MaxJSONDepth + 1)))
	f.Add([]byte(jsonObject(signing.MaxParams)))
	f.Add([]byte(jsonObject(signing.MaxParams + 1)))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := signing.Parse("", "application/json", body)
		members, oracleOK := jsonMembers(body)
		if err != nil {
			if !isParseError(err) {
				t.Fatalf("error is not a Parse error: %v", err)
			}
			if oracleOK {
				t.Fatalf("rejected a valid body %q: %v", body, err)
			}
			return
		}
		if !oracleOK {
			t.Fatalf("accepted %q", body)
		}
		var want []byte
		sort.SliceStable(members, func(i, j int) bool { return members[i][0] < members[j][0] })
		for _, m := range members {
			if m[0] != "token" && m[0] != "auth_key" {
				want = append(want, m[1]...)
			}
		}
		if got := p.AppendCanonical(nil, "S"); string(got) != string(want)+"S" {
			t.Fatalf("%q: canonical %q, want %q", body, got, string(want)+"S")
		}
	})
}

// jsonMembers is the oracle: the (name, rendering) pairs of a JSON object
// body per encoding/json, ok false when the body must be rejected.
func jsonMembers(body []byte) ([][2]string, bool) {
	if len(bytes.TrimLeft(body, " \t\r\n")) == 0 {
		return nil, true
	}
	if !utf8.Valid(body) || !json.Valid(body) || jsonDepth(body) > signing.MaxJSONDepth {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return nil, false
	}
	var out [][2]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		name := tok.(string)
		if seen[name] {
			return nil, false
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		var value string
		switch raw[0] {
		case '"':
			_ = json.Unmarshal(raw, &value)
		case 'n':
		default:
			var buf bytes.Buffer
			_ = json.Compact(&buf, raw)
			value = buf.String()
		}
		out = append(out, [2]string{name, value})
	}
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return out, len(out) <= signing.MaxParams
}

// jsonDepth is the deepest nesting of objects and arrays in a valid JSON
// text, per encoding/json's tokens.
func jsonDepth(body []byte) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	depth, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return deepest
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			deepest = max(deepest, depth)
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}
