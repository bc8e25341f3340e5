package signing

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// Errors of Parse: a request whose parameters cannot be read. The HTTP layer
// answers each with a 400.
var (
	ErrQuerySemicolon    = errors.New("malformed query string: ';' is not a separator")
	ErrQueryEscape       = errors.New("malformed query string: invalid percent-encoding")
	ErrFormSemicolon     = errors.New("malformed form body: ';' is not a separator")
	ErrFormEscape        = errors.New("malformed form body: invalid percent-encoding")
	ErrMultipartBoundary = errors.New("malformed multipart body: Content-Type has no boundary")
	ErrMultipart         = errors.New("malformed multipart body")
	ErrNotUTF8           = errors.New("request is not valid UTF-8")
	ErrMalformedJSON     = errors.New("malformed JSON body")
	ErrNotObject         = errors.New("body must be a JSON object")
	ErrTooManyParams     = errors.New("too many parameters")
	ErrTooDeep           = errors.New("JSON body is nested too deeply")
	// ErrDuplicateMember is what a *DuplicateMemberError wraps.
	ErrDuplicateMember = errors.New("duplicate JSON member")
)

// Errors of Signer.Verify, in the order it checks.
var (
	ErrTokenMissing     = errors.New("signature token is missing")
	ErrAuthKeyMissing   = errors.New("auth_key is missing")
	ErrAuthKeyUnknown   = errors.New("auth_key is unknown")
	ErrTimestampMissing = errors.New("timestamp is missing")
	ErrTimestampInvalid = errors.New("timestamp must be an integer (ms since the Unix epoch)")
	ErrExpired          = errors.New("signature has expired: timestamp is outside the allowed window")
	ErrSignatureInvalid = errors.New("signature verification failed")
	// ErrReplayed is a signed request already accepted (sign.replay).
	ErrReplayed = errors.New("duplicate submission")
	// ErrReplayStore wraps the replay store's own error when it did not
	// answer.
	ErrReplayStore = errors.New("replay store unavailable")
)

// DuplicateMemberError is a JSON body with two members of one name (after
// unescaping): the signature would cover both, a handler would bind one.
type DuplicateMemberError struct{ Name string }

// Error is `duplicate JSON member "name"`, the name cut to 64 bytes.
func (e *DuplicateMemberError) Error() string {
	name := e.Name
	if len(name) > 64 {
		cut := 64
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + "…"
	}
	return ErrDuplicateMember.Error() + " " + strconv.Quote(name)
}

// Unwrap returns ErrDuplicateMember.
func (e *DuplicateMemberError) Unwrap() error { return ErrDuplicateMember }
