package services

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
)

// SignApp is one entry of sign.apps (SPEC §3, §9): a calling app, the
// auth_key it sends and the auth_secret its signatures are made with.
type SignApp struct{ Name, Key, Secret string }

// ReplayStore records accepted (auth_key, token) pairs (SPEC §3). Record
// returns models.ErrDuplicate when key is already recorded and its record
// has not expired; any other error means the store could not answer.
type ReplayStore interface {
	Record(ctx context.Context, key string, expiresAt time.Time) error
}

// Replay modes of sign.replay (SPEC §3).
const (
	ReplayAll      = "all"      // every method is replay-checked
	ReplayMutating = "mutating" // POST, PUT, PATCH and DELETE only (default)
	ReplayOff      = "off"      // no replay check
)

// DefaultMaxSkew is sign.max_skew when none is configured (SPEC §3).
const DefaultMaxSkew = 5 * time.Minute

// SignerConfig configures a Signer.
type SignerConfig struct {
	// Apps are the known apps; the first app of a repeated Key wins.
	Apps []SignApp
	// MaxSkew is the largest allowed |now − timestamp|; zero means DefaultMaxSkew.
	MaxSkew time.Duration
	// Replay is ReplayAll, ReplayMutating or ReplayOff; anything else
	// (including "") means ReplayMutating.
	Replay string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Signer verifies the legacy md5 request signature (SPEC §3). It is safe
// for concurrent use.
type Signer struct {
	apps    map[string]SignApp
	maxSkew time.Duration
	replay  string
	now     func() time.Time
	store   ReplayStore
}

// NewSigner returns a Signer for cfg. replay may be nil only when
// cfg.Replay is ReplayOff; NewSigner panics otherwise, as that is a wiring
// mistake.
func NewSigner(cfg SignerConfig, replay ReplayStore) *Signer {
	s := &Signer{
		apps:    make(map[string]SignApp, len(cfg.Apps)),
		maxSkew: cfg.MaxSkew,
		replay:  cfg.Replay,
		now:     cfg.Now,
		store:   replay,
	}
	for _, a := range cfg.Apps {
		if _, ok := s.apps[a.Key]; !ok {
			s.apps[a.Key] = a
		}
	}
	if s.maxSkew <= 0 {
		s.maxSkew = DefaultMaxSkew
	}
	if s.replay != ReplayAll && s.replay != ReplayOff {
		s.replay = ReplayMutating
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.replay != ReplayOff && replay == nil {
		panic("services.NewSigner: a ReplayStore is required unless sign.replay is off")
	}
	return s
}

// Verify checks the signature parameters p of a request with the given HTTP
// method, in the order of SPEC §3, and returns the calling app:
//
//   - `token` missing or empty → 511;
//   - `auth_key` missing, empty or unknown → 512;
//   - `timestamp` (ms since the Unix epoch) missing or not a decimal integer → 400;
//   - |now − timestamp| > MaxSkew → 513;
//   - token ≠ md5(canonical), compared in constant time (upper- or
//     lowercase hex; anything but 32 hex characters fails) → 514;
//   - for the methods the replay mode covers, the pair (auth_key, token)
//     already accepted within 2×MaxSkew → 201. A store failure is a 503 with
//     the store's error as Cause.
//
// A parameter that occurs several times is read at its first occurrence.
// Every error is a *models.AppError.
func (s *Signer) Verify(ctx context.Context, method string, p *SignParams) (SignApp, error) {
	token, ok := p.Get("token")
	if !ok || token == "" {
		return SignApp{}, models.NewError(models.CodeSignMissing, "signature token is missing")
	}
	key, ok := p.Get("auth_key")
	if !ok || key == "" {
		return SignApp{}, models.NewError(models.CodeAuthKey, "auth_key is missing")
	}
	app, ok := s.apps[key]
	if !ok {
		return SignApp{}, models.NewError(models.CodeAuthKey, "auth_key is unknown")
	}
	tsText, ok := p.Get("timestamp")
	if !ok || tsText == "" {
		return SignApp{}, models.FieldErr("timestamp", "timestamp is missing")
	}
	ts, ok := parseTimestamp(tsText)
	if !ok {
		return SignApp{}, models.FieldErr("timestamp", "timestamp must be an integer (ms since the Unix epoch)")
	}
	now := s.now()
	nowMs, skewMs := now.UnixMilli(), s.maxSkew.Milliseconds()
	if ts < nowMs-skewMs || ts > nowMs+skewMs {
		return SignApp{}, models.NewError(models.CodeSignExpired, "signature has expired: timestamp is outside the allowed window")
	}

	var got [md5.Size]byte
	validHex := decodeHex16(&got, token)
	var buf [512]byte
	sum := md5.Sum(p.AppendCanonical(buf[:0], app.Secret))
	// The comparison runs whatever the token's shape, so its timing says
	// nothing about the expected token.
	if subtle.ConstantTimeCompare(sum[:], got[:])&validHex != 1 {
		return SignApp{}, models.NewError(models.CodeSignInvalid, "signature verification failed")
	}

	if s.replayChecked(method) {
		var hexSum [2 * md5.Size]byte
		hex.Encode(hexSum[:], sum[:])
		err := s.store.Record(ctx, key+":"+string(hexSum[:]), now.Add(2*s.maxSkew))
		if errors.Is(err, models.ErrDuplicate) {
			return SignApp{}, models.NewError(models.CodeDuplicate, "duplicate submission")
		}
		if err != nil {
			return SignApp{}, &models.AppError{Code: models.CodeUnavailable, Msg: "database unavailable", Cause: err}
		}
	}
	return app, nil
}

func (s *Signer) replayChecked(method string) bool {
	switch s.replay {
	case ReplayAll:
		return true
	case ReplayOff:
		return false
	}
	switch method {
	case "POST", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}

// parseTimestamp accepts an optional '-' and decimal digits that fit int64.
func parseTimestamp(s string) (int64, bool) {
	if s[0] == '+' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// decodeHex16 decodes 32 hex digits of either case into dst and returns 1,
// or returns 0 for anything else.
func decodeHex16(dst *[md5.Size]byte, s string) int {
	if len(s) != 2*md5.Size {
		return 0
	}
	ok := 1
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		ok &= ok1 & ok2
		dst[i] = hi<<4 | lo
	}
	return ok
}

func fromHex(c byte) (byte, int) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', 1
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, 1
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, 1
	}
	return 0, 0
}

// SignParams are the parameters of one request (SPEC §3): query pairs, then
// body parameters, kept sorted by name in byte order with a name's values in
// order of appearance (query before body). Build it with ParseSignParams.
type SignParams struct {
	list   []signParam
	inline [12]signParam
}

type signParam struct {
	name, value string
	json        bool // a top-level member of a JSON body
}

// Parameter sources, for error messages.
const (
	srcQuery = "query string"
	srcForm  = "form body"
)

// ParseSignParams collects the signed parameters of a request (SPEC §3):
// the pairs of rawQuery (URL-decoded), then, by the media type of
// contentType, the pairs of an application/x-www-form-urlencoded body, the
// text fields of a multipart/form-data body (files are not signed), or the
// top-level members of an application/json object body. Other media types
// contribute nothing. A JSON body that is empty or only whitespace
// contributes nothing either.
//
// JSON values render as SPEC §3 says: strings decoded, null as "", numbers,
// true/false, objects and arrays as their literal text with the whitespace
// outside strings removed.
//
// Errors are *models.AppError 400: a malformed query string or form body,
// a malformed multipart body, "request is not valid UTF-8", "malformed JSON
// body", "body must be a JSON object", `duplicate JSON member "x"`.
func ParseSignParams(rawQuery, contentType string, body []byte) (*SignParams, error) {
	p := &SignParams{}
	p.list = p.inline[:0]
	if err := p.addPairs(rawQuery, srcQuery); err != nil {
		return nil, err
	}
	mt := contentType
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.TrimSpace(mt)
	switch {
	case strings.EqualFold(mt, "application/json"):
		if err := p.addJSON(body); err != nil {
			return nil, err
		}
	case strings.EqualFold(mt, "application/x-www-form-urlencoded"):
		if err := p.addPairs(string(body), srcForm); err != nil {
			return nil, err
		}
	case strings.EqualFold(mt, "multipart/form-data"):
		if err := p.addMultipart(contentType, body); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(p.list, func(a, b signParam) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(p.list); i++ {
		a, b := &p.list[i-1], &p.list[i]
		if a.json && b.json && a.name == b.name {
			return nil, badRequest("duplicate JSON member " + quoteName(b.name))
		}
	}
	return p, nil
}

// Get returns the first value of the parameter name, or "", false when the
// request has none.
func (p *SignParams) Get(name string) (string, bool) {
	i, ok := slices.BinarySearchFunc(p.list, name, func(e signParam, t string) int { return strings.Compare(e.name, t) })
	if !ok {
		return "", false
	}
	return p.list[i].value, true
}

// AppendCanonical appends the canonical string of SPEC §3 for secret to dst:
// the values of every parameter except `token` and `auth_key`, in name
// order, then secret.
func (p *SignParams) AppendCanonical(dst []byte, secret string) []byte {
	for i := range p.list {
		e := &p.list[i]
		if e.name == "token" || e.name == "auth_key" {
			continue
		}
		dst = append(dst, e.value...)
	}
	return append(dst, secret...)
}

// Sign returns the signature token for secret: md5 of the canonical string,
// 32 lowercase hex characters (SPEC §3). Clients and tests use it; the
// server verifies with Signer.Verify.
func (p *SignParams) Sign(secret string) string {
	var buf [512]byte
	sum := md5.Sum(p.AppendCanonical(buf[:0], secret))
	return hex.EncodeToString(sum[:])
}

func (p *SignParams) add(name, value string, fromJSON bool) {
	p.list = append(p.list, signParam{name: name, value: value, json: fromJSON})
}

func badRequest(msg string) *models.AppError { return models.NewError(models.CodeBadRequest, msg) }

func errNotUTF8() *models.AppError { return badRequest("request is not valid UTF-8") }

func errMalformedJSON() *models.AppError { return badRequest("malformed JSON body") }

// quoteName quotes a member name for an error message, cut to 64 bytes.
func quoteName(name string) string {
	if len(name) > 64 {
		cut := 64
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + "…"
	}
	return strconv.Quote(name)
}

// addPairs adds the pairs of a query string or urlencoded body, parsed as
// net/url.ParseQuery does (so a handler sees the same pairs): '&'
// separates, ';' is an error, empty pairs are skipped, a pair without '='
// has the empty value.
func (p *SignParams) addPairs(s, src string) error {
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		if strings.IndexByte(pair, ';') >= 0 {
			return badRequest("malformed " + src + ": ';' is not a separator")
		}
		name, value, _ := strings.Cut(pair, "=")
		name, ok1 := queryUnescape(name)
		value, ok2 := queryUnescape(value)
		if !ok1 || !ok2 {
			return badRequest("malformed " + src + ": invalid percent-encoding")
		}
		if !utf8.ValidString(name) || !utf8.ValidString(value) {
			return errNotUTF8()
		}
		p.add(name, value, false)
	}
	return nil
}

func queryUnescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}

// addMultipart adds the text fields of a multipart/form-data body: parts
// with a form name and no file name, as multipart.Reader.ReadForm and so
// gin's binding see them.
func (p *SignParams) addMultipart(contentType string, body []byte) error {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil || params["boundary"] == "" {
		return badRequest("malformed multipart body: Content-Type has no boundary")
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var sb strings.Builder
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badRequest("malformed multipart body")
		}
		name := part.FormName()
		if name == "" || part.FileName() != "" {
			continue
		}
		sb.Reset()
		if _, err := io.Copy(&sb, part); err != nil {
			return badRequest("malformed multipart body")
		}
		value := sb.String()
		if !utf8.ValidString(name) || !utf8.ValidString(value) {
			return errNotUTF8()
		}
		p.add(name, value, false)
	}
}

// addJSON adds the top-level members of a JSON object body. Top-level
// strings are decoded here; nested objects and arrays are delimited here
// and validated with json.Valid, so the body as a whole is valid JSON when
// this returns nil.
func (p *SignParams) addJSON(b []byte) error {
	if !utf8.Valid(b) {
		return errNotUTF8()
	}
	s := string(b)
	i := skipWS(s, 0)
	if i == len(s) {
		return nil
	}
	if s[i] != '{' {
		if json.Valid(b) {
			return badRequest("body must be a JSON object")
		}
		return errMalformedJSON()
	}
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		i++
	} else {
		for {
			if i >= len(s) || s[i] != '"' {
				return errMalformedJSON()
			}
			name, j, ok := scanString(s, i)
			if !ok {
				return errMalformedJSON()
			}
			i = skipWS(s, j)
			if i >= len(s) || s[i] != ':' {
				return errMalformedJSON()
			}
			i = skipWS(s, i+1)
			value, j, ok := scanValue(s, b, i)
			if !ok {
				return errMalformedJSON()
			}
			p.add(name, value, true)
			i = skipWS(s, j)
			if i >= len(s) {
				return errMalformedJSON()
			}
			if s[i] == ',' {
				i = skipWS(s, i+1)
				continue
			}
			if s[i] != '}' {
				return errMalformedJSON()
			}
			i++
			break
		}
	}
	if skipWS(s, i) != len(s) {
		return errMalformedJSON()
	}
	return nil
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(s string, i int) int {
	for i < len(s) && isWS(s[i]) {
		i++
	}
	return i
}

// scanValue reads the JSON value at s[i] (b is the same bytes) and returns
// its rendering for the canonical string and the index after it.
func scanValue(s string, b []byte, i int) (string, int, bool) {
	if i >= len(s) {
		return "", i, false
	}
	switch c := s[i]; {
	case c == '"':
		return scanString(s, i)
	case c == 'n':
		return "", i + 4, strings.HasPrefix(s[i:], "null")
	case c == 't':
		return "true", i + 4, strings.HasPrefix(s[i:], "true")
	case c == 'f':
		return "false", i + 5, strings.HasPrefix(s[i:], "false")
	case c == '-' || ('0' <= c && c <= '9'):
		j, ok := scanNumber(s, i)
		return s[i:j], j, ok
	case c == '{' || c == '[':
		return scanComposite(s, b, i)
	}
	return "", i, false
}

// scanString reads the string whose opening quote is s[i] and returns its
// decoded value and the index after the closing quote.
func scanString(s string, i int) (string, int, bool) {
	escaped := false
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			if !escaped {
				return s[i+1 : j], j + 1, true
			}
			v, ok := unescape(s[i+1 : j])
			return v, j + 1, ok
		case c == '\\':
			escaped = true
			j++ // the escaped byte; unescape validates it
		case c < 0x20:
			return "", j, false
		}
	}
	return "", len(s), false
}

// unescape decodes the body of a JSON string that has escapes, as
// encoding/json does (a lone surrogate becomes U+FFFD).
func unescape(raw string) (string, bool) {
	buf := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			return "", false
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			buf = append(buf, raw[i+1])
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(raw, i+2)
			if !ok {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2, _ := hex4(raw, i+2)
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						buf = utf8.AppendRune(buf, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return string(buf), true
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		v, ok := fromHex(c)
		if ok == 0 {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// scanNumber reads a JSON number at s[i] and returns the index after it.
func scanNumber(s string, i int) (int, bool) {
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = skipDigits(s, i)
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		j := skipDigits(s, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := skipDigits(s, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func skipDigits(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// scanComposite delimits the object or array at s[i] by bracket depth
// (outside strings), validates it with json.Valid and returns it with the
// whitespace outside strings removed.
func scanComposite(s string, b []byte, i int) (string, int, bool) {
	depth, hasWS, inString := 0, false, false
	for j := i; j < len(s); j++ {
		c := s[j]
		if inString {
			switch c {
			case '\\':
				j++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				end := j + 1
				if !json.Valid(b[i:end]) {
					return "", end, false
				}
				if !hasWS {
					return s[i:end], end, true
				}
				return compact(s[i:end]), end, true
			}
		case ' ', '\t', '\n', '\r':
			hasWS = true
		}
	}
	return "", len(s), false
}

// compact drops the whitespace outside strings of valid JSON text,
// keeping everything else (escapes included) as it is.
func compact(s string) string {
	out := make([]byte, 0, len(s))
	inString := false
	for j := 0; j < len(s); j++ {
		c := s[j]
		if inString {
			out = append(out, c)
			switch c {
			case '\\':
				j++
				out = append(out, s[j])
			case '"':
				inString = false
			}
			continue
		}
		if isWS(c) {
			continue
		}
		if c == '"' {
			inString = true
		}
		out = append(out, c)
	}
	return string(out)
}
