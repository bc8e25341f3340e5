package controllers

import (
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/auth"
)

// UserController serves registration, login, sessions and the user centre.
type UserController struct {
	Accounts *account.Service
}

// UserResponse is a user as the API shows it (docs/openapi.yaml, User).
// Cover and LastLogin repeat Avatar and LastLoginAt under the names the
// blog SPA reads (the original backend's).
type UserResponse struct {
	ID            string `json:"id"`
	Account       string `json:"account"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"emailVerified"`
	Status        string `json:"status"`
	Nick          string `json:"nick"`
	Avatar        string `json:"avatar"`
	Cover         string `json:"cover"`
	Summary       string `json:"summary"`
	Web           string `json:"web"`
	Phone         string `json:"phone"`   // the caller's own profile only
	Created       int64  `json:"created"` // ms since the Unix epoch
	Type          string `json:"type"`
	Level         int    `json:"level"`
	LastLoginAt   int64  `json:"lastLoginAt"` // ms since the Unix epoch, 0: never
	LastLogin     int64  `json:"lastLogin"`   // the same
}

// userResponse is u as the API shows it.
func userResponse(u account.User) UserResponse {
	return UserResponse{
		ID: u.ID, Account: u.Account, Email: u.Email, EmailVerified: u.EmailVerified, Status: u.Status, Nick: u.Nick,
		Avatar: u.Avatar, Cover: u.Avatar, Summary: u.Summary, Web: u.Web, Phone: u.Phone, Created: u.Created, Type: u.Type, Level: u.Level,
		LastLoginAt: u.LastLoginAt, LastLogin: u.LastLoginAt,
	}
}

// LoginResponse is the data of a login, a renewal or a password change
// (docs/openapi.yaml, LoginResult).
// UserInfo is User again: the name the blog SPA stores.
type LoginResponse struct {
	Token        string       `json:"token"`
	RefreshToken string       `json:"refreshToken"`
	ExpiresIn    int64        `json:"expiresIn"` // access token lifetime, seconds
	User         UserResponse `json:"user"`
	UserInfo     UserResponse `json:"userInfo"`
}

func loginResponse(r account.LoginResult) LoginResponse {
	u := userResponse(r.User)
	return LoginResponse{Token: r.Token, RefreshToken: r.RefreshToken, ExpiresIn: r.ExpiresIn, User: u, UserInfo: u}
}

// AvailabilityResponse answers GET /blogapi/reg/check/username.
type AvailabilityResponse struct {
	Account   string `json:"account"`
	Available bool   `json:"available"`
}

// registerRequest is the body of POST /blogapi/reg (seed 004 用户注册). Only
// these fields are read: type, level, status and emailVerified cannot be
// set by a client.
type registerRequest struct {
	Account     string `json:"account"`
	Password    string `json:"password"`
	PasswordEnc string `json:"password_enc"`
	Email       string `json:"email"`
	Nick        string `json:"nick"`
	Captcha     string `json:"captcha"`
	CaptchaID   string `json:"captcha_id"`
}

// loginRequest is the body of POST /blogapi/login; account is an account
// name or an email address.
type loginRequest struct {
	Account     string `json:"account"`
	Password    string `json:"password"`
	PasswordEnc string `json:"password_enc"`
	Captcha     string `json:"captcha"`
	CaptchaID   string `json:"captcha_id"`
}

// Register serves POST /blogapi/reg (seed 004 用户注册) and answers with
// the new user. The captcha id comes from captcha_id or the cookie.
func (uc *UserController) Register(c *gin.Context) {
	var in registerRequest
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	if in.CaptchaID == "" {
		in.CaptchaID, _ = c.Cookie(CaptchaCookie)
	}
	u, err := uc.Accounts.Register(c.Request.Context(), account.RegisterInput(in))
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, userResponse(u))
}

// CheckAccount serves GET /blogapi/reg/check/username?account=.
func (uc *UserController) CheckAccount(c *gin.Context) {
	var in struct {
		Account string `json:"account"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	res, err := uc.Accounts.CheckAccount(c.Request.Context(), in.Account)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, AvailabilityResponse(res))
}

// Login serves POST /blogapi/login → {token, refreshToken, expiresIn, user}.
func (uc *UserController) Login(c *gin.Context) {
	var in loginRequest
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	if in.CaptchaID == "" {
		in.CaptchaID, _ = c.Cookie(CaptchaCookie)
	}
	res, err := uc.Accounts.Login(c.Request.Context(), account.LoginInput(in), c.Request.UserAgent(), c.ClientIP())
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, loginResponse(res))
}

// Renew serves POST /blogapi/service/renewal {refreshToken} → a new pair.
func (uc *UserController) Renew(c *gin.Context) {
	var in struct {
		RefreshToken string `json:"refreshToken"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	res, err := uc.Accounts.Renew(c.Request.Context(), in.RefreshToken)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, loginResponse(res))
}

// Logout serves POST|GET /blogapi/logout; all=true ends every session.
func (uc *UserController) Logout(c *gin.Context) {
	var in struct {
		All bool `json:"all"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	p, _ := middleware.PrincipalFrom(c.Request.Context())
	if err := uc.Accounts.Logout(c.Request.Context(), p, in.All); err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, nil)
}

// Center serves GET /blogapi/user/center: the caller's own profile.
func (uc *UserController) Center(c *gin.Context) {
	p, found := middleware.PrincipalFrom(c.Request.Context())
	if !found {
		response.Error(c, auth.ErrTokenMissing)
		return
	}
	response.OK(c, userResponse(uc.Accounts.Me(p)))
}
