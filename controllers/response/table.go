package response

import (
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/content"
	"github.com/blogapi/blogapi/services/media"
)

// row is what a domain error is answered with: the envelope code, the
// message, and the request field it is about ("" for none).
type row struct {
	err   error
	code  int
	msg   string
	field string
}

// internal is the answer to every error outside the table: the error is
// logged with the request id, the client learns nothing of it.
const internal = "internal error"

// table maps every domain error to its code and message. A new sentinel
// gets its row here (TestEveryErrorHasARow checks). Messages are part of
// the API: docs/openapi.yaml, the clients and their tests spell them.
var table = []row{
	// Request signing (README, "Signing").
	{services.ErrSignTokenMissing, CodeSignMissing, "signature token is missing", ""},
	{services.ErrAuthKeyMissing, CodeAuthKey, "auth_key is missing", ""},
	{services.ErrAuthKeyUnknown, CodeAuthKey, "auth_key is unknown", ""},
	{services.ErrTimestampExpired, CodeSignExpired, "signature has expired: timestamp is outside the allowed window", ""},
	{services.ErrSignInvalid, CodeSignInvalid, "signature verification failed", ""},
	{services.ErrDuplicateSubmission, CodeDuplicate, "duplicate submission", ""},

	// Request bodies and parameters.
	{services.ErrBodyTooLarge, CodeBodyTooLarge, "request body is too large", ""},
	{services.ErrBodyUnreadable, CodeBadRequest, "request body could not be read", ""},
	{services.ErrTooLargeToVerify, CodeBadRequest, "request is too large to verify", ""},
	{services.ErrNotUTF8, CodeBadRequest, "request is not valid UTF-8", ""},
	{services.ErrTooManyParams, CodeBadRequest, "too many parameters", ""},
	{services.ErrQuerySemicolon, CodeBadRequest, "malformed query string: ';' is not a separator", ""},
	{services.ErrFormSemicolon, CodeBadRequest, "malformed form body: ';' is not a separator", ""},
	{services.ErrQueryPercent, CodeBadRequest, "malformed query string: invalid percent-encoding", ""},
	{services.ErrFormPercent, CodeBadRequest, "malformed form body: invalid percent-encoding", ""},
	{services.ErrMalformedForm, CodeBadRequest, "malformed form body", ""},
	{services.ErrMultipartNoBoundary, CodeBadRequest, "malformed multipart body: Content-Type has no boundary", ""},
	{services.ErrMalformedMultipart, CodeBadRequest, "malformed multipart body", ""},
	{services.ErrMalformedJSON, CodeBadRequest, "malformed JSON body", ""},
	{services.ErrNotObject, CodeBadRequest, "body must be a JSON object", ""},
	{services.ErrTooDeep, CodeBadRequest, "JSON body is nested too deeply", ""},

	// Access tokens and sessions.
	{services.ErrTokenMissing, CodeUnauthorized, "access token is missing", ""},
	{ErrAuthScheme, CodeUnauthorized, "Authorization header must use the Bearer scheme", ""},
	{ErrBearerMalformed, CodeUnauthorized, `Authorization header must be "Bearer <token>"`, ""},
	{ErrTokenDisagree, CodeBadRequest, "access-token and Authorization headers carry different tokens", ""},
	{services.ErrTokenExpired, CodeTokenExpired, "token has expired", ""},
	{services.ErrTokenInvalid, CodeJWTInvalid, "token is invalid", ""},
	{services.ErrTokenIssue, CodeJWTIssue, "could not issue token", ""},
	{services.ErrSessionEnded, CodeUnauthorized, "session has ended", ""},
	{services.ErrRefreshReused, CodeUnauthorized, "refresh token was already used; session ended", ""},

	// Accounts, login and passwords.
	{services.ErrAccountTaken, CodeConflict, "account is already registered", "account"},
	{services.ErrEmailTaken, CodeConflict, "email is already registered", "email"},
	{services.ErrBadCredentials, CodeUnauthorized, "account or password is incorrect", ""},
	{services.ErrPasswordIncorrect, CodeUnauthorized, "password is incorrect", "password"},
	{services.ErrOldPasswordIncorrect, CodeUnauthorized, "oldPassword is incorrect", "oldPassword"},
	{services.ErrPasswordFormat, CodeBadRequest, "password must be the md5 of the password in hex (32 characters)", "password"},
	{services.ErrPasswordUndecryptable, CodeBadRequest, "password could not be decrypted", ""},
	{services.ErrAccountFrozen, CodeForbidden, "account is frozen", ""},
	{services.ErrAccountRejected, CodeForbidden, "account was rejected", ""},
	{services.ErrTooManyFailedLogins, CodeTooManyRequests, "too many failed logins; retry later", ""},
	{services.ErrUserGone, CodeNotFound, "user no longer exists", ""},
	{services.ErrEmailOrAccountRequired, CodeBadRequest, "email or account is required", "email"},
	{services.ErrEmailVerified, CodeBadRequest, "email is already verified", ""},
	{services.ErrMailTokenInvalid, CodeBadRequest, "link is invalid or has expired", "token"},
	{services.ErrMailTokenStale, CodeBadRequest, "link was sent to an address this account no longer uses", "token"},

	// Captcha.
	{services.ErrCaptchaMissing, CodeBadRequest, "captcha is required", "captcha"},
	{services.ErrCaptchaNoID, CodeBadRequest, "captcha id is missing; fetch a new captcha", "captcha_id"},
	{services.ErrCaptchaUnknown, CodeBadRequest, "captcha is unknown or already used; fetch a new captcha", "captcha"},
	{services.ErrCaptchaExpired, CodeBadRequest, "captcha has expired; fetch a new captcha", "captcha"},
	{services.ErrCaptchaWrong, CodeBadRequest, "captcha is wrong; fetch a new captcha", "captcha"},
	{services.ErrCaptchaRequired, CodeBadRequest, "captcha required", "captcha"},

	// Uploads (docs/uploads.md).
	{media.ErrTooLarge, CodeBodyTooLarge, "file is too large", "file"},
	{media.ErrUnsupportedType, CodeUnsupported, "unsupported image type", "file"},
	{media.ErrEmptyFile, CodeBadRequest, "file is empty", "file"},
	{media.ErrInvalidImage, CodeBadRequest, "file is not a readable image", "file"},
	{media.ErrImageDimensions, CodeBadRequest, "image is too large: at most 8000 pixels a side and 40 megapixels", "file"},
	{media.ErrBadDir, CodeBadRequest, `dir must be "avatar" or "article"`, "dir"},
	{media.ErrQuotaExceeded, CodeForbidden, "upload quota exceeded; delete some uploads first", ""},
	{media.ErrUploadNotFound, CodeNotFound, "upload not found", ""},
	{media.ErrObjectNotFound, CodeInternal, internal, ""},

	// The blog (docs/blog.md).
	{content.ErrArticleNotFound, CodeNotFound, "article not found", ""},
	{content.ErrUserNotFound, CodeNotFound, "user not found", ""},
	{content.ErrCommentNotFound, CodeNotFound, "comment not found", ""},
	{content.ErrNotWriter, CodeForbidden, "only authors and admins may publish", ""},
	{content.ErrNotOwner, CodeForbidden, "the article belongs to another user", ""},
	{content.ErrVersionConflict, CodeConflict, "the article changed since it was read; reload it and edit again", "version"},
	{content.ErrAlreadyLiked, CodeConflict, "article already liked", ""},
	{content.ErrDuplicateComment, CodeConflict, "the same comment was just posted", "content"},
	{content.ErrCommentRateLimited, CodeTooManyRequests, "too many comments; try again later", ""},

	// Routing, limits and availability.
	{ErrNoRoute, CodeNotFound, "no such route", ""},
	{ErrMethodNotAllowed, CodeMethodNotAllow, "method not allowed on this route", ""},
	{ErrOriginNotAllowed, CodeForbidden, "origin not allowed", ""},
	{ErrRateLimited, CodeTooManyRequests, "too many requests; retry later", ""},
	{services.ErrBusy, CodeUnavailable, "server is busy; try again later", ""},
	{services.ErrUnavailable, CodeUnavailable, "database unavailable", ""},
	{ErrPanic, CodeInternal, internal, ""},

	// Store errors a service should have turned into its own: a bug, so
	// logged and answered as internal.
	{models.ErrNotFound, CodeInternal, internal, ""},
	{models.ErrDuplicate, CodeInternal, internal, ""},
	{models.ErrDuplicateAccount, CodeInternal, internal, ""},
	{models.ErrDuplicateEmail, CodeInternal, internal, ""},
	{models.ErrConflict, CodeInternal, internal, ""},
}

// Of is the envelope err is answered with.
func Of(err error) Envelope {
	env, _ := lookup(err)
	return env
}

// lookup finds err's answer: the first table row whose error is in err's
// chain, then a few typed errors; known is false for anything else (500
// "internal error"). A *services.FieldError in the chain names the field;
// without a row it is a 400 "<field> <reason>".
func lookup(err error) (env Envelope, known bool) {
	var fe *services.FieldError
	hasField := errors.As(err, &fe)
	for _, r := range table {
		if errors.Is(err, r.err) {
			field := r.field
			if hasField && fe.Field != "" {
				field = fe.Field
			}
			return withField(Envelope{Code: r.code, Msg: r.msg}, field), true
		}
	}
	var dup *services.DuplicateMemberError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &dup):
		return Envelope{Code: CodeBadRequest, Msg: "duplicate JSON member " + quoteName(dup.Name)}, true
	case errors.As(err, &maxErr):
		return Envelope{Code: CodeBodyTooLarge, Msg: "request body is too large"}, true
	case hasField:
		return withField(Envelope{Code: CodeBadRequest, Msg: fe.Field + " " + fe.Reason}, fe.Field), true
	}
	return Envelope{Code: CodeInternal, Msg: internal}, false
}

func withField(env Envelope, field string) Envelope {
	if field != "" {
		env.Errors = []FieldError{{Field: field, Msg: env.Msg}}
	}
	return env
}

// quoteName quotes a JSON member name for a message, cut to 64 bytes.
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
