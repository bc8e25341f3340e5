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

// TestSetModeDebugBanner: in debug mode the engine's start-up warning names
// server.mode, the project's switch, never GIN_MODE, which it ignores.
func TestSetModeDebugBanner(t *testing.T) {
	var out strings.Builder
	w := gin.DefaultWriter
	gin.DefaultWriter = &out
	t.Cleanup(func() {
		gin.DefaultWriter = w
		gin.DebugPrintFunc = nil
		gin.SetMode(gin.TestMode)
	})
	SetMode("debug")
	gin.New().GET("/x", func(*gin.Context) {})
	got := out.String()
	if strings.Contains(got, "GIN_MODE") || !strings.Contains(got, "server.mode: release") {
		t.Errorf("debug banner:\n%s\nwant server.mode named and no GIN_MODE", got)
	}
	if !strings.Contains(got, "GET    /x") {
		t.Errorf("debug banner lacks the route listing:\n%s", got)
	}

	out.Reset()
	SetMode("release")
	gin.New().GET("/y", func(*gin.Context) {})
	if out.Len() != 0 {
		t.Errorf("release mode printed:\n%s", out.String())
	}
}
