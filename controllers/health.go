package controllers

import (
	"context"
	"fmt"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services"
)

// HealthController serves the unsigned operational routes (docs/routes.md).
type HealthController struct {
	// Ping checks the database takes writes (models.DB.Ready); nil error
	// means ready.
	Ping func(ctx context.Context) error
}

// Live serves GET /healthz: the process is up.
func (h *HealthController) Live(c *gin.Context) { response.OK(c, gin.H{"status": "ok"}) }

// Ready serves GET /readyz: 200 when the database answers a ping and
// takes a write within 2 s, else 503 "database unavailable".
func (h *HealthController) Ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := h.Ping(ctx); err != nil {
		response.Error(c, fmt.Errorf("%w: readiness: %w", services.ErrUnavailable, err))
		return
	}
	response.OK(c, gin.H{"status": "ready"})
}
