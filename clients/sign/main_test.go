package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSignVectorSeed: the CLI's query signing reproduces the API
// document's worked example.
func TestSignVectorSeed(t *testing.T) {
	now := time.UnixMilli(1529379565395)
	r, err := build("GET", "http://h", "/blogapi/anything", []string{"type=login", "mobile=18701086068"}, "",
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
		r, err := build("POST", "http://h", "/blogapi/reg", nil, v.Body, "fwCWYMqmRINlRtMp", v.Secret, ts)
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
	err := run([]string{"-access", "abc", "POST", "/blogapi/login", "account=o'neil", "password=x"}, &out, func() time.Time { return time.UnixMilli(1700000000000) })
	if err != nil {
		t.Fatal(err)
	}
	line := out.String()
	for _, want := range []string{"curl -sS -X POST", "-H 'access-token: abc'", "-H 'Content-Type: application/json'", `"account":"o'\''neil"`, "timestamp=1700000000000", "token="} {
		if !strings.Contains(line, want) {
			t.Errorf("curl line lacks %q: %s", want, line)
		}
	}
	if err := run([]string{"GET"}, &out, time.Now); err == nil {
		t.Error("missing PATH accepted")
	}
	if err := run([]string{"GET", "/x", "novalue"}, &out, time.Now); err == nil {
		t.Error("pair without = accepted")
	}
}
