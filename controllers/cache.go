package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
)

// Cache-Control of public reads, of reads made with an access token, and
// of feeds and the sitemap.
const (
	cachePublic  = "public, max-age=0, must-revalidate"
	cachePrivate = "private, no-store"
	cacheFeeds   = "public, max-age=3600"
)

// okCached answers data in the success envelope with an ETag (the hash of
// the body, after prefix when not empty) and honours If-None-Match with
// 304. A request that carried an access token is answered `private,
// no-store` (its answer may be personal, and shared caches must not keep
// it), any other `public, max-age=0, must-revalidate`.
func okCached(c *gin.Context, data any, prefix string) {
	body, err := json.Marshal(response.Success(data))
	if err != nil {
		response.Error(c, err)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + prefix + hex.EncodeToString(sum[:8]) + `"`
	if c.GetHeader("Authorization") != "" || c.GetHeader("access-token") != "" {
		c.Header("Cache-Control", cachePrivate)
	} else {
		c.Header("Cache-Control", cachePublic)
	}
	c.Header("ETag", etag)
	if etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// etagMatches reports whether an If-None-Match value lists etag (weak
// comparison, RFC 9110 §13.1.2).
func etagMatches(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || v == etag {
			return true
		}
	}
	return false
}
