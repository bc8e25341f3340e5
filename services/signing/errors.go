package signing

import (
	"errors"
	"strconv"
)

// Errors of Parse: a request whose parameters cannot be read (a 400, as is
// a *DuplicateMemberError). controllers/response maps each to its code and
// message.
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
)

// DuplicateMemberError is a JSON body with two members of one name (after
// unescaping): JSON readers disagree on which one counts (RFC 8259, 4), so
// the request is refused rather than read one way here and another
// elsewhere.
type DuplicateMemberError struct{ Name string }

func (e *DuplicateMemberError) Error() string {
	return "duplicate JSON member " + strconv.Quote(e.Name)
}
