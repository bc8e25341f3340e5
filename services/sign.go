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
	"math/bits"
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
	token, ok := p.getFirst(firstToken)
	if !ok || token == "" {
		return SignApp{}, models.NewError(models.CodeSignMissing, "signature token is missing")
	}
	key, ok := p.getFirst(firstAuthKey)
	if !ok || key == "" {
		return SignApp{}, models.NewError(models.CodeAuthKey, "auth_key is missing")
	}
	app, ok := s.apps[key]
	if !ok {
		return SignApp{}, models.NewError(models.CodeAuthKey, "auth_key is unknown")
	}
	tsText, ok := p.getFirst(firstTimestamp)
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
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 || n > (1<<63-1)/10 {
			return 0, false
		}
		n = n*10 + uint64(d)
	}
	switch {
	case !neg && n <= 1<<63-1:
		return int64(n), true
	case neg && n <= 1<<63:
		return -int64(n), true
	}
	return 0, false
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
	// Names and values are spans of the query string, of the body, or of
	// arena for those that had to be decoded; the list holds no pointers,
	// so filling and sorting it costs no GC write barriers.
	src   [4]string // by span.in: the query, the body, the arena's text
	arena strings.Builder
	list  []signParam
	// first is the first value of token, auth_key and timestamp, which
	// Verify reads without searching.
	first  [3]span
	has    [3]bool
	inline [12]signParam
}

// Where a span points.
const (
	inQuery uint8 = iota
	inBody
	inArena
)

type span struct {
	off, n uint32
	in     uint8
}

type signParam struct {
	name, value span
	json        bool // a top-level member of a JSON body
	unsigned    bool // token or auth_key: not part of the canonical string
}

// Indexes of SignParams.first.
const (
	firstToken = iota
	firstAuthKey
	firstTimestamp
)

// maxInput keeps offsets within span's uint32 (bodies are bounded far
// lower by server.max_body_bytes).
const maxInput = 1 << 30

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
	if len(rawQuery) > maxInput || len(body) > maxInput {
		return nil, badRequest("request is too large to verify")
	}
	p := &SignParams{}
	p.src[inQuery] = rawQuery
	p.list = p.inline[:0]
	if err := p.addPairs(inQuery, "query string"); err != nil {
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
		p.setBody(body)
		if err := p.addPairs(inBody, "form body"); err != nil {
			return nil, err
		}
	case strings.EqualFold(mt, "multipart/form-data"):
		if err := p.addMultipart(contentType, body); err != nil {
			return nil, err
		}
	}
	p.sort()
	for i := 1; i < len(p.list); i++ {
		a, b := &p.list[i-1], &p.list[i]
		if a.json && b.json && p.text(a.name) == p.text(b.name) {
			return nil, badRequest("duplicate JSON member " + quoteName(p.text(b.name)))
		}
	}
	return p, nil
}

// text is the string a span points to.
func (p *SignParams) text(s span) string { return p.src[s.in&3][s.off : s.off+s.n] }

// setBody makes body the text of inBody spans.
func (p *SignParams) setBody(body []byte) { p.src[inBody] = string(body) }

// arenaSpan is the span of what was written to the arena since off.
func (p *SignParams) arenaSpan(off int) span {
	p.src[inArena] = p.arena.String()
	return span{off: uint32(off), n: uint32(p.arena.Len() - off), in: inArena}
}

// nameLess orders names by byte, deciding most pairs on the first byte
// without a call.
func nameLess(a, b string) bool {
	if len(a) > 0 && len(b) > 0 && a[0] != b[0] {
		return a[0] < b[0]
	}
	return a < b
}

// sort orders the parameters by name, stably: insertion sort for the
// usual handful, with the names looked up once; merge sort past it.
func (p *SignParams) sort() {
	l := p.list
	const small = 16
	if len(l) > small {
		slices.SortStableFunc(l, func(a, b signParam) int { return strings.Compare(p.text(a.name), p.text(b.name)) })
		return
	}
	var names [small]string
	for i := range l {
		names[i] = p.text(l[i].name)
	}
	for i := 1; i < len(l); i++ {
		x, xn := l[i], names[i]
		j := i
		for ; j > 0 && nameLess(xn, names[j-1]); j-- {
			l[j], names[j] = l[j-1], names[j-1]
		}
		l[j], names[j] = x, xn
	}
}

// Get returns the first value of the parameter name, or "", false when the
// request has none.
func (p *SignParams) Get(name string) (string, bool) {
	lo, hi := 0, len(p.list)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p.text(p.list[m].name) < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(p.list) && p.text(p.list[lo].name) == name {
		return p.text(p.list[lo].value), true
	}
	return "", false
}

// getFirst is Get for token, auth_key and timestamp.
func (p *SignParams) getFirst(k int) (string, bool) {
	if !p.has[k] {
		return "", false
	}
	return p.text(p.first[k]), true
}

// AppendCanonical appends the canonical string of SPEC §3 for secret to dst:
// the values of every parameter except `token` and `auth_key`, in name
// order, then secret.
func (p *SignParams) AppendCanonical(dst []byte, secret string) []byte {
	for i := range p.list {
		if e := &p.list[i]; !e.unsigned {
			dst = append(dst, p.text(e.value)...)
		}
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

func (p *SignParams) add(name, value span, fromJSON bool) {
	k := -1
	switch p.text(name) {
	case "token":
		k = firstToken
	case "auth_key":
		k = firstAuthKey
	case "timestamp":
		k = firstTimestamp
	}
	if k >= 0 && !p.has[k] {
		p.first[k], p.has[k] = value, true
	}
	p.list = append(p.list, signParam{name: name, value: value, json: fromJSON, unsigned: k == firstToken || k == firstAuthKey})
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

// pairSpecial has bit c set for the bytes c < 64 that addPairs looks at.
const pairSpecial = 1<<'&' | 1<<'=' | 1<<';' | 1<<'%' | 1<<'+'

// addPairs adds the pairs of the query string or the urlencoded body,
// parsed as net/url.ParseQuery does (so a handler sees the same pairs):
// '&' separates, ';' is an error, empty pairs are skipped, a pair without
// '=' has the empty value.
func (p *SignParams) addPairs(in uint8, what string) error {
	s := p.src[in]
	for i := 0; i < len(s); {
		j, eq, plain := i, -1, true
	scan:
		for ; j < len(s); j++ {
			c := s[j]
			if c >= utf8.RuneSelf {
				plain = false
				continue
			}
			if c >= 64 || pairSpecial>>c&1 == 0 {
				continue
			}
			switch c {
			case '&':
				break scan
			case '=':
				if eq < 0 {
					eq = j
				}
			case ';':
				return badRequest("malformed " + what + ": ';' is not a separator")
			default: // '%', '+'
				plain = false
			}
		}
		if j > i {
			nameEnd, valueStart := j, j
			if eq >= 0 {
				nameEnd, valueStart = eq, eq+1
			}
			name := span{off: uint32(i), n: uint32(nameEnd - i), in: in}
			value := span{off: uint32(valueStart), n: uint32(j - valueStart), in: in}
			if !plain {
				var err error
				if name, err = p.decodePart(name, what); err != nil {
					return err
				}
				if value, err = p.decodePart(value, what); err != nil {
					return err
				}
			}
			p.add(name, value, false)
		}
		i = j + 1
	}
	return nil
}

// decodePart URL-decodes a name or value into the arena when it needs it
// and checks that the result is UTF-8.
func (p *SignParams) decodePart(sp span, what string) (span, error) {
	raw := p.text(sp)
	if strings.IndexByte(raw, '%') < 0 && strings.IndexByte(raw, '+') < 0 {
		if !utf8.ValidString(raw) {
			return sp, errNotUTF8()
		}
		return sp, nil
	}
	u, err := url.QueryUnescape(raw)
	if err != nil {
		return sp, badRequest("malformed " + what + ": invalid percent-encoding")
	}
	if !utf8.ValidString(u) {
		return sp, errNotUTF8()
	}
	off := p.arena.Len()
	p.arena.WriteString(u)
	return p.arenaSpan(off), nil
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
	var chunk [512]byte
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badRequest("malformed multipart body")
		}
		formName := part.FormName()
		if formName == "" || part.FileName() != "" {
			continue
		}
		off := p.arena.Len()
		p.arena.WriteString(formName)
		name := p.arenaSpan(off)
		off = p.arena.Len()
		for {
			n, err := part.Read(chunk[:])
			p.arena.Write(chunk[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				return badRequest("malformed multipart body")
			}
		}
		value := p.arenaSpan(off)
		if !utf8.ValidString(p.text(name)) || !utf8.ValidString(p.text(value)) {
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
	p.setBody(b)
	if err := p.scanJSON(b); err != nil {
		// Invalid UTF-8 is only noticed where it stops the scan; it is the
		// better message whenever it is there.
		if !utf8.Valid(b) {
			return errNotUTF8()
		}
		return err
	}
	return nil
}

// scanJSON does addJSON's work; a string with invalid UTF-8 fails it as
// malformed.
func (p *SignParams) scanJSON(b []byte) error {
	s := p.src[inBody]
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
			name, j, ok := p.scanString(i)
			if !ok {
				return errMalformedJSON()
			}
			i = skipWS(s, j)
			if i >= len(s) || s[i] != ':' {
				return errMalformedJSON()
			}
			i = skipWS(s, i+1)
			value, j, ok := p.scanValue(b, i)
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

func bodySpan(from, to int) span { return span{off: uint32(from), n: uint32(to - from), in: inBody} }

// scanValue reads the JSON value at body[i] (b is the same bytes) and
// returns its rendering for the canonical string and the index after it.
func (p *SignParams) scanValue(b []byte, i int) (span, int, bool) {
	s := p.src[inBody]
	if i >= len(s) {
		return span{}, i, false
	}
	switch c := s[i]; {
	case c == '"':
		return p.scanString(i)
	case c == 'n':
		return span{}, i + 4, strings.HasPrefix(s[i:], "null")
	case c == 't':
		return bodySpan(i, i+4), i + 4, strings.HasPrefix(s[i:], "true")
	case c == 'f':
		return bodySpan(i, i+5), i + 5, strings.HasPrefix(s[i:], "false")
	case c == '-' || ('0' <= c && c <= '9'):
		j, ok := scanNumber(s, i)
		return bodySpan(i, j), j, ok
	case c == '{' || c == '[':
		return p.scanComposite(b, i)
	}
	return span{}, i, false
}

// scanString reads the string whose opening quote is body[i] and returns
// its decoded value and the index after the closing quote. It fails on a
// control character, and on invalid UTF-8 (addJSON tells the two apart).
func (p *SignParams) scanString(i int) (span, int, bool) {
	s := p.src[inBody]
	escaped, ascii := false, true
	j := i + 1
	for {
		var nonASCII bool
		j, nonASCII = nextStringStop(s, j)
		ascii = ascii && !nonASCII
		if j >= len(s) {
			return span{}, len(s), false
		}
		switch s[j] {
		case '"':
			raw := s[i+1 : j]
			if !ascii && !utf8.ValidString(raw) {
				return span{}, j, false
			}
			if !escaped {
				return bodySpan(i+1, j), j + 1, true
			}
			v, ok := p.unescape(raw)
			return v, j + 1, ok
		case '\\':
			escaped = true
			j += 2 // past the escaped byte; unescape validates it
		default: // a control character
			return span{}, j, false
		}
	}
}

// SWAR (8 bytes per step) constants: lsb has the low bit of each byte set,
// msb the high bit.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// load64 reads s[i:i+8] little-endian; the compiler makes it one load.
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// hasByte flags (in the high bit) the bytes of x equal to c. Only the
// lowest flag is exact: a borrow may flag bytes above it.
func hasByte(x uint64, c byte) uint64 {
	y := x ^ (lsb * uint64(c))
	return (y - lsb) &^ y & msb
}

// nextStringStop returns the index of the first '"', '\\' or control
// character in s from j (len(s) if none), and whether non-ASCII bytes were
// passed on the way.
func nextStringStop(s string, j int) (int, bool) {
	var high uint64
	for ; j+8 <= len(s); j += 8 {
		x := load64(s, j)
		stop := ((x-lsb*0x20)&^x | hasByte(x, '"') | hasByte(x, '\\')) & msb
		if stop != 0 {
			k := bits.TrailingZeros64(stop) >> 3
			// Only the bytes before the stop count as passed.
			high |= x & msb & (1<<(8*k) - 1)
			return j + k, high != 0
		}
		high |= x & msb
	}
	for ; j < len(s); j++ {
		c := s[j]
		if c == '"' || c == '\\' || c < 0x20 {
			break
		}
		high |= uint64(c & 0x80)
	}
	return j, high != 0
}

// unescape decodes the body of a JSON string that has escapes into the
// arena, as encoding/json does (a lone surrogate becomes U+FFFD).
func (p *SignParams) unescape(raw string) (span, bool) {
	a := &p.arena
	off := a.Len()
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			a.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			return span{}, false
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			a.WriteByte(raw[i+1])
		case 'b':
			a.WriteByte('\b')
		case 'f':
			a.WriteByte('\f')
		case 'n':
			a.WriteByte('\n')
		case 'r':
			a.WriteByte('\r')
		case 't':
			a.WriteByte('\t')
		case 'u':
			r, ok := hex4(raw, i+2)
			if !ok {
				return span{}, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2, _ := hex4(raw, i+2)
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						a.WriteRune(dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			a.WriteRune(r)
			continue
		default:
			return span{}, false
		}
		i += 2
	}
	return p.arenaSpan(off), true
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

// scanComposite delimits the object or array at body[i] by bracket depth
// (outside strings), validates it with json.Valid and returns it with the
// whitespace outside strings removed (compacted into the arena only when
// there is any).
func (p *SignParams) scanComposite(b []byte, i int) (span, int, bool) {
	s := p.src[inBody]
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
				if !json.Valid(b[i:end]) || !utf8.Valid(b[i:end]) {
					return span{}, end, false
				}
				if !hasWS {
					return bodySpan(i, end), end, true
				}
				return p.compact(s[i:end]), end, true
			}
		case ' ', '\t', '\n', '\r':
			hasWS = true
		}
	}
	return span{}, len(s), false
}

// compact writes valid JSON text to the arena without the whitespace
// outside strings, keeping everything else (escapes included) as it is.
func (p *SignParams) compact(s string) span {
	a := &p.arena
	off := a.Len()
	inString := false
	for j := 0; j < len(s); j++ {
		c := s[j]
		if inString {
			a.WriteByte(c)
			switch c {
			case '\\':
				j++
				a.WriteByte(s[j])
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
		a.WriteByte(c)
	}
	return p.arenaSpan(off)
}
