package controllers

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/signing"
)

// bindInput has every kind of field bind fills.
type bindInput struct {
	Account string  `json:"account"`
	Nick    *string `json:"nick"`
	All     bool    `json:"all"`
	Skipped string  `json:"-"`
	Token   string  `json:"token"`
}

// signedContext is a gin context for a request whose parameters the
// signature check parsed from query, contentType and body.
func signedContext(t *testing.T, query, contentType, body string) *gin.Context {
	t.Helper()
	p, err := signing.Parse(query, contentType, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/blogapi/x", nil)
	c.Request = c.Request.WithContext(signing.NewContext(c.Request.Context(), p))
	return c
}

func TestBind(t *testing.T) {
	nick := func(s string) *string { return &s }
	cases := []struct {
		name, query, contentType, body string
		want                           bindInput
		field                          string // a 400 about this field
	}{
		{"json", "", "application/json", `{"account":"a","nick":"n","all":true}`, bindInput{Account: "a", Nick: nick("n"), All: true}, ""},
		{"form", "", "application/x-www-form-urlencoded", "account=a&nick=&all=1", bindInput{Account: "a", Nick: nick(""), All: true}, ""},
		{"query", "account=a&all=yes", "", "", bindInput{Account: "a"}, ""},
		{"body before query", "account=q&token=signature", "application/json", `{"account":"b","token":"reset"}`, bindInput{Account: "b", Token: "reset"}, ""},
		{"query when the body has none", "account=q", "application/json", `{"nick":"n"}`, bindInput{Account: "q", Nick: nick("n")}, ""},
		{"first of a name", "", "application/x-www-form-urlencoded", "account=1&account=2", bindInput{Account: "1"}, ""},
		{"null leaves the field", "", "application/json", `{"account":null,"nick":null}`, bindInput{}, ""},
		{"flag from a number", "", "application/json", `{"all":1}`, bindInput{All: true}, ""},
		{"flag from a string", "", "application/json", `{"all":"true"}`, bindInput{All: true}, ""},
		{"flag false", "", "application/json", `{"all":{"x":1}}`, bindInput{}, ""},
		{"tag - is not bound", "-=x", "", "", bindInput{}, ""},
		{"object for a string", "", "application/json", `{"account":{"$gt":""}}`, bindInput{}, "account"},
		{"number for a string", "", "application/json", `{"account":1e999999}`, bindInput{}, "account"},
		{"bool for a pointer", "", "application/json", `{"nick":false}`, bindInput{}, "nick"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got bindInput
			err := bind(signedContext(t, tc.query, tc.contentType, tc.body), &got)
			if tc.field != "" {
				var fe *services.FieldError
				if !errors.As(err, &fe) || fe.Field != tc.field || fe.Reason != "must be a string" {
					t.Fatalf("err = %v, want a 400 about %s", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Account != tc.want.Account || got.All != tc.want.All || got.Token != tc.want.Token ||
				(got.Nick == nil) != (tc.want.Nick == nil) || got.Nick != nil && *got.Nick != *tc.want.Nick {
				t.Fatalf("bound %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestBindWithoutSignature(t *testing.T) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/x", nil)
	var in bindInput
	if err := bind(c, &in); err != errNotSigned {
		t.Fatalf("err = %v, want errNotSigned", err)
	}
}
