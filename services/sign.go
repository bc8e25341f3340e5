package services

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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

// Refusals of the signature check and of the request parameters' parser.
var (
	ErrSignTokenMissing    = errors.New("signature token missing")
	ErrAuthKeyMissing      = errors.New("auth_key missing")
	ErrAuthKeyUnknown      = errors.New("auth_key unknown")
	ErrTimestampExpired    = errors.New("timestamp outside the allowed window")
	ErrSignInvalid         = errors.New("signature mismatch")
	ErrDuplicateSubmission = errors.New("signed request replayed")
	ErrBodyTooLarge        = errors.New("request body too large")
	ErrBodyUnreadable      = errors.New("request body unreadable")
	ErrTooLargeToVerify    = errors.New("request too large to verify")
	ErrNotUTF8             = errors.New("request not valid UTF-8")
	ErrTooManyParams       = errors.New("too many parameters")
	ErrQuerySemicolon      = errors.New("semicolon in query string")
	ErrFormSemicolon       = errors.New("semicolon in form body")
	ErrQueryPercent        = errors.New("bad percent-encoding in query string")
	ErrFormPercent         = errors.New("bad percent-encoding in form body")
	ErrMalformedForm       = errors.New("malformed form body")
	ErrMultipartNoBoundary = errors.New("multipart body without boundary")
	ErrMalformedMultipart  = errors.New("malformed multipart body")
	ErrMalformedJSON       = errors.New("malformed JSON body")
	ErrNotObject           = errors.New("body must be a JSON object")
	ErrTooDeep             = errors.New("JSON body nested too deeply")
)

// DuplicateMemberError is a JSON body with a member name twice.
type DuplicateMemberError struct{ Name string }

func (e *DuplicateMemberError) Error() string {
	return "duplicate JSON member " + strconv.Quote(e.Name)
}

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
// Errors are the Err* sentinels above, services.Invalid for timestamp, and
// ErrUnavailable wrapping a replay store failure.
func (s *Signer) Verify(ctx context.Context, method string, p *SignParams) (SignApp, error) {
	token, ok := p.getFirst(firstToken)
	if !ok || token == "" {
		return SignApp{}, ErrSignTokenMissing
	}
	key, ok := p.getFirst(firstAuthKey)
	if !ok || key == "" {
		return SignApp{}, ErrAuthKeyMissing
	}
	app, ok := s.apps[key]
	if !ok {
		return SignApp{}, ErrAuthKeyUnknown
	}
	tsText, ok := p.getFirst(firstTimestamp)
	if !ok || tsText == "" {
		return SignApp{}, Invalid("timestamp", "is missing")
	}
	ts, ok := parseTimestamp(tsText)
	if !ok {
		return SignApp{}, Invalid("timestamp", "must be an integer (ms since the Unix epoch)")
	}
	now := s.now()
	nowMs, skewMs := now.UnixMilli(), s.maxSkew.Milliseconds()
	if ts < nowMs-skewMs || ts > nowMs+skewMs {
		return SignApp{}, ErrTimestampExpired
	}

	var buf [256]byte
	sum := md5.Sum(p.AppendCanonical(buf[:0], app.Secret))
	// Decoding the token tells nothing about the expected token; the
	// comparison with it is constant-time.
	var got [md5.Size]byte
	if !decodeHex16(&got, token) {
		return SignApp{}, errSignInvalid()
	}
	if subtle.ConstantTimeCompare(sum[:], got[:]) != 1 {
		return SignApp{}, errSignInvalid()
	}

	if s.replayChecked(method) {
		var hexSum [2 * md5.Size]byte
		hex.Encode(hexSum[:], sum[:])
		err := s.store.Record(ctx, key+":"+string(hexSum[:]), now.Add(2*s.maxSkew))
		if errors.Is(err, models.ErrDuplicate) {
			return SignApp{}, ErrDuplicateSubmission
		}
		if err != nil {
			return SignApp{}, fmt.Errorf("%w: replay store: %w", ErrUnavailable, err)
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

// decodeHex16 decodes 32 hex digits of either case into dst.
func decodeHex16(dst *[md5.Size]byte, s string) bool {
	if len(s) != 2*md5.Size {
		return false
	}
	ok := 1
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		ok &= ok1 & ok2
		dst[i] = hi<<4 | lo
	}
	return ok == 1
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
// body parameters, in order of appearance, with their order by name (byte
// order, stable, so a name's values keep their order and the query's come
// before the body's). Build it with ParseSignParams.
type SignParams struct {
	// Names and values are spans of the query string, of the form body, of
	// the JSON body (not copied), or of arena for those that had to be
	// decoded. The parameters hold no pointers, so filling and sorting them
	// costs no GC write barriers. Nothing in a SignParams points into
	// itself either: that, and ParseSignParams being small enough to
	// inline, lets a caller that does not keep it have it on its stack.
	src   [2]string // the query and the form body
	json  []byte
	arena []byte
	n     int         // number of parameters, in order of appearance:
	more  []signParam // all of them once they outgrow inline
	// order is the parameters' indexes sorted by name (stable): inlineOrder
	// up to its size, orderMore past it.
	inlineOrder [8]int32
	orderMore   []int32
	// first is the first value of token, auth_key and timestamp, which
	// Verify reads without searching.
	first  [3]span
	has    [3]bool
	inline [8]signParam
}

// Where a span points: the first two in src, the others in bytes.
const (
	inQuery uint8 = iota
	inForm
	inJSON
	inArena
)

// span is a piece of one of a SignParams' texts: in (which one) in the top
// two bits of at, the offset below them, and the length.
type span struct{ at, n uint32 }

const offMask = 1<<30 - 1

func mkSpan(in uint8, from, to int) span {
	return span{at: uint32(in)<<30 | uint32(from), n: uint32(to - from)}
}

func (s span) in() uint8     { return uint8(s.at >> 30) }
func (s span) inBytes() bool { return s.in() >= inJSON }

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

// maxInput keeps offsets below span's 30 bits, the arena's included (it
// never holds more than the query and body together); bodies are bounded
// far lower by server.max_body_bytes.
const maxInput = 1 << 29

// MaxSignParams is the most parameters ParseSignParams accepts in one
// request, query and body together: query pairs, form body pairs, the parts
// of a multipart body (file parts too, though they are not signed) and the
// top-level members of a JSON body. Parsing runs before any check of SPEC §3,
// that is for anyone: past this the request is a 400 "too many parameters"
// instead of a parameter list as long as the body allows (a 1 MiB "a&a&…"
// form body has half a million). Real requests have a few dozen at most.
const MaxSignParams = 256

// MaxJSONDepth is the deepest nesting of objects and arrays ParseSignParams
// accepts in a JSON body, the body's own object counting as 1 (so
// {"a":[[1]]} is 3 deep); deeper is a 400 "JSON body is nested too deeply".
// It stops the scan early rather than after delimiting and validating a
// value of any depth.
const MaxJSONDepth = 64

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
// A JSON body is not copied: body must not change while the SignParams is
// in use.
//
// Errors are 400s (see the Err* sentinels): a malformed query string or form body,
// a malformed multipart body, "request is not valid UTF-8", "malformed JSON
// body", "body must be a JSON object", `duplicate JSON member "x"`, "too many
// parameters" (more than MaxSignParams), "JSON body is nested too deeply"
// (more than MaxJSONDepth).
func ParseSignParams(rawQuery, contentType string, body []byte) (p *SignParams, err error) {
	// Kept this small so that it inlines: see SignParams.
	p = new(SignParams)
	if err = p.parse(rawQuery, contentType, body); err != nil {
		p = nil
	}
	return p, err
}

func (p *SignParams) parse(rawQuery, contentType string, body []byte) error {
	if len(rawQuery) >= maxInput || len(body) >= maxInput {
		return ErrTooLargeToVerify
	}
	p.src[inQuery] = rawQuery
	if err := p.addPairs(inQuery, "query string"); err != nil {
		return err
	}
	mt := contentType
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.TrimSpace(mt)
	switch {
	case strings.EqualFold(mt, "application/json"):
		if err := p.addJSON(body); err != nil {
			return err
		}
	case strings.EqualFold(mt, "application/x-www-form-urlencoded"):
		p.src[inForm] = string(body)
		if err := p.addPairs(inForm, "form body"); err != nil {
			return err
		}
	case strings.EqualFold(mt, "multipart/form-data"):
		if err := p.addMultipart(contentType, body); err != nil {
			return err
		}
	}
	p.sort()
	l, order := p.params(), p.sorted()
	for i := 1; i < len(order); i++ {
		a, b := &l[order[i-1]], &l[order[i]]
		if a.json && b.json && p.equal(a.name, b.name) {
			return &DuplicateMemberError{Name: p.text(b.name)}
		}
	}
	return nil
}

// params are the parameters in order of appearance.
func (p *SignParams) params() []signParam {
	if p.more != nil {
		return p.more
	}
	return p.inline[:p.n]
}

// sorted is the order of params by name (after sort).
func (p *SignParams) sorted() []int32 {
	if p.orderMore != nil {
		return p.orderMore
	}
	return p.inlineOrder[:p.n]
}

// str is the text of a span of src.
func (p *SignParams) str(s span) string {
	off := s.at & offMask
	return p.src[s.in()&1][off : off+s.n]
}

// raw is the text of a span of the JSON body or the arena.
func (p *SignParams) raw(s span) []byte {
	src := p.json
	if s.in() == inArena {
		src = p.arena
	}
	off := s.at & offMask
	return src[off : off+s.n]
}

// text is the text of a span, copied when it lies in the JSON body or the
// arena. Comparisons use is, less and equal, which copy nothing.
func (p *SignParams) text(s span) string {
	if s.inBytes() {
		return string(p.raw(s))
	}
	return p.str(s)
}

// is reports whether a span's text is lit.
func (p *SignParams) is(s span, lit string) bool {
	if s.inBytes() {
		return string(p.raw(s)) == lit
	}
	return p.str(s) == lit
}

func (p *SignParams) less(a, b span) bool {
	switch {
	case a.inBytes() && b.inBytes():
		return string(p.raw(a)) < string(p.raw(b))
	case a.inBytes():
		return string(p.raw(a)) < p.str(b)
	case b.inBytes():
		return p.str(a) < string(p.raw(b))
	}
	return p.str(a) < p.str(b)
}

func (p *SignParams) equal(a, b span) bool {
	return a.n == b.n && !p.less(a, b) && !p.less(b, a)
}

// arenaSpan is the span of what was written to the arena since off.
func (p *SignParams) arenaSpan(off int) span { return mkSpan(inArena, off, len(p.arena)) }

// sort fills order: the parameters by name, stably. The usual handful
// is insertion-sorted on 8-byte name prefixes, more are merge-sorted.
func (p *SignParams) sort() {
	l := p.params()
	var order []int32
	if len(l) > len(p.inlineOrder) {
		p.orderMore = make([]int32, len(l))
		order = p.orderMore
	} else {
		order = p.inlineOrder[:len(l)]
	}
	for i := range order {
		order[i] = int32(i)
	}
	const small = 16
	if len(l) > small {
		slices.SortStableFunc(order, func(a, b int32) int {
			switch {
			case p.less(l[a].name, l[b].name):
				return -1
			case p.less(l[b].name, l[a].name):
				return 1
			}
			return 0
		})
		return
	}
	var keys [small]uint64
	for i := range l {
		keys[i] = p.prefixKey(l[i].name)
	}
	for i := 1; i < len(order); i++ {
		x := order[i]
		xk := keys[x&(small-1)]
		j := i
		for ; j > 0; j-- {
			y := order[j-1]
			yk := keys[y&(small-1)]
			if xk > yk || xk == yk && !p.less(l[x].name, l[y].name) {
				break
			}
			order[j] = y
		}
		order[j] = x
	}
}

// prefixKey is the first 8 bytes of a name, big-endian, zero-padded:
// keys order as the names do, except that equal keys need a full
// comparison.
func (p *SignParams) prefixKey(name span) uint64 {
	off, n := int(name.at&offMask), int(name.n)
	var k uint64
	if name.inBytes() {
		src := p.json
		if name.in() == inArena {
			src = p.arena
		}
		if off+8 <= len(src) {
			k = binary.BigEndian.Uint64(src[off:])
		} else {
			for i := 0; i < n && i < 8; i++ {
				k |= uint64(src[off+i]) << (56 - 8*i)
			}
			return k
		}
	} else {
		src := p.src[name.in()&1]
		if off+8 <= len(src) {
			k = bits.ReverseBytes64(load64(src, off))
		} else {
			for i := 0; i < n && i < 8; i++ {
				k |= uint64(src[off+i]) << (56 - 8*i)
			}
			return k
		}
	}
	if n < 8 {
		k &^= ^uint64(0) >> (8 * n)
	}
	return k
}

// load64 reads s[i:i+8] little-endian; the compiler makes it one load.
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// getFirst is the first value of token, auth_key or timestamp (k is
// firstToken, firstAuthKey or firstTimestamp), or "", false when the
// request has none.
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
	l := p.params()
	for _, i := range p.sorted() {
		e := &l[i]
		switch {
		case e.unsigned:
		case e.value.inBytes():
			dst = append(dst, p.raw(e.value)...)
		default:
			dst = append(dst, p.str(e.value)...)
		}
	}
	return append(dst, secret...)
}

// Sign returns the signature token for secret: md5 of the canonical string,
// 32 lowercase hex characters (SPEC §3). Clients and tests use it; the
// server verifies with Signer.Verify.
func (p *SignParams) Sign(secret string) string {
	var buf [256]byte
	sum := md5.Sum(p.AppendCanonical(buf[:0], secret))
	return hex.EncodeToString(sum[:])
}

// add appends a parameter; past MaxSignParams it fails with
// errTooManyParams instead.
func (p *SignParams) add(name, value span, fromJSON bool) error {
	// The three names differ in length: at most one comparison.
	k := -1
	switch int(name.n) {
	case len("token"):
		if p.is(name, "token") {
			k = firstToken
		}
	case len("auth_key"):
		if p.is(name, "auth_key") {
			k = firstAuthKey
		}
	case len("timestamp"):
		if p.is(name, "timestamp") {
			k = firstTimestamp
		}
	}
	if k >= 0 && !p.has[k] {
		p.first[k], p.has[k] = value, true
	}
	e := signParam{name: name, value: value, json: fromJSON, unsigned: k == firstToken || k == firstAuthKey}
	if p.more == nil && p.n < len(p.inline) {
		p.inline[p.n] = e
		p.n++
		return nil
	}
	// Checked only here: the inline array is far below the limit.
	if p.n >= MaxSignParams {
		return errTooManyParams()
	}
	if p.more == nil {
		p.more = append(make([]signParam, 0, 4*len(p.inline)), p.inline[:p.n]...)
	}
	p.more = append(p.more, e)
	p.n++
	return nil
}

func errNotUTF8() error { return ErrNotUTF8 }

func errMalformedJSON() error { return ErrMalformedJSON }

func errTooManyParams() error { return ErrTooManyParams }

func errTooDeep() error { return ErrTooDeep }

func errSignInvalid() error { return ErrSignInvalid }

// addPairs adds the pairs of the query string or the urlencoded body,
// parsed as net/url.ParseQuery does (so a handler sees the same pairs):
// '&' separates, ';' is an error, empty pairs are skipped, a pair without
// '=' has the empty value.
func (p *SignParams) addPairs(in uint8, what string) error {
	s := p.src[in]
	semicolon, escapes, high := scanPairs(s)
	if semicolon {
		if in == inQuery {
			return ErrQuerySemicolon
		}
		return ErrFormSemicolon
	}
	// Usually nothing needs decoding: then names and values are spans of s.
	plain := !escapes && (!high || utf8.ValidString(s))
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '&')
		if j < 0 {
			j = len(s)
		} else {
			j += i
		}
		if j > i {
			nameEnd, valueStart := j, j
			if eq := strings.IndexByte(s[i:j], '='); eq >= 0 {
				nameEnd, valueStart = i+eq, i+eq+1
			}
			name := mkSpan(in, i, nameEnd)
			value := mkSpan(in, valueStart, j)
			if !plain {
				var err error
				if name, err = p.decodePart(name, what); err != nil {
					return err
				}
				if value, err = p.decodePart(value, what); err != nil {
					return err
				}
			}
			if err := p.add(name, value, false); err != nil {
				return err
			}
		}
		i = j + 1
	}
	return nil
}

// scanPairs reports whether s has a ';', a '%' or '+', a byte ≥ 0x80.
func scanPairs(s string) (semicolon, escapes, high bool) {
	// ';' (0x3B) and '+' (0x2B) differ in one bit: the loop looks for both
	// at once, and only when either is there are they told apart.
	var sp, pc, hi uint64
	j := 0
	for ; j+8 <= len(s); j += 8 {
		x := load64(s, j)
		sp |= hasByte(x|lsb*0x10, ';')
		pc |= hasByte(x, '%')
		hi |= x
	}
	tail := false // a ';' or '+' past the last whole word
	for ; j < len(s); j++ {
		c := s[j]
		tail = tail || c|0x10 == ';'
		escapes = escapes || c == '%'
		high = high || c >= utf8.RuneSelf
	}
	if sp != 0 || tail {
		semicolon = strings.IndexByte(s, ';') >= 0
		escapes = escapes || strings.IndexByte(s, '+') >= 0
	}
	return semicolon, escapes || pc != 0, high || hi&msb != 0
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
		if what == "query string" {
			return sp, ErrQueryPercent
		}
		return sp, ErrFormPercent
	}
	if !utf8.ValidString(u) {
		return sp, errNotUTF8()
	}
	off := len(p.arena)
	p.arena = append(p.arena, u...)
	return p.arenaSpan(off), nil
}

// addMultipart adds the text fields of a multipart/form-data body: parts
// with a form name and no file name, as multipart.Reader.ReadForm and so
// gin's binding see them. Every part counts against MaxSignParams, so the
// parts read are bounded by number as the body bounds them by size; the
// values are copied into the arena, which therefore stays within the
// body's size.
func (p *SignParams) addMultipart(contentType string, body []byte) error {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil || params["boundary"] == "" {
		return ErrMultipartNoBoundary
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var chunk [512]byte
	skipped := 0 // parts that are not text fields
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return ErrMalformedMultipart
		}
		if p.n+skipped >= MaxSignParams {
			return errTooManyParams()
		}
		formName := part.FormName()
		if formName == "" || part.FileName() != "" {
			skipped++
			continue
		}
		off := len(p.arena)
		p.arena = append(p.arena, formName...)
		name := p.arenaSpan(off)
		off = len(p.arena)
		for {
			n, err := part.Read(chunk[:])
			p.arena = append(p.arena, chunk[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				return ErrMalformedMultipart
			}
		}
		value := p.arenaSpan(off)
		if !utf8.ValidString(formName) || !utf8.Valid(p.arena[off:]) {
			return errNotUTF8()
		}
		if err := p.add(name, value, false); err != nil {
			return err
		}
	}
}

// addJSON adds the top-level members of a JSON object body. Top-level
// strings are decoded here; nested objects and arrays are delimited here
// and validated with json.Valid, so the body as a whole is valid JSON when
// this returns nil. Spans point into b itself: it is not copied.
func (p *SignParams) addJSON(b []byte) error {
	p.json = b
	if err := p.scanJSON(b); err != nil {
		// Invalid UTF-8 stops the scan where it is met; it is the better
		// message whenever it is there.
		if !utf8.Valid(b) {
			return errNotUTF8()
		}
		return err
	}
	return nil
}

// scanJSON does addJSON's work; invalid UTF-8 fails it as malformed.
func (p *SignParams) scanJSON(b []byte) error {
	i := skipWS(b, 0)
	if i == len(b) {
		return nil
	}
	if b[i] != '{' {
		if json.Valid(b) {
			return ErrNotObject
		}
		return errMalformedJSON()
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return errMalformedJSON()
			}
			name, j, ok := p.scanString(i)
			if !ok {
				return errMalformedJSON()
			}
			i = skipWS(b, j)
			if i >= len(b) || b[i] != ':' {
				return errMalformedJSON()
			}
			i = skipWS(b, i+1)
			value, j, err := p.scanValue(i)
			if err != nil {
				return err
			}
			if err := p.add(name, value, true); err != nil {
				return err
			}
			i = skipWS(b, j)
			if i >= len(b) {
				return errMalformedJSON()
			}
			if b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if b[i] != '}' {
				return errMalformedJSON()
			}
			i++
			break
		}
	}
	if skipWS(b, i) != len(b) {
		return errMalformedJSON()
	}
	return nil
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

func jsonSpan(from, to int) span { return mkSpan(inJSON, from, to) }

// hasLit reports whether b[i:] starts with lit.
func hasLit(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// scanValue reads the JSON value at body[i], a top-level member's, and
// returns its rendering for the canonical string and the index after it.
func (p *SignParams) scanValue(i int) (span, int, error) {
	b := p.json
	if i >= len(b) {
		return span{}, i, errMalformedJSON()
	}
	var (
		v  span
		j  int
		ok bool
	)
	switch c := b[i]; {
	case c == '"':
		v, j, ok = p.scanString(i)
	case c == 'n':
		j, ok = i+4, hasLit(b, i, "null")
	case c == 't':
		v, j, ok = jsonSpan(i, i+4), i+4, hasLit(b, i, "true")
	case c == 'f':
		v, j, ok = jsonSpan(i, i+5), i+5, hasLit(b, i, "false")
	case c == '-' || ('0' <= c && c <= '9'):
		j, ok = scanNumber(b, i)
		v = jsonSpan(i, j)
	case c == '{' || c == '[':
		return p.scanComposite(i)
	}
	if !ok {
		return span{}, j, errMalformedJSON()
	}
	return v, j, nil
}

// scanString reads the string whose opening quote is body[i] and returns
// its decoded value and the index after the closing quote. It fails on a
// control character, a bad escape or invalid UTF-8.
func (p *SignParams) scanString(i int) (span, int, bool) {
	b := p.json
	escaped := false
	var high uint64 // high bits of the bytes passed
	j := i + 1
	for {
		// 8 bytes at a time to the next '"', '\\' or control character.
		for ; j+8 <= len(b); j += 8 {
			x := binary.LittleEndian.Uint64(b[j:])
			if stop := ((x-lsb*0x20)&^x | hasByte(x, '"') | hasByte(x, '\\')) & msb; stop != 0 {
				k := bits.TrailingZeros64(stop) >> 3
				high |= x & msb & (1<<(8*k) - 1)
				j += k
				break
			}
			high |= x & msb
		}
		for ; j < len(b); j++ {
			c := b[j]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			high |= uint64(c & 0x80)
		}
		if j >= len(b) {
			return span{}, len(b), false
		}
		switch b[j] {
		case '"':
			raw := b[i+1 : j]
			if high != 0 && !utf8.Valid(raw) {
				return span{}, j, false
			}
			if !escaped {
				return jsonSpan(i+1, j), j + 1, true
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

// hasByte flags (in the high bit) the bytes of x equal to c. Only the
// lowest flag is exact: a borrow may flag bytes above it.
func hasByte(x uint64, c byte) uint64 {
	y := x ^ (lsb * uint64(c))
	return (y - lsb) &^ y & msb
}

// unescape decodes the body of a JSON string that has escapes into the
// arena, as encoding/json does (a lone surrogate becomes U+FFFD).
func (p *SignParams) unescape(raw []byte) (span, bool) {
	a := p.arena
	off := len(a)
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			a = append(a, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			return span{}, false
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			a = append(a, raw[i+1])
		case 'b':
			a = append(a, '\b')
		case 'f':
			a = append(a, '\f')
		case 'n':
			a = append(a, '\n')
		case 'r':
			a = append(a, '\r')
		case 't':
			a = append(a, '\t')
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
						a = utf8.AppendRune(a, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			a = utf8.AppendRune(a, r)
			continue
		default:
			return span{}, false
		}
		i += 2
	}
	p.arena = a
	return p.arenaSpan(off), true
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		v, ok := fromHex(c)
		if ok == 0 {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// scanNumber reads a JSON number at b[i] and returns the index after it.
func scanNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// scanComposite delimits the object or array at body[i] (a top-level
// member's value, so one level below the body's object) by bracket depth
// (outside strings), failing past MaxJSONDepth, validates it with
// json.Valid (and utf8.Valid, which json.Valid does not do) and returns it
// with the whitespace outside strings removed (compacted into the arena
// only when there is any). Both passes are linear and neither recurses.
func (p *SignParams) scanComposite(i int) (span, int, error) {
	b := p.json
	depth, hasWS, inString := 0, false, false
	for j := i; j < len(b); j++ {
		c := b[j]
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
			if depth >= MaxJSONDepth {
				return span{}, j, errTooDeep()
			}
		case '}', ']':
			depth--
			if depth == 0 {
				end := j + 1
				if !json.Valid(b[i:end]) || !utf8.Valid(b[i:end]) {
					return span{}, end, errMalformedJSON()
				}
				if !hasWS {
					return jsonSpan(i, end), end, nil
				}
				return p.compact(b[i:end]), end, nil
			}
		case ' ', '\t', '\n', '\r':
			hasWS = true
		}
	}
	return span{}, len(b), errMalformedJSON()
}

// compact writes valid JSON text to the arena without the whitespace
// outside strings, keeping everything else (escapes included) as it is.
func (p *SignParams) compact(v []byte) span {
	a := p.arena
	off := len(a)
	inString := false
	for j := 0; j < len(v); j++ {
		c := v[j]
		if inString {
			a = append(a, c)
			switch c {
			case '\\':
				j++
				a = append(a, v[j])
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
		a = append(a, c)
	}
	p.arena = a
	return p.arenaSpan(off)
}
