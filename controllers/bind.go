// Package controllers holds the thin HTTP handlers: bind the request, call
// one service, answer with the envelope or hand the error to the renderer.
package controllers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/blogapi/blogapi/services"
	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
)

// bind decodes the request into dst, a struct of string fields: a JSON
// object body for application/json, else the query and form fields. A
// member of the wrong JSON type (an object, array or number where a string
// belongs) is a 400 naming the field, so no MongoDB operator can reach a
// query (SPEC §5). Unknown members are ignored: the signing parameters
// travel beside the data.
func bind(c *gin.Context, dst any) error {
	ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if ct == "application/json" && c.Request.Body != nil && c.Request.Body != http.NoBody {
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			return err
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		if len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		if err := json.Unmarshal(body, dst); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				return services.Invalid(te.Field, "must be a string")
			}
			return services.ErrMalformedJSON
		}
		return nil
	}
	// binding.Form reads the query and form bodies (urlencoded, multipart)
	// only, never gin's XML/YAML/TOML/protobuf bindings: bodies of other
	// types are not signed (SPEC §3), so nothing may be bound from them.
	if err := c.ShouldBindWith(dst, binding.Form); err != nil {
		return services.ErrMalformedForm
	}
	return nil
}

// flag is a yes/no request parameter: true, 1 or "true"/"1" in JSON, "true"
// or "1" in a query or form; anything else is false.
type flag bool

// UnmarshalJSON accepts a boolean, a number or a string.
func (f *flag) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	*f = s == "true" || s == "1"
	return nil
}

// UnmarshalParam reads a query or form value (gin's BindUnmarshaler).
func (f *flag) UnmarshalParam(s string) error {
	*f = s == "true" || s == "1"
	return nil
}
