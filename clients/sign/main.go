// Command sign signs a blogapi request the way a client does (docs/signing.md) and
// prints it as a curl command line, or sends it with -do.
//
//	go run ./clients/sign GET /blogapi/service/captcha width=150 height=50
//	go run ./clients/sign -do POST /blogapi/login account=test password=96e79218965eb72c92a549dd5a330112
//
// name=value pairs go to the query string for GET and DELETE and to a JSON
// object body (string members) otherwise; -json sends a literal JSON body
// instead. -file name=path (repeatable) sends a multipart/form-data body
// instead: the pairs are its text fields (signed), the files its file parts
// (not signed), as an upload does:
//
//	go run ./clients/sign -do -access TOKEN -file file=me.jpg POST /blogapi/upload dir=avatar
//
// -get PATH (with -do) prints only one member of the answer instead of the
// whole body, for scripts: a dotted path into the JSON, array members by
// index; a string is printed as it is, anything else as JSON:
//
//	token=$(go run ./clients/sign -do -get data.token POST /blogapi/login account=test password=…)
//
// auth_key, timestamp (now, in ms) and token go to the query
// string. The default app is the example app of config.yaml.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blogapi/blogapi/services/signing"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr, time.Now); err != nil {
		fmt.Fprintln(os.Stderr, "sign:", err)
		var refused *refusedError
		if errors.As(err, &refused) {
			os.Exit(1)
		}
		os.Exit(2)
	}
}

// refusedError is an answer other than success: an envelope whose code is
// not 200, or a non-envelope body with an HTTP status outside 2xx. main
// exits 1 for it (2 for a usage or network error), so that a script's
// `login=$(go run ./clients/sign -do …)` can stop on it.
type refusedError struct {
	status int
	code   int // the envelope's; 0 when the body is no envelope
	msg    string
}

func (e *refusedError) Error() string {
	if e.code == 0 {
		return fmt.Sprintf("the server answered HTTP %d", e.status)
	}
	return fmt.Sprintf("the server answered code %d (HTTP %d): %s", e.code, e.status, e.msg)
}

// request is a signed request ready to send or print.
type request struct {
	method, url, contentType string
	body                     []byte
	headers                  [][2]string
	// fields and files are the text fields and the file parts (name,
	// path) of a multipart body, for the curl line.
	fields, files [][2]string
}

// fileFlags collects the -file name=path flags.
type fileFlags []string

func (f *fileFlags) String() string { return strings.Join(*f, ",") }
func (f *fileFlags) Set(v string) error {
	*f = append(*f, v)
	return nil
}

// run builds the request args describe and prints it as a curl line, or
// with -do sends it: the body goes to stdout, the HTTP status to stderr,
// and an answer other than success is a *refusedError.
func run(args []string, stdout, stderr io.Writer, now func() time.Time) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	base := fs.String("url", "http://localhost:8080", "server base URL")
	key := fs.String("key", "fwCWYMqmRINlRtMp", "auth_key of the app (default: config.yaml's EXAMPLE app)")
	secret := fs.String("secret", "G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh", "auth_secret of the app (default: config.yaml's EXAMPLE app)")
	rawJSON := fs.String("json", "", "literal JSON object body (instead of name=value members)")
	access := fs.String("access", "", "access token to send in the access-token header")
	do := fs.Bool("do", false, "send the request and print the response body instead of a curl line")
	get := fs.String("get", "", "with -do: print only this member of the JSON answer (a dotted path such as data.token or data.items.0.id)")
	var files fileFlags
	fs.Var(&files, "file", "name=path: send a multipart/form-data body with this file part (repeatable); the pairs become its text fields")
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
	if *get != "" && !*do {
		return errors.New("-get needs -do")
	}
	req, err := build(strings.ToUpper(fs.Arg(0)), *base, fs.Arg(1), fs.Args()[2:], *rawJSON, files, *key, *secret, now())
	if err != nil {
		return err
	}
	if *access != "" {
		req.headers = append(req.headers, [2]string{"access-token", *access})
	}
	if *do {
		return send(req, *get, stdout, stderr)
	}
	fmt.Fprintln(stdout, curl(req))
	return nil
}

// build places the pairs, adds auth_key and timestamp and signs.
func build(method, base, path string, pairs []string, rawJSON string, files []string, key, secret string, now time.Time) (request, error) {
	q := url.Values{}
	members := map[string]string{}
	inQuery := method == http.MethodGet || method == http.MethodDelete || method == http.MethodHead
	if len(files) > 0 && (inQuery || rawJSON != "") {
		return request{}, errors.New("-file needs a method with a body (POST, PUT, PATCH) and no -json")
	}
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
	case len(files) > 0:
		if err := r.multipart(members, files); err != nil {
			return request{}, err
		}
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

// multipart makes r's body a multipart/form-data body of the text fields
// members (sorted by name) and the files, each "name=path".
func (r *request) multipart(members map[string]string, files []string) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if err := w.WriteField(name, members[name]); err != nil {
			return err
		}
		r.fields = append(r.fields, [2]string{name, members[name]})
	}
	for _, f := range files {
		name, path, ok := strings.Cut(f, "=")
		if !ok || name == "" || path == "" {
			return fmt.Errorf("-file %q is not name=path", f)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		part, err := w.CreateFormFile(name, filepath.Base(path))
		if err != nil {
			return err
		}
		if _, err := part.Write(data); err != nil {
			return err
		}
		r.files = append(r.files, [2]string{name, path})
	}
	if err := w.Close(); err != nil {
		return err
	}
	r.body, r.contentType = buf.Bytes(), w.FormDataContentType()
	return nil
}

// send sends r. It prints the HTTP status to stderr and the answer to
// stdout: the X-Captcha-Id and Retry-After headers and the body, or with a
// non-empty get only that member of the body (see pick).
func send(r request, get string, stdout, stderr io.Writer) error {
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
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "HTTP %s\n", resp.Status)
	if err := refusal(resp.StatusCode, body); err != nil || get == "" {
		for _, h := range []string{"X-Captcha-Id", "Retry-After"} {
			if v := resp.Header.Get(h); v != "" {
				fmt.Fprintf(stdout, "%s: %s\n", h, v)
			}
		}
		if _, werr := fmt.Fprintf(stdout, "%s\n", body); werr != nil {
			return werr
		}
		return err
	}
	v, err := pick(body, get)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, v)
	return err
}

// refusal is the *refusedError of an answer other than success: an
// envelope whose code is not 200, or a body that is no envelope with an
// HTTP status outside 2xx; nil for a success.
func refusal(status int, body []byte) error {
	var env struct {
		Code *int   `json:"code"`
		Msg  string `json:"msg"`
	}
	switch {
	case json.Unmarshal(body, &env) == nil && env.Code != nil:
		if *env.Code != http.StatusOK {
			return &refusedError{status: status, code: *env.Code, msg: env.Msg}
		}
	case status < 200 || status > 299:
		return &refusedError{status: status}
	}
	return nil
}

// pick is the member of the JSON body at path (dot-separated object
// member names; a number indexes an array): a string as it is, any other
// value as compact JSON. A path the body does not have is an error.
func pick(body []byte, path string) (string, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("-get %s: the answer is not JSON", path)
	}
	for _, name := range strings.Split(path, ".") {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[name]
			if !ok {
				return "", fmt.Errorf("-get %s: the answer has no %q", path, name)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(name)
			if err != nil || i < 0 || i >= len(node) {
				return "", fmt.Errorf("-get %s: %q is not an index of an array of %d", path, name, len(node))
			}
			v = node[i]
		default:
			return "", fmt.Errorf("-get %s: %q is inside a value that is neither an object nor an array", path, name)
		}
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	out, err := json.Marshal(v)
	return string(out), err
}

// curl renders r as a POSIX shell command line.
func curl(r request) string {
	var b strings.Builder
	b.WriteString("curl -sS")
	if r.method != http.MethodGet {
		b.WriteString(" -X " + r.method)
	}
	for _, h := range r.headers {
		// curl writes the multipart body, with a boundary of its own: only
		// the text fields are signed, so the token holds.
		if len(r.files) > 0 && h[0] == "Content-Type" {
			continue
		}
		b.WriteString(" -H " + shellQuote(h[0]+": "+h[1]))
	}
	switch {
	case len(r.files) > 0:
		for _, f := range r.fields {
			b.WriteString(" --form-string " + shellQuote(f[0]+"="+f[1]))
		}
		for _, f := range r.files {
			b.WriteString(" -F " + shellQuote(f[0]+"=@"+f[1]))
		}
	case r.body != nil:
		b.WriteString(" --data-raw " + shellQuote(string(r.body)))
	}
	b.WriteString(" " + shellQuote(r.url))
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
