package controllers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// DocsContentType is the media type of the served description (RFC 9512).
const DocsContentType = "application/yaml"

// DocsCacheControl lets clients and proxies keep the description for 5
// minutes, then revalidate it with its ETag.
const DocsCacheControl = "public, max-age=300"

// DocsController serves the API description, unsigned and not
// wrapped in the envelope.
type DocsController struct {
	spec []byte
	etag string
}

// NewDocsController serves spec (the YAML of docs.OpenAPI()). Its strong
// ETag is the first 16 bytes of spec's SHA-256 in hex, quoted.
func NewDocsController(spec []byte) *DocsController {
	sum := sha256.Sum256(spec)
	return &DocsController{spec: spec, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// OpenAPI serves GET /openapi.yaml: the description with Content-Type
// application/yaml, an ETag and Cache-Control "public, max-age=300".
// http.ServeContent answers the conditional and range requests: a matching
// If-None-Match → 304 with no body, Range → 206 (416 when unsatisfiable),
// a failed If-Match → 412.
func (dc *DocsController) OpenAPI(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Type", DocsContentType)
	h.Set("Cache-Control", DocsCacheControl)
	h.Set("ETag", dc.etag)
	http.ServeContent(c.Writer, c.Request, "openapi.yaml", time.Time{}, bytes.NewReader(dc.spec))
}
