package controllers

import (
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/auth"
)

// AccountController serves the account lifecycle (issue 3): profile,
// password change, email verification and forgotten passwords.
type AccountController struct {
	Accounts *account.Service
}

// UpdateProfile serves PUT /blogapi/user/update {nick?, email?, avatar?,
// password (when email changes)} → the updated user.
func (ac *AccountController) UpdateProfile(c *gin.Context) {
	var in account.ProfileInput
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	p, _ := auth.PrincipalFrom(c.Request.Context())
	u, err := ac.Accounts.UpdateProfile(c.Request.Context(), p, in, c.ClientIP())
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, u)
}

// ChangePassword serves PUT /blogapi/user/reset {oldPassword, password} →
// a new {token, refreshToken, expiresIn, user}.
func (ac *AccountController) ChangePassword(c *gin.Context) {
	var in account.PasswordChangeInput
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	p, _ := auth.PrincipalFrom(c.Request.Context())
	res, err := ac.Accounts.ChangePassword(c.Request.Context(), p, in, c.Request.UserAgent(), c.ClientIP())
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, res)
}

// VerifyEmail serves GET /blogapi/email/verify?token= → the user.
func (ac *AccountController) VerifyEmail(c *gin.Context) {
	u, err := ac.Accounts.VerifyEmail(c.Request.Context(), c.Query("token"))
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, u)
}

// ResendVerification serves POST /blogapi/email/verify/resend.
func (ac *AccountController) ResendVerification(c *gin.Context) {
	p, _ := auth.PrincipalFrom(c.Request.Context())
	if err := ac.Accounts.ResendVerification(c.Request.Context(), p); err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, gin.H{"sent": true})
}

// ForgotPassword serves POST /blogapi/password/forgot {email | account,
// captcha}: the same 200 whether or not the user exists.
func (ac *AccountController) ForgotPassword(c *gin.Context) {
	var in account.ForgotInput
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	if in.CaptchaID == "" {
		in.CaptchaID, _ = c.Cookie(CaptchaCookie)
	}
	if err := ac.Accounts.ForgotPassword(c.Request.Context(), in); err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, gin.H{"message": "if the account exists, a reset link has been sent to its email address"})
}

// CheckResetToken serves GET /blogapi/password/reset/check?token= →
// {valid, expiresAt}.
func (ac *AccountController) CheckResetToken(c *gin.Context) {
	res, err := ac.Accounts.CheckResetToken(c.Request.Context(), c.Query("token"))
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, res)
}

// ResetPassword serves POST /blogapi/password/reset {token, password}.
func (ac *AccountController) ResetPassword(c *gin.Context) {
	var in account.ResetInput
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	if err := ac.Accounts.ResetPassword(c.Request.Context(), in); err != nil {
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
