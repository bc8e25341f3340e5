// Command sign signs a blogapi request the way a client does (SPEC §3) and
// prints it as a curl command line, or sends it with -do.
//
//	go run ./clients/sign GET /blogapi/service/captcha width=150 height=50
//	go run ./clients/sign -do POST /blogapi/login account=test password=96e79218965eb72c92a549dd5a330112
//
// name=value pairs go to the query string for GET and DELETE and to a JSON
// object body (string members) otherwise; -json sends a literal JSON body
// instead. auth_key, timestamp (now, in ms) and token go to the query
// string. The default app is the example app of config.yaml.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/blogapi/blogapi/services/signing"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, time.Now); err != nil {
		fmt.Fprintln(os.Stderr, "sign:", err)
		os.Exit(2)
	}
}

// request is a signed request ready to send or print.
type request struct {
	method, url, contentType string
	body                     []byte
	headers                  [][2]string
}

func run(args []string, stdout io.Writer, now func() time.Time) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	base := fs.String("url", "http://localhost:8080", "server base URL")
	key := fs.String("key", "fwCWYMqmRINlRtMp", "auth_key of the app (default: config.yaml's EXAMPLE app)")
	secret := fs.String("secret", "G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh", "auth_secret of the app (default: config.yaml's EXAMPLE app)")
	rawJSON := fs.String("json", "", "literal JSON object body (instead of name=value members)")
	access := fs.String("access", "", "access token to send in the access-token header")
	do := fs.Bool("do", false, "send the request and print the response body instead of a curl line")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: sign [flags] METHOD PATH [name=value ...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		fs.Usage()
		return errors.New("METHOD and PATH are required")
	}
	req, err := build(strings.ToUpper(fs.Arg(0)), *base, fs.Arg(1), fs.Args()[2:], *rawJSON, *key, *secret, now())
	if err != nil {
		return err
	}
	if *access != "" {
		req.headers = append(req.headers, [2]string{"access-token", *access})
	}
	if *do {
		return send(req, stdout)
	}
	fmt.Fprintln(stdout, curl(req))
	return nil
}

// build places the pairs, adds auth_key and timestamp and signs.
func build(method, base, path string, pairs []string, rawJSON, key, secret string, now time.Time) (request, error) {
	q := url.Values{}
	members := map[string]string{}
	inQuery := method == http.MethodGet || method == http.MethodDelete || method == http.MethodHead
	for _, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return request{}, fmt.Errorf("%q is not name=value", p)
		}
		if inQuery {
			q.Add(name, value)
		} else {
			members[name] = value
		}
	}
	r := request{method: method}
	switch {
	case rawJSON != "":
		r.body, r.contentType = []byte(rawJSON), "application/json"
	case !inQuery:
		r.body, _ = json.Marshal(members)
		r.contentType = "application/json"
	}
	q.Set("auth_key", key)
	q.Set("timestamp", strconv.FormatInt(now.UnixMilli(), 10))
	params, err := signing.Parse(q.Encode(), r.contentType, r.body)
	if err != nil {
		return request{}, err
	}
	q.Set("token", params.Sign(secret))
	r.url = strings.TrimRight(base, "/") + path + "?" + q.Encode()
	if r.contentType != "" {
		r.headers = append(r.headers, [2]string{"Content-Type", r.contentType})
	}
	return r, nil
}

func send(r request, stdout io.Writer) error {
	req, err := http.NewRequest(r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	for _, h := range r.headers {
		req.Header.Set(h[0], h[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	for _, h := range []string{"X-Captcha-Id", "Retry-After"} {
		if v := resp.Header.Get(h); v != "" {
			fmt.Fprintf(stdout, "%s: %s\n", h, v)
		}
	}
	_, err = io.Copy(stdout, resp.Body)
	fmt.Fprintln(stdout)
	return err
}

// curl renders r as a POSIX shell command line.
func curl(r request) string {
	var b strings.Builder
	b.WriteString("curl -sS")
	if r.method != http.MethodGet {
		b.WriteString(" -X " + r.method)
	}
	for _, h := range r.headers {
		b.WriteString(" -H " + shellQuote(h[0]+": "+h[1]))
	}
	if r.body != nil {
		b.WriteString(" --data-raw " + shellQuote(string(r.body)))
	}
	b.WriteString(" " + shellQuote(r.url))
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
