package response

import (
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/admin"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/captcha"
	"github.com/blogapi/blogapi/services/content"
	"github.com/blogapi/blogapi/services/media"
	"github.com/blogapi/blogapi/services/signing"
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
	// Request signing (docs/signing.md).
	{signing.ErrTokenMissing, CodeSignMissing, "signature token is missing", ""},
	{signing.ErrAuthKeyMissing, CodeAuthKey, "auth_key is missing", ""},
	{signing.ErrAuthKeyUnknown, CodeAuthKey, "auth_key is unknown", ""},
	{signing.ErrTimestampMissing, CodeBadRequest, "timestamp is missing", "timestamp"},
	{signing.ErrTimestampInvalid, CodeBadRequest, "timestamp must be an integer (ms since the Unix epoch)", "timestamp"},
	{signing.ErrExpired, CodeSignExpired, "signature has expired: timestamp is outside the allowed window", ""},
	{signing.ErrSignatureInvalid, CodeSignInvalid, "signature verification failed", ""},
	{signing.ErrReplayed, CodeDuplicate, "duplicate submission", ""},

	// Request bodies and parameters (a *signing.DuplicateMemberError is
	// answered in lookup).
	{ErrBodyTooLarge, CodeBodyTooLarge, "request body is too large", ""},
	{ErrURITooLong, CodeURITooLong, "request URI is too long", ""},
	{ErrHeadersTooLarge, CodeHeadersTooLarge, "request headers are too large", ""},
	{ErrRequestDeadline, CodeUnavailable, "request took too long; try again later", ""},
	{ErrBodyUnreadable, CodeBadRequest, "request body could not be read", ""},
	{signing.ErrNotUTF8, CodeBadRequest, "request is not valid UTF-8", ""},
	{signing.ErrTooManyParams, CodeBadRequest, "too many parameters", ""},
	{signing.ErrQuerySemicolon, CodeBadRequest, "malformed query string: ';' is not a separator", ""},
	{signing.ErrFormSemicolon, CodeBadRequest, "malformed form body: ';' is not a separator", ""},
	{signing.ErrQueryEscape, CodeBadRequest, "malformed query string: invalid percent-encoding", ""},
	{signing.ErrFormEscape, CodeBadRequest, "malformed form body: invalid percent-encoding", ""},
	{signing.ErrMultipartBoundary, CodeBadRequest, "malformed multipart body: Content-Type has no boundary", ""},
	{signing.ErrMultipart, CodeBadRequest, "malformed multipart body", ""},
	{signing.ErrMalformedJSON, CodeBadRequest, "malformed JSON body", ""},
	{signing.ErrNotObject, CodeBadRequest, "body must be a JSON object", ""},
	{signing.ErrTooDeep, CodeBadRequest, "JSON body is nested too deeply", ""},

	// Access tokens and sessions.
	{auth.ErrTokenMissing, CodeUnauthorized, "access token is missing", ""},
	{ErrAuthScheme, CodeUnauthorized, "Authorization header must use the Bearer scheme", ""},
	{ErrBearerMalformed, CodeUnauthorized, `Authorization header must be "Bearer <token>"`, ""},
	{ErrTokenDisagree, CodeBadRequest, "access-token and Authorization headers carry different tokens", ""},
	{auth.ErrTokenExpired, CodeTokenExpired, "token has expired", ""},
	{auth.ErrTokenInvalid, CodeJWTInvalid, "token is invalid", ""},
	{auth.ErrTokenIssue, CodeJWTIssue, "could not issue token", ""},
	{auth.ErrSessionEnded, CodeUnauthorized, "session has ended", ""},
	{auth.ErrRefreshReused, CodeUnauthorized, "refresh token was already used; session ended", ""},

	// Accounts, login and passwords.
	{account.ErrAccountTaken, CodeConflict, "account is already registered", "account"},
	{account.ErrEmailTaken, CodeConflict, "email is already registered", "email"},
	{account.ErrEmailChangeLimited, CodeTooManyRequests, "too many email changes; retry later", "email"},
	{account.ErrBadCredentials, CodeUnauthorized, "account or password is incorrect", ""},
	{account.ErrPasswordIncorrect, CodeUnauthorized, "password is incorrect", "password"},
	{account.ErrOldPasswordIncorrect, CodeUnauthorized, "oldPassword is incorrect", "oldPassword"},
	{auth.ErrPasswordFormat, CodeBadRequest, "password must be the md5 of the password in hex (32 characters)", "password"},
	{auth.ErrPasswordUndecryptable, CodeBadRequest, "password could not be decrypted", ""},
	{account.ErrAccountFrozen, CodeForbidden, "account is frozen", ""},
	{account.ErrAccountRejected, CodeForbidden, "account was rejected", ""},
	{auth.ErrTooManyFailedLogins, CodeTooManyRequests, "too many failed logins; retry later", ""},
	{account.ErrUserGone, CodeNotFound, "user no longer exists", ""},
	{account.ErrEmailOrAccountRequired, CodeBadRequest, "email or account is required", "email"},
	{account.ErrEmailVerified, CodeBadRequest, "email is already verified", ""},
	{account.ErrMailTokenInvalid, CodeBadRequest, "link is invalid or has expired", "token"},
	{account.ErrMailTokenStale, CodeBadRequest, "link was sent to an address this account no longer uses", "token"},

	// Captcha.
	{captcha.ErrMissing, CodeBadRequest, "captcha is required", "captcha"},
	{captcha.ErrNoID, CodeBadRequest, "captcha id is missing; fetch a new captcha", "captcha_id"},
	{captcha.ErrUnknown, CodeBadRequest, "captcha is unknown or already used; fetch a new captcha", "captcha"},
	{captcha.ErrExpired, CodeBadRequest, "captcha has expired; fetch a new captcha", "captcha"},
	{captcha.ErrWrong, CodeBadRequest, "captcha is wrong; fetch a new captcha", "captcha"},
	{captcha.ErrRequired, CodeBadRequest, "captcha required", "captcha"},

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
	{media.ErrStorageUnavailable, CodeUnavailable, "storage unavailable; try again later", ""},

	// The blog (docs/blog.md).
	{content.ErrArticleNotFound, CodeNotFound, "article not found", ""},
	{content.ErrUserNotFound, CodeNotFound, "no such author", ""},
	{content.ErrCommentNotFound, CodeNotFound, "comment not found", ""},
	{content.ErrBannerNotFound, CodeNotFound, "banner not found", ""},
	// The admin's taxonomy (docs/admin.md, "Taxonomy").
	{content.ErrTypeNotFound, CodeNotFound, "type not found", ""},
	{content.ErrCategoryNotFound, CodeNotFound, "category not found", ""},
	{content.ErrTagNotFound, CodeNotFound, "tag not found", ""},
	{content.ErrTypeExists, CodeConflict, "a type with that identify or name already exists", "name"},
	{content.ErrCategoryExists, CodeConflict, "a category with that name already exists", "name"},
	{content.ErrTagExists, CodeConflict, "a tag with that name already exists", "name"},
	{content.ErrTypeInUse, CodeConflict, "articles still use this type; name a replacement to move them to", "replacement"},
	{content.ErrCategoryInUse, CodeConflict, "articles still use this category; name a replacement to move them to", "replacement"},
	{content.ErrTaxonomyConflict, CodeConflict, "the taxonomy changed meanwhile; retry", ""},
	{content.ErrNotWriter, CodeForbidden, "only authors and admins may publish", ""},
	{content.ErrNotOwner, CodeForbidden, "the article belongs to another user", ""},
	{content.ErrVersionConflict, CodeConflict, "the article changed since it was read; reload it and edit again", "version"},
	{content.ErrAlreadyLiked, CodeConflict, "article already liked", ""},
	{content.ErrDuplicateComment, CodeConflict, "the same comment was just posted", "content"},
	{content.ErrCommentRateLimited, CodeTooManyRequests, "too many comments; try again later", ""},
	{content.ErrNotModerator, CodeForbidden, "only admins and the article's author moderate its comments", ""},
	// The admin API (docs/admin.md).
	{admin.ErrNotAdmin, CodeForbidden, "admin access required", ""},
	{admin.ErrUserNotFound, CodeNotFound, "user not found", ""},
	{admin.ErrLastAdmin, CodeConflict, "the last admin cannot be demoted, frozen or deleted", ""},
	{admin.ErrUserDeleted, CodeConflict, "user is deleted", ""},
	{admin.ErrBusy, CodeConflict, "another admin change of this user is in progress; retry", ""},
	// Comment moderation (docs/admin.md, "Comments").
	{admin.ErrCommentRef, CodeBadRequest, "an id is <article id>/<comment id>", "ids"},
	{content.ErrCommentBanned, CodeForbidden, "you are banned from commenting", ""},

	// Routing, limits and availability.
	{ErrNoRoute, CodeNotFound, "no such route", ""},
	{ErrMethodNotAllowed, CodeMethodNotAllow, "method not allowed on this route", ""},
	{ErrOriginNotAllowed, CodeForbidden, "origin not allowed", ""},
	{ErrRateLimited, CodeTooManyRequests, "too many requests; retry later", ""},
	{services.ErrBusy, CodeUnavailable, "server is busy; try again later", ""},
	{services.ErrUnavailable, CodeUnavailable, "database unavailable", ""},
	{ErrPanic, CodeInternal, internal, ""},
}

// reasons are the errors[].reason of the table's errors a client is
// expected to act on (FieldError.Reason); the rest have none.
var reasons = map[error]string{
	captcha.ErrRequired: ReasonCaptchaRequired,
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
			msg := r.msg
			// A frozen or rejected user reads the admin's reason
			// (docs/admin.md).
			var refusal *account.StatusRefusal
			if errors.As(err, &refusal) && refusal.Reason != "" {
				msg += ": " + refusal.Reason
			}
			env := withField(Envelope{Code: r.code, Msg: msg}, field)
			if reason := reasons[r.err]; reason != "" && len(env.Errors) > 0 {
				env.Errors[0].Reason = reason
			}
			return env, true
		}
	}
	var dup *signing.DuplicateMemberError
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
