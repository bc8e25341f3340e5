package controllers

import (
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/auth"
)

// UserController serves registration, login, sessions and the user centre.
type UserController struct {
	Accounts *account.Service
}

// Register serves POST /blogapi/reg (seed 004 用户注册) and answers with
// the new user. The captcha id comes from captcha_id or the cookie.
func (uc *UserController) Register(c *gin.Context) {
	var in account.RegisterInput
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	if in.CaptchaID == "" {
		in.CaptchaID, _ = c.Cookie(CaptchaCookie)
	}
	u, err := uc.Accounts.Register(c.Request.Context(), in)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, u)
}

// CheckAccount serves GET /blogapi/reg/check/username?account=.
func (uc *UserController) CheckAccount(c *gin.Context) {
	var in struct {
		Account string `form:"account" json:"account"`
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
	response.OK(c, res)
}

// Login serves POST /blogapi/login → {token, refreshToken, expiresIn, user}.
func (uc *UserController) Login(c *gin.Context) {
	var in account.LoginInput
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	if in.CaptchaID == "" {
		in.CaptchaID, _ = c.Cookie(CaptchaCookie)
	}
	res, err := uc.Accounts.Login(c.Request.Context(), in, c.Request.UserAgent(), c.ClientIP())
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, res)
}

// Renew serves POST /blogapi/service/renewal {refreshToken} → a new pair.
func (uc *UserController) Renew(c *gin.Context) {
	var in struct {
		RefreshToken string `json:"refreshToken" form:"refreshToken"`
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
	response.OK(c, res)
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
	p, _ := auth.PrincipalFrom(c.Request.Context())
	if err := uc.Accounts.Logout(c.Request.Context(), p, in.All); err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, nil)
}

// Center serves GET /blogapi/user/center: the caller's own profile.
func (uc *UserController) Center(c *gin.Context) {
	p, found := auth.PrincipalFrom(c.Request.Context())
	if !found {
		response.Error(c, auth.ErrTokenMissing)
		return
	}
	response.OK(c, p.User)
}
