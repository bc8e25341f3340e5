package controllers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/captcha"
	"github.com/blogapi/blogapi/services/signing"
)

// CaptchaCookie is the HttpOnly cookie that carries the captcha id (docs/security.md).
const CaptchaCookie = "captcha_id"

// HeaderCaptchaID carries the captcha id in the response (exposed to
// browsers by middleware.CORS).
const HeaderCaptchaID = "X-Captcha-Id"

// CaptchaController serves GET /blogapi/service/captcha.
type CaptchaController struct {
	Captcha *captcha.Service
	// SecureCookie marks the captcha_id cookie Secure (public_url is https).
	SecureCookie bool
}

// Issue answers with a new captcha (seed 004 图片验证码, "returns an SVG
// file"): width and height in pixels (defaults 150×50, range 40–600 ×
// 20–200). The body is the raw SVG (the blog SPA puts it into the page as
// it is), or the envelope with the SVG as data when the client asks for
// JSON (wantsJSON). Refusals are envelopes either way. The id travels in
// X-Captcha-Id and the captcha_id cookie.
func (cc *CaptchaController) Issue(c *gin.Context) {
	width, err := intParam(c, "width", captcha.DefaultWidth)
	if err != nil {
		response.Error(c, err)
		return
	}
	height, err := intParam(c, "height", captcha.DefaultHeight)
	if err != nil {
		response.Error(c, err)
		return
	}
	ch, err := cc.Captcha.Issue(c.Request.Context(), width, height)
	if err != nil {
		response.Error(c, err)
		return
	}
	c.Header(HeaderCaptchaID, ch.ID)
	c.Header("Cache-Control", "no-store")
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(CaptchaCookie, ch.ID, int(ch.TTL/time.Second), "/blogapi", "", cc.SecureCookie, true)
	json, err := wantsJSON(c)
	if err != nil {
		response.Error(c, err)
		return
	}
	if !json {
		c.Data(http.StatusOK, "image/svg+xml", ch.SVG)
		return
	}
	response.OK(c, string(ch.SVG))
}

// wantsJSON reports whether a captcha request asks for the envelope:
// `format=json`, or an Accept header that names JSON and neither SVG nor
// */* (a browser's or axios's `application/json, text/plain, */*` gets the
// SVG).
func wantsJSON(c *gin.Context) (bool, error) {
	params, found := signing.FromContext(c.Request.Context())
	if !found {
		return false, errNotSigned
	}
	if p, ok := params.Lookup("format"); ok && p.Value != "" {
		switch p.Value {
		case "json":
			return true, nil
		case "svg":
			return false, nil
		}
		return false, services.Invalid("format", "must be json or svg")
	}
	accept := strings.ToLower(c.GetHeader("Accept"))
	return strings.Contains(accept, "json") && !strings.Contains(accept, "*/*") && !strings.Contains(accept, "image/svg+xml"), nil
}

// intParam reads an optional integer parameter (query or body) from the
// parameters the signature check verified.
func intParam(c *gin.Context, name string, def int) (int, error) {
	params, found := signing.FromContext(c.Request.Context())
	if !found {
		return 0, errNotSigned
	}
	p, present := params.Lookup(name)
	if !present || p.Value == "" {
		return def, nil
	}
	n, err := strconv.Atoi(p.Value)
	if err != nil {
		return 0, services.Invalid(name, "must be an integer")
	}
	return n, nil
}
