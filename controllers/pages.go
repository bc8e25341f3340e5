package controllers

import (
	"bytes"
	"crypto/md5"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services/account"
)

// The HTML pages of the mail links, for a browser that opens them while
// server.frontend_url is empty (config.yaml): the links then point at the
// API, whose envelopes mean nothing to a person. API clients (any Accept
// but text/html first) keep getting envelopes.

//go:embed pages/*.html.tmpl
var pageFiles embed.FS

var pageTemplate = template.Must(template.ParseFS(pageFiles, "pages/page.html.tmpl"))

// page is what pages/page.html.tmpl shows: a title, a message or an
// error, and with ResetToken the form choosing a new password.
type page struct {
	Title, Message, Error string
	ResetToken            string
}

// resetFormMaxBytes bounds the reset form's body (a token and two
// passwords).
const resetFormMaxBytes = 8 << 10

// wantsHTML reports a browser: text/html before application/json in
// Accept.
func wantsHTML(c *gin.Context) bool {
	return c.NegotiateFormat(gin.MIMEJSON, gin.MIMEHTML) == gin.MIMEHTML
}

// renderPage writes p with status, and the headers that keep a page that
// carries a single-use token out of caches, referrers and frames.
func renderPage(c *gin.Context, status int, p page) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, p); err != nil {
		response.Error(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Data(status, "text/html; charset=utf-8", b.Bytes())
}

// pageError shows err as a page when it is the client's (a code below
// 500: an invalid or expired link, a user gone); anything else is answered
// by the renderer (logged, an envelope).
func pageError(c *gin.Context, title string, err error) {
	env := response.Of(err)
	if env.Code >= 500 {
		response.Error(c, err)
		return
	}
	renderPage(c, env.Code, page{Title: title, Error: env.Msg})
}

// verifyEmailPage answers GET /blogapi/email/verify for a browser.
func (ac *AccountController) verifyEmailPage(c *gin.Context) {
	u, err := ac.Accounts.VerifyEmail(c.Request.Context(), c.Query("token"))
	if err != nil {
		pageError(c, "The e-mail address was not verified", err)
		return
	}
	renderPage(c, http.StatusOK, page{Title: "Your e-mail address is verified",
		Message: u.Email + " is verified. You can close this page."})
}

// resetPasswordPage answers GET /blogapi/password/reset/check for a
// browser: the form choosing a new password while the token works.
func (ac *AccountController) resetPasswordPage(c *gin.Context) {
	token := c.Query("token")
	res, err := ac.Accounts.CheckResetToken(c.Request.Context(), token)
	if err != nil {
		pageError(c, "Choose a new password", err)
		return
	}
	if !res.Valid {
		renderPage(c, http.StatusBadRequest, page{Title: "Choose a new password",
			Error: "This link is invalid, used or expired. Ask for a new one (forgot password)."})
		return
	}
	renderPage(c, http.StatusOK, page{Title: "Choose a new password", ResetToken: token})
}

// ResetPasswordForm serves POST /blogapi/password/reset/form, the page's
// form (application/x-www-form-urlencoded: token, password,
// password_confirm, the password in plain text): unsigned, the single-use
// token is its credential, as in the link. The password is sent on as the
// API clients send it, its md5 in hex (docs/routes.md). Answers a page.
func (ac *AccountController) ResetPasswordForm(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, resetFormMaxBytes)
	token, password := c.PostForm("token"), c.PostForm("password")
	switch {
	case password == "":
		renderPage(c, http.StatusBadRequest, page{Title: "Choose a new password", Error: "Type the new password.", ResetToken: token})
		return
	case password != c.PostForm("password_confirm"):
		renderPage(c, http.StatusBadRequest, page{Title: "Choose a new password", Error: "The two passwords differ.", ResetToken: token})
		return
	}
	sum := md5.Sum([]byte(password))
	if err := ac.Accounts.ResetPassword(c.Request.Context(), account.ResetInput{Token: token, Password: hex.EncodeToString(sum[:])}); err != nil {
		pageError(c, "The password was not changed", err)
		return
	}
	renderPage(c, http.StatusOK, page{Title: "Your password is changed",
		Message: "Every session of the account has ended: log in with the new password."})
}
