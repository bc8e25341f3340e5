package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blogapi/blogapi/services/signing"
)

// TestSignVectorSeed: the CLI's query signing reproduces the API
// document's worked example.
func TestSignVectorSeed(t *testing.T) {
	now := time.UnixMilli(1529379565395)
	r, err := build("GET", "http://h", "/blogapi/anything", []string{"type=login", "mobile=18701086068"}, "", nil,
		"fwCWYMqmRINlRtMp", "G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh", now)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(r.url)
	if got := u.Query().Get("token"); got != "e47faedcccab34f2f91ddba207dad5f8" {
		t.Fatalf("token %s", got)
	}
}

// TestSignVectorsJSON: with -json the CLI signs the register-json vector
// to its token.
func TestSignVectorsJSON(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/sign_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []struct {
			Name, Body, Token, AuthKey string
			Secret                     string `json:"auth_secret"`
			Query                      [][2]string
		}
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	for _, v := range file.Vectors {
		if v.Name != "register-json" {
			continue
		}
		var ts time.Time
		for _, kv := range v.Query {
			if kv[0] == "timestamp" {
				n, err := strconv.ParseInt(kv[1], 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				ts = time.UnixMilli(n)
			}
		}
		r, err := build("POST", "http://h", "/blogapi/reg", nil, v.Body, nil, "fwCWYMqmRINlRtMp", v.Secret, ts)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(r.url)
		if got := u.Query().Get("token"); got != v.Token {
			t.Fatalf("register-json: token %s, want %s", got, v.Token)
		}
		return
	}
	t.Fatal("register-json vector not found")
}

func TestCurlLine(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-access", "abc", "POST", "/blogapi/login", "account=o'neil", "password=x"}, &out, io.Discard, func() time.Time { return time.UnixMilli(1700000000000) })
	if err != nil {
		t.Fatal(err)
	}
	line := out.String()
	for _, want := range []string{"curl -sS -X POST", "-H 'access-token: abc'", "-H 'Content-Type: application/json'", `"account":"o'\''neil"`, "timestamp=1700000000000", "token="} {
		if !strings.Contains(line, want) {
			t.Errorf("curl line lacks %q: %s", want, line)
		}
	}
	if err := run([]string{"GET"}, &out, io.Discard, time.Now); err == nil {
		t.Error("missing PATH accepted")
	}
	if err := run([]string{"GET", "/x", "novalue"}, &out, io.Discard, time.Now); err == nil {
		t.Error("pair without = accepted")
	}
}

// TestSend: -do sends the signed request as printed (method, headers,
// body, a token the server's own check accepts) and prints the answer's
// X-Captcha-Id and Retry-After headers before its body.
func TestSend(t *testing.T) {
	const secret = "cli-test-secret-0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p, err := signing.Parse(r.URL.RawQuery, r.Header.Get("Content-Type"), body)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		case r.Method != http.MethodPut || r.URL.Path != "/blogapi/user/update" || r.Header.Get("access-token") != "abc" ||
			string(body) != `{"nick":"n"}`:
			http.Error(w, fmt.Sprintf("%s %s access-token %q body %s", r.Method, r.URL.Path, r.Header.Get("access-token"), body), http.StatusBadRequest)
		case r.URL.Query().Get("token") != p.Sign(secret):
			http.Error(w, "bad token", http.StatusBadRequest)
		default:
			w.Header().Set("X-Captcha-Id", "cid")
			w.Header().Set("Retry-After", "7")
			fmt.Fprint(w, `{"code":200}`)
		}
	}))
	defer srv.Close()
	var out bytes.Buffer
	err := run([]string{"-do", "-url", srv.URL, "-key", "k", "-secret", secret, "-access", "abc", "put", "/blogapi/user/update", "nick=n"}, &out, io.Discard, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if want := "X-Captcha-Id: cid\nRetry-After: 7\n{\"code\":200}\n"; out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}

	srv.Close()
	err = run([]string{"-do", "-url", srv.URL, "GET", "/healthz"}, io.Discard, io.Discard, time.Now)
	var refused *refusedError
	if err == nil || errors.As(err, &refused) {
		t.Errorf("a server that is gone: error %v, want a network error", err)
	}
}

// TestSendRefused: -do prints the HTTP status to stderr and returns a
// *refusedError (main exits 1) unless the envelope code is 200; a body
// that is no envelope is judged by its HTTP status.
func TestSendRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/blogapi/login":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code":401,"msg":"account or password is incorrect"}`)
		case "/standard":
			fmt.Fprint(w, `{"code":402,"msg":"token has expired"}`) // response.http_status: standard
		case "/openapi.yaml":
			fmt.Fprint(w, "openapi: 3.0.3\n")
		case "/ok":
			fmt.Fprint(w, `{"code":200,"msg":"success","data":{}}`)
		default:
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		method, path, status, err string
	}{
		{"POST", "/blogapi/login", "HTTP 401 Unauthorized\n", "the server answered code 401 (HTTP 401): account or password is incorrect"},
		{"GET", "/standard", "HTTP 200 OK\n", "the server answered code 402 (HTTP 200): token has expired"},
		{"GET", "/proxy", "HTTP 502 Bad Gateway\n", "the server answered HTTP 502"},
		{"GET", "/openapi.yaml", "HTTP 200 OK\n", ""},
		{"GET", "/ok", "HTTP 200 OK\n", ""},
	} {
		var out, errOut bytes.Buffer
		err := run([]string{"-do", "-url", srv.URL, tc.method, tc.path}, &out, &errOut, time.Now)
		var refused *refusedError
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: error %v", tc.path, err)
		case tc.err != "" && (!errors.As(err, &refused) || err.Error() != tc.err):
			t.Errorf("%s: error %v, want a refusal %q", tc.path, err, tc.err)
		}
		if errOut.String() != tc.status {
			t.Errorf("%s: stderr %q, want %q", tc.path, errOut.String(), tc.status)
		}
		if out.Len() == 0 {
			t.Errorf("%s: the body was not printed", tc.path)
		}
	}
}

// TestMultipart: -file sends a multipart body whose text fields are the
// pairs (signed, as the server reads them) and whose file part is the
// file; the curl line uploads the same with curl's own body.
func TestMultipart(t *testing.T) {
	const secret = "cli-test-secret-0123456789"
	path := filepath.Join(t.TempDir(), "me.jpg")
	if err := os.WriteFile(path, []byte("\xff\xd8jpeg bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p, err := signing.Parse(r.URL.RawQuery, r.Header.Get("Content-Type"), body)
		if err != nil || r.URL.Query().Get("token") != p.Sign(secret) {
			http.Error(w, fmt.Sprintf("signature: %v", err), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		f, h, err := r.FormFile("file")
		if err != nil || r.FormValue("dir") != "avatar" || h.Filename != "me.jpg" {
			http.Error(w, fmt.Sprintf("form: %v dir %q", err, r.FormValue("dir")), http.StatusBadRequest)
			return
		}
		data, _ := io.ReadAll(f)
		fmt.Fprintf(w, "%s", data)
	}))
	defer srv.Close()
	var out bytes.Buffer
	err := run([]string{"-do", "-url", srv.URL, "-key", "k", "-secret", secret, "-file", "file=" + path, "POST", "/blogapi/upload", "dir=avatar"}, &out, io.Discard, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "\xff\xd8jpeg bytes\n" {
		t.Fatalf("server answered %q", out.String())
	}
	out.Reset()
	if err := run([]string{"-file", "file=" + path, "POST", "/blogapi/upload", "dir=avatar"}, &out, io.Discard, time.Now); err != nil {
		t.Fatal(err)
	}
	line := out.String()
	for _, want := range []string{"--form-string 'dir=avatar'", "-F 'file=@" + path + "'", "token="} {
		if !strings.Contains(line, want) {
			t.Errorf("curl line lacks %q: %s", want, line)
		}
	}
	if strings.Contains(line, "Content-Type") || strings.Contains(line, "--data-raw") {
		t.Errorf("curl line sets its own body or boundary: %s", line)
	}
	for _, args := range [][]string{
		{"-file", "file=" + path, "GET", "/x"},
		{"-file", "nopath", "POST", "/x"},
		{"-file", "file=/does/not/exist", "POST", "/x"},
		{"-file", "file=" + path, "-json", "{}", "POST", "/x"},
	} {
		if err := run(args, io.Discard, io.Discard, time.Now); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestJSONRefused: a -json body the server would refuse is refused before
// anything is printed or sent.
func TestJSONRefused(t *testing.T) {
	for body, want := range map[string]string{
		`[1]`:           "body must be a JSON object",
		`{"a":1,"a":2}`: `duplicate JSON member "a"`,
		`{"a":1,`:       "malformed JSON body",
	} {
		var out bytes.Buffer
		err := run([]string{"-json", body, "POST", "/blogapi/login"}, &out, io.Discard, time.Now)
		if err == nil || !strings.Contains(err.Error(), want) || out.Len() != 0 {
			t.Errorf("-json %s: error %v, output %q; want an error about %q and no output", body, err, out.String(), want)
		}
	}
}

// TestGet: -get prints only the member a dotted path names (strings as
// they are, other values as JSON, array members by index); a missing
// member is an error, a refusal still prints the whole answer, and -get
// without -do is a usage error.
func TestGet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/refused" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"code":403,"msg":"admin access required"}`)
			return
		}
		w.Header().Set("X-Captcha-Id", "cid")
		fmt.Fprint(w, `{"code":200,"msg":"success","data":{"token":"t.k.n","n":3,"items":[{"id":"a1"},{"id":"a2","tags":["go"]}]}}`)
	}))
	defer srv.Close()
	for _, tc := range []struct{ get, out, err string }{
		{"data.token", "t.k.n\n", ""},
		{"data.n", "3\n", ""},
		{"data.items.1.id", "a2\n", ""},
		{"data.items.1.tags", "[\"go\"]\n", ""},
		{"data.missing", "", `-get data.missing: the answer has no "missing"`},
		{"data.items.2.id", "", `-get data.items.2.id: "2" is not an index of an array of 2`},
		{"data.token.x", "", `-get data.token.x: "x" is inside a value that is neither an object nor an array`},
	} {
		var out bytes.Buffer
		err := run([]string{"-do", "-get", tc.get, "-url", srv.URL, "GET", "/ok"}, &out, io.Discard, time.Now)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("-get %s: error %v, want %q", tc.get, err, tc.err)
			}
			continue
		}
		if err != nil || out.String() != tc.out {
			t.Errorf("-get %s: %q %v, want %q", tc.get, out.String(), err, tc.out)
		}
	}
	var out bytes.Buffer
	err := run([]string{"-do", "-get", "data.token", "-url", srv.URL, "GET", "/refused"}, &out, io.Discard, time.Now)
	var refused *refusedError
	if !errors.As(err, &refused) || !strings.Contains(out.String(), "admin access required") {
		t.Errorf("a refusal with -get: %q %v, want the whole answer and a refusal", out.String(), err)
	}
	if err := run([]string{"-get", "data.token", "GET", "/ok"}, io.Discard, io.Discard, time.Now); err == nil || err.Error() != "-get needs -do" {
		t.Errorf("-get without -do: %v", err)
	}
}
