package controllers

import (
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/auth"
)

// AccountController serves the account lifecycle: profile,
// password change, email verification and forgotten passwords.
type AccountController struct {
	Accounts *account.Service
}

// profileRequest is the body of PUT /blogapi/user/update: a field left out
// is not changed. Field and Value are the blog SPA's form, one field at a
// time: {field: "nick", value: "…"}; cover is avatar's other name.
type profileRequest struct {
	Nick        *string `json:"nick"`
	Email       *string `json:"email"`
	Avatar      *string `json:"avatar"`
	Cover       *string `json:"cover"`
	Summary     *string `json:"summary"`
	Web         *string `json:"web"`
	Phone       *string `json:"phone"`
	Field       *string `json:"field"`
	Value       *string `json:"value"`
	Password    string  `json:"password"`
	PasswordEnc string  `json:"password_enc"`
}

// input is r as the account service takes it. A field the route does not
// know, or a body that names none, is a 400: a change is never silently
// dropped.
func (r profileRequest) input() (account.ProfileInput, error) {
	in := account.ProfileInput{Nick: r.Nick, Email: r.Email, Avatar: r.Avatar, Summary: r.Summary, Web: r.Web, Phone: r.Phone,
		Password: r.Password, PasswordEnc: r.PasswordEnc}
	if in.Avatar == nil {
		in.Avatar = r.Cover
	}
	if r.Field != nil {
		value := ""
		if r.Value != nil {
			value = *r.Value
		}
		switch *r.Field {
		case "nick":
			in.Nick = &value
		case "email":
			in.Email = &value
		case "avatar", "cover":
			in.Avatar = &value
		case "summary":
			in.Summary = &value
		case "web":
			in.Web = &value
		case "phone":
			in.Phone = &value
		default:
			return in, services.Invalid("field", "must be nick, email, avatar, cover, summary, web or phone")
		}
	}
	if in == (account.ProfileInput{Password: in.Password, PasswordEnc: in.PasswordEnc}) {
		return in, services.Invalid("field", "names no field to change (nick, email, avatar, cover, summary, web or phone)")
	}
	return in, nil
}

// passwordChangeRequest is the body of PUT /blogapi/user/reset; the new
// password as password or, as the blog SPA sends it, newPassword.
type passwordChangeRequest struct {
	OldPassword string `json:"oldPassword"`
	Password    string `json:"password"`
	NewPassword string `json:"newPassword"`
	PasswordEnc string `json:"password_enc"`
}

// forgotRequest is the body of POST /blogapi/password/forgot.
type forgotRequest struct {
	Email     string `json:"email"`
	Account   string `json:"account"`
	Captcha   string `json:"captcha"`
	CaptchaID string `json:"captcha_id"`
}

// resetRequest is the body of POST /blogapi/password/reset: the mailed
// token as token or resetToken.
type resetRequest struct {
	Token       string `json:"token"`
	ResetToken  string `json:"resetToken"`
	Password    string `json:"password"`
	PasswordEnc string `json:"password_enc"`
}

// ResetCheckResponse answers GET /blogapi/password/reset/check.
type ResetCheckResponse struct {
	Valid     bool  `json:"valid"`
	ExpiresAt int64 `json:"expiresAt"` // ms since the Unix epoch, 0 when invalid
}

// UpdateProfile serves PUT /blogapi/user/update {nick?, email?, avatar?,
// password (when email changes)} → the updated user.
func (ac *AccountController) UpdateProfile(c *gin.Context) {
	var in profileRequest
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	up, err := in.input()
	if err != nil {
		response.Error(c, err)
		return
	}
	p, _ := middleware.PrincipalFrom(c.Request.Context())
	u, err := ac.Accounts.UpdateProfile(c.Request.Context(), p, up, c.ClientIP())
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, userResponse(u))
}

// ChangePassword serves PUT /blogapi/user/reset {oldPassword, password} →
// a new {token, refreshToken, expiresIn, user}.
func (ac *AccountController) ChangePassword(c *gin.Context) {
	var in passwordChangeRequest
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	if in.Password == "" {
		in.Password = in.NewPassword
	}
	p, _ := middleware.PrincipalFrom(c.Request.Context())
	res, err := ac.Accounts.ChangePassword(c.Request.Context(), p,
		account.PasswordChangeInput{OldPassword: in.OldPassword, Password: in.Password, PasswordEnc: in.PasswordEnc},
		c.Request.UserAgent(), c.ClientIP())
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, loginResponse(res))
}

// VerifyEmail serves GET /blogapi/email/verify?token= → the user; a
// browser (Accept: text/html) gets a page saying so.
func (ac *AccountController) VerifyEmail(c *gin.Context) {
	if wantsHTML(c) {
		ac.verifyEmailPage(c)
		return
	}
	u, err := ac.Accounts.VerifyEmail(c.Request.Context(), c.Query("token"))
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, userResponse(u))
}

// ResendVerification serves POST /blogapi/email/verify/resend.
func (ac *AccountController) ResendVerification(c *gin.Context) {
	p, _ := middleware.PrincipalFrom(c.Request.Context())
	if err := ac.Accounts.ResendVerification(c.Request.Context(), p); err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, gin.H{"sent": true})
}

// ForgotPassword serves POST /blogapi/password/forgot {email | account,
// captcha}: the same 200 whether or not the user exists.
func (ac *AccountController) ForgotPassword(c *gin.Context) {
	var in forgotRequest
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	if in.CaptchaID == "" {
		in.CaptchaID, _ = c.Cookie(CaptchaCookie)
	}
	if err := ac.Accounts.ForgotPassword(c.Request.Context(), account.ForgotInput(in)); err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, gin.H{"message": "if the account exists, a reset link has been sent to its email address"})
}

// CheckResetToken serves GET /blogapi/password/reset/check?token= →
// {valid, expiresAt}; a browser (Accept: text/html) gets the form choosing
// a new password (ResetPasswordForm).
func (ac *AccountController) CheckResetToken(c *gin.Context) {
	if wantsHTML(c) {
		ac.resetPasswordPage(c)
		return
	}
	res, err := ac.Accounts.CheckResetToken(c.Request.Context(), c.Query("token"))
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, ResetCheckResponse(res))
}

// ResetPassword serves POST /blogapi/password/reset {token, password}.
func (ac *AccountController) ResetPassword(c *gin.Context) {
	var in resetRequest
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	if err := ac.Accounts.ResetPassword(c.Request.Context(), account.ResetInput(in)); err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, gin.H{"reset": true})
}

// KeyController serves GET /blogapi/service/pubkey.
type KeyController struct {
	Transport *auth.PasswordTransport
}

// PublicKey answers {publicKey: PEM (PKIX, RSA ≥ 2048 bits), passwordEnc:
// "rsa-oaep-sha256"}: encrypt md5(password) with RSA-OAEP-SHA256 under it,
// base64 the ciphertext and send password_enc=rsa-oaep-sha256 (seeds 000,
// 003).
func (kc *KeyController) PublicKey(c *gin.Context) {
	response.OK(c, gin.H{"publicKey": kc.Transport.PublicKeyPEM(), "passwordEnc": auth.PasswordEncRSA})
}
