package auth

import "github.com/blogapi/blogapi/models"

// Principal is the authenticated caller of a JWT route: the verified
// claims and the user as stored. The HTTP layer carries it on the request
// (middleware.PrincipalFrom).
type Principal struct {
	Claims *Claims
	User   models.User
}
