// Package signing is the request signature of the API document (seed 004,
// "签名说明"): a request's parameters, their canonical string, the md5 token
// a client sends, and the server's checks of it. It imports only the
// standard library, so clients and the bench sign with the server's own
// code without linking the database.
package signing

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxParams is the most parameters Parse accepts in one request, query and
// body together: query pairs, form body pairs, the parts of a multipart
// body (file parts too, though they are not signed) and the top-level
// members of a JSON body. Parsing runs before any signature check, that is
// for anyone: past this the request is refused (ErrTooManyParams) instead
// of a parameter list as long as the body allows (a 1 MiB "a&a&…" form body
// has half a million). Real requests have a few dozen at most.
const MaxParams = 256

// MaxJSONDepth is the deepest nesting of objects and arrays Parse accepts
// in a JSON body, the body's own object counting as 1 (so {"a":[[1]]} is 3
// deep); deeper is ErrTooDeep, found before the rest of the body is read.
const MaxJSONDepth = 64

// JSONType is the type of a JSON member's value.
type JSONType uint8

// The JSON types; NotJSON marks a parameter of the query, a form body or a
// multipart body.
const (
	NotJSON JSONType = iota
	JSONString
	JSONNumber
	JSONBool
	JSONNull
	JSONObject
	JSONArray
)

// Param is one request parameter. Value is decoded: URL-decoded for the
// query and form bodies, the field's text for multipart, and for a JSON
// member its rendering in the canonical string (see Parse).
type Param struct {
	Name, Value string
	InBody      bool
	JSON        JSONType
}

// Params are the parameters of one request, built by Parse. A Params is
// not changed after Parse returns it, so it may be read concurrently.
type Params struct {
	// list is sorted by name, stably: a name's parameters keep their
	// order of appearance, the query's before the body's.
	list []Param
}

// Parse collects the parameters of a request: the pairs of rawQuery, then,
// by the media type of contentType, the pairs of an
// application/x-www-form-urlencoded body, the text fields of a
// multipart/form-data body (files are not parameters) or the top-level
// members of an application/json object body. Other media types
// contribute nothing; so does a JSON body that is empty or only
// whitespace. The query and form bodies are read as net/url.ParseQuery
// reads them ('&' separates, empty pairs are skipped, a pair without '='
// has the empty value), except that a ';' is refused.
//
// A JSON member renders as the README ("Signing a request by hand") says: a
// string decoded, null as "", a number as sent, true and false, an object
// or array as its text with the whitespace outside strings removed.
//
// The errors, in the order they are checked: ErrQuerySemicolon,
// ErrQueryEscape, ErrNotUTF8 or ErrTooManyParams for the query; then for
// the body ErrFormSemicolon, ErrFormEscape, ErrMultipartBoundary,
// ErrMultipart, ErrNotUTF8, ErrMalformedJSON, ErrNotObject, ErrTooDeep,
// ErrTooManyParams; last a *DuplicateMemberError.
func Parse(rawQuery, contentType string, body []byte) (*Params, error) {
	p := &Params{list: make([]Param, 0, 16)}
	if err := p.addPairs(rawQuery, false, ErrQuerySemicolon, ErrQueryEscape); err != nil {
		return nil, err
	}
	var err error
	switch mt := mediaType(contentType); {
	case strings.EqualFold(mt, "application/json"):
		err = p.addJSON(body)
	case strings.EqualFold(mt, "application/x-www-form-urlencoded"):
		err = p.addPairs(string(body), true, ErrFormSemicolon, ErrFormEscape)
	case strings.EqualFold(mt, "multipart/form-data"):
		err = p.addMultipart(contentType, body)
	}
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(p.list, func(a, b Param) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(p.list); i++ {
		a, b := &p.list[i-1], &p.list[i]
		if a.JSON != NotJSON && b.JSON != NotJSON && a.Name == b.Name {
			return nil, &DuplicateMemberError{Name: b.Name}
		}
	}
	return p, nil
}

// mediaType is contentType without its parameters. It is not
// mime.ParseMediaType: a media type with malformed parameters still names
// the body's format, and clients sign by it.
func mediaType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.TrimSpace(mt)
}

// add appends a parameter, or fails with ErrTooManyParams past MaxParams.
func (p *Params) add(prm Param) error {
	if len(p.list) >= MaxParams {
		return ErrTooManyParams
	}
	p.list = append(p.list, prm)
	return nil
}

// addPairs adds the pairs of the query string or a form body.
func (p *Params) addPairs(s string, inBody bool, errSemicolon, errEscape error) error {
	if strings.Contains(s, ";") {
		return errSemicolon
	}
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := unescape(rawName, errEscape)
		if err != nil {
			return err
		}
		value, err := unescape(rawValue, errEscape)
		if err != nil {
			return err
		}
		if err := p.add(Param{Name: name, Value: value, InBody: inBody}); err != nil {
			return err
		}
	}
	return nil
}

// unescape URL-decodes a name or value and checks the result is UTF-8.
func unescape(s string, errEscape error) (string, error) {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return "", errEscape
	}
	if !utf8.ValidString(u) {
		return "", ErrNotUTF8
	}
	return u, nil
}

// addMultipart adds the text fields of a multipart/form-data body: the
// parts with a form name and no file name, as multipart.Reader.ReadForm
// sees them. Every part counts against MaxParams, so the parts read are
// bounded in number as the body bounds them in size.
func (p *Params) addMultipart(contentType string, body []byte) error {
	_, mtParams, err := mime.ParseMediaType(contentType)
	if err != nil || mtParams["boundary"] == "" {
		return ErrMultipartBoundary
	}
	r := multipart.NewReader(bytes.NewReader(body), mtParams["boundary"])
	skipped := 0 // parts that are not text fields
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return ErrMultipart
		}
		if len(p.list)+skipped >= MaxParams {
			return ErrTooManyParams
		}
		name := part.FormName()
		if name == "" || part.FileName() != "" {
			skipped++
			continue
		}
		value, err := io.ReadAll(part)
		if err != nil {
			return ErrMultipart
		}
		if !utf8.ValidString(name) || !utf8.Valid(value) {
			return ErrNotUTF8
		}
		if err := p.add(Param{Name: name, Value: string(value), InBody: true}); err != nil {
			return err
		}
	}
}

// addJSON adds the top-level members of a JSON object body, read as
// encoding/json's token stream; numbers are kept as sent (UseNumber).
func (p *Params) addJSON(body []byte) error {
	// encoding/json accepts invalid UTF-8 (as U+FFFD); a signed value must
	// be the bytes that were sent.
	if !utf8.Valid(body) {
		return ErrNotUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err == io.EOF {
		return nil // empty or whitespace only
	}
	if err != nil {
		return ErrMalformedJSON
	}
	if tok != json.Delim('{') {
		if json.Valid(body) {
			return ErrNotObject
		}
		return ErrMalformedJSON
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ErrMalformedJSON
		}
		name, _ := tok.(string) // the decoder allows only a string here
		value, typ, err := jsonValue(dec, body)
		if err != nil {
			return err
		}
		if err := p.add(Param{Name: name, Value: value, InBody: true, JSON: typ}); err != nil {
			return err
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return ErrMalformedJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrMalformedJSON // anything after the object
	}
	return nil
}

// jsonValue reads a top-level member's value and renders it.
func jsonValue(dec *json.Decoder, body []byte) (string, JSONType, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", 0, ErrMalformedJSON
	}
	switch v := tok.(type) {
	case string:
		return v, JSONString, nil
	case json.Number:
		return string(v), JSONNumber, nil
	case bool:
		if v {
			return "true", JSONBool, nil
		}
		return "false", JSONBool, nil
	case nil:
		return "", JSONNull, nil
	}
	// An object or an array: its text, from its opening delimiter (the
	// byte before the offset) to the matching close, one level below the
	// body's object.
	typ := JSONArray
	if tok == json.Delim('{') {
		typ = JSONObject
	}
	start := dec.InputOffset() - 1
	for depth := 2; depth > 1; {
		tok, err := dec.Token()
		if err != nil {
			return "", 0, ErrMalformedJSON
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if depth++; depth > MaxJSONDepth {
				return "", 0, ErrTooDeep
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	raw := body[start:dec.InputOffset()]
	var b bytes.Buffer
	b.Grow(len(raw))
	if err := json.Compact(&b, raw); err != nil {
		return "", 0, ErrMalformedJSON // not reached: the tokens were valid
	}
	return b.String(), typ, nil
}

// find is the index of the first parameter named name (or where it would
// be) and whether there is one.
func (p *Params) find(name string) (int, bool) {
	return slices.BinarySearchFunc(p.list, name, func(prm Param, name string) int { return strings.Compare(prm.Name, name) })
}

// first is the value of the first parameter named name in order of
// appearance (the query's before the body's), as the signature check reads
// token, auth_key and timestamp.
func (p *Params) first(name string) (string, bool) {
	i, ok := p.find(name)
	if !ok {
		return "", false
	}
	return p.list[i].Value, true
}

// Lookup is the parameter a handler binds for name: the body's first of
// that name, else the query's first. The body comes first so that a body
// member called `token` (a password reset token, for one) is not shadowed by
// the signature's own `token` in the query.
func (p *Params) Lookup(name string) (Param, bool) {
	i, ok := p.find(name)
	if !ok {
		return Param{}, false
	}
	for j := i; j < len(p.list) && p.list[j].Name == name; j++ {
		if p.list[j].InBody {
			return p.list[j], true
		}
	}
	return p.list[i], true
}

// AppendCanonical appends the canonical string for secret to dst: the
// values of every parameter but `token` and `auth_key`, ordered by name
// (byte order; a name's values in order of appearance, the query's first),
// then secret (the API document, seed 004).
func (p *Params) AppendCanonical(dst []byte, secret string) []byte {
	for i := range p.list {
		prm := &p.list[i]
		if prm.Name != "token" && prm.Name != "auth_key" {
			dst = append(dst, prm.Value...)
		}
	}
	return append(dst, secret...)
}

// Sign returns the token for secret: md5 of the canonical string, 32
// lowercase hex characters. Clients and tests sign with it; the server
// checks with Signer.Verify.
func (p *Params) Sign(secret string) string {
	var buf [256]byte
	sum := md5.Sum(p.AppendCanonical(buf[:0], secret))
	return hex.EncodeToString(sum[:])
}

type paramsKey struct{}

// NewContext returns ctx carrying p, the parameters the signature check
// parsed, for the handlers to bind from.
func NewContext(ctx context.Context, p *Params) context.Context {
	return context.WithValue(ctx, paramsKey{}, p)
}

// FromContext returns the parameters NewContext put in ctx.
func FromContext(ctx context.Context) (*Params, bool) {
	p, ok := ctx.Value(paramsKey{}).(*Params)
	return p, ok
}
