package response

import "net/http"

// StatusPolicy is response.http_status: which HTTP status carries an
// envelope code (README, "Responses").
type StatusPolicy string

const (
	// StatusMirror sends the HTTP status equal to code, as the API
	// document says.
	StatusMirror StatusPolicy = "mirror"
	// StatusStandard keeps code in the body but maps 51x/52x, 402 and 201
	// to statuses proxies and CDNs understand.
	StatusStandard StatusPolicy = "standard"
)

// HTTPStatus is the HTTP status that carries code under policy p.
func (p StatusPolicy) HTTPStatus(code int) int {
	if p != StatusStandard {
		return code
	}
	switch code {
	case CodeSignMissing, CodeAuthKey, CodeSignExpired, CodeSignInvalid, CodeJWTInvalid, CodeTokenExpired:
		return http.StatusUnauthorized
	case CodeJWTIssue:
		return http.StatusInternalServerError
	case CodeDuplicate:
		return http.StatusConflict
	}
	return code
}
