// Package routes builds the Gin engine: every route of the API in one file,
// with the middleware of each group.
package routes

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers"
	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
)

// Deps are what the router needs, built by main (or a test).
type Deps struct {
	Logger *slog.Logger
	// Policy is response.http_status.
	Policy models.StatusPolicy
	// TrustedProxies (IPs or CIDRs) may set X-Forwarded-For; none trusted
	// when empty (server.trusted_proxies).
	TrustedProxies []string
	// CORSOrigins are the origins allowed to call the API with credentials.
	CORSOrigins []string
	// MaxBodyBytes bounds every request body (server.max_body_bytes).
	MaxBodyBytes int64
	// SecureCookies marks cookies Secure (server.public_url is https).
	SecureCookies bool

	Signer  *services.Signer
	Users   *services.UserService
	Captcha *services.CaptchaService
	// Ping checks the database for /readyz.
	Ping func(ctx context.Context) error
}

// New returns the engine serving the whole API (SPEC §7). Every answer,
// 404 and 405 included, is the envelope.
func New(d Deps) (*gin.Engine, error) {
	r := middleware.Renderer{Logger: d.Logger, Policy: d.Policy}
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	if err := e.SetTrustedProxies(d.TrustedProxies); err != nil {
		return nil, fmt.Errorf("server.trusted_proxies: %w", err)
	}
	e.Use(middleware.RequestLog(d.Logger), middleware.Recovery(r), middleware.Errors(d.Logger, d.Policy))
	if len(d.CORSOrigins) > 0 {
		e.Use(cors.New(cors.Config{
			AllowOrigins:     d.CORSOrigins,
			AllowMethods:     []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"},
			AllowHeaders:     []string{"Origin", "Content-Type", "Accept", "access-token", "Authorization", middleware.HeaderRequestID},
			ExposeHeaders:    []string{controllers.HeaderCaptchaID, middleware.HeaderRequestID, "Retry-After"},
			AllowCredentials: true,
			MaxAge:           12 * time.Hour,
		}))
	}
	e.NoRoute(middleware.NotFound)
	e.NoMethod(middleware.MethodNotAllowed)

	health := &controllers.HealthController{Ping: d.Ping}
	e.GET("/healthz", health.Live)
	e.GET("/readyz", health.Ready)

	users := &controllers.UserController{Users: d.Users}
	captcha := &controllers.CaptchaController{Captcha: d.Captcha, SecureCookie: d.SecureCookies}
	auth := middleware.Auth(r, d.Users.Authenticate)

	api := e.Group("/blogapi", middleware.Sign(r, d.Signer, d.MaxBodyBytes))
	api.GET("/service/captcha", captcha.Issue)
	api.POST("/service/renewal", users.Renew)
	api.GET("/reg/check/username", users.CheckAccount)
	api.POST("/reg", users.Register)
	api.POST("/login", users.Login)
	api.POST("/logout", auth, users.Logout)
	api.GET("/logout", auth, users.Logout)
	api.GET("/user/center", auth, users.Center)
	return e, nil
}
