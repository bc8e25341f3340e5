// Package controllers holds the thin HTTP handlers: bind the request, call
// one service, answer with the envelope or hand the error to the renderer.
package controllers

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/signing"
)

// errNotSigned is bind on a route without the signature check: a wiring
// mistake, answered 500.
var errNotSigned = errors.New("controllers: bind on a route without the signature check")

// bind fills dst, a pointer to a struct of string, *string and bool fields,
// from the parameters the signature check parsed and verified
// (signing.FromContext), so what is bound is what was signed. A field named
// n by its json tag takes the parameter n as signing.Params.Lookup picks
// it: the body's, else the query's. A JSON member that is not a string
// where a string belongs (an object, array, number or boolean) is a 400
// naming the field, so no MongoDB operator can reach a query
// (docs/openapi.yaml); null leaves the field as it is. A bool is a yes/no
// flag: true for "true" or "1" (true and 1 in JSON too), false otherwise.
// Parameters without a field are ignored: the signing parameters travel
// beside the data.
func bind(c *gin.Context, dst any) error {
	params, ok := signing.FromContext(c.Request.Context())
	if !ok {
		return errNotSigned
	}
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		p, found := params.Lookup(name)
		if !found || p.JSON == signing.JSONNull {
			continue
		}
		text := p.JSON == signing.NotJSON || p.JSON == signing.JSONString
		switch field := v.Field(i); {
		case f.Type.Kind() == reflect.String && text:
			field.SetString(p.Value)
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.String && text:
			s := p.Value
			field.Set(reflect.ValueOf(&s))
		case f.Type.Kind() == reflect.String || f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.String:
			return services.Invalid(name, "must be a string")
		case f.Type.Kind() == reflect.Bool:
			field.SetBool(p.Value == "true" || p.Value == "1")
		default:
			return fmt.Errorf("controllers: bind: field %s of %s is a %s", f.Name, t, f.Type)
		}
	}
	return nil
}
