package controllers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/models"
)

// HealthController serves the unsigned operational routes (SPEC §7).
type HealthController struct {
	// Ping checks the database; nil error means ready.
	Ping func(ctx context.Context) error
}

// Live serves GET /healthz: the process is up.
func (h *HealthController) Live(c *gin.Context) { ok(c, gin.H{"status": "ok"}) }

// Ready serves GET /readyz: 200 when MongoDB answers a ping within 2 s,
// else 503 "database unavailable".
func (h *HealthController) Ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := h.Ping(ctx); err != nil {
		_ = c.Error(&models.AppError{Code: models.CodeUnavailable, Msg: "database unavailable", Cause: err})
		return
	}
	c.JSON(http.StatusOK, models.OK(gin.H{"status": "ready"}))
}
