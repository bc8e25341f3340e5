package routes

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
)

// TestNewRefusesBadDeps: routes.New reports a malformed trusted proxy by its
// config key. (config.Validate refuses the same values first; this is
// routes.New's own contract with any other caller.)
func TestNewRefusesBadDeps(t *testing.T) {
	tests := []struct {
		name string
		deps func(*Deps)
		want []string
	}{
		{"trusted proxy", func(d *Deps) { d.TrustedProxies = []string{"not-an-ip"} }, []string{"server.trusted_proxies: "}},
	}
	gin.SetMode(gin.TestMode)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Deps{Logger: slog.New(slog.DiscardHandler), Policy: response.StatusMirror}
			tt.deps(&d)
			e, err := New(d)
			if err == nil || e != nil {
				t.Fatalf("New = %v, %v; want an error", e, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
