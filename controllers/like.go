package controllers

import (
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"

	"github.com/blogapi/blogapi/services/content"
)

// LikeController serves likes of articles.
type LikeController struct {
	Content *content.Service
}

// LikeState is the answer of GET /blogapi/action/checklike/:id.
type LikeState struct {
	IsPraise bool `json:"isPraise"`
}

// Check serves GET /blogapi/action/checklike/:id: whether the caller likes
// the article (false without an access token).
func (lc *LikeController) Check(c *gin.Context) {
	liked, err := lc.Content.Likes(c.Request.Context(), viewer(c), c.Param("id"))
	if err != nil {
		response.Error(c, err)
		return
	}
	c.Header("Cache-Control", cachePrivate)
	response.OK(c, LikeState{IsPraise: liked})
}

// Like serves POST /blogapi/action/:id/like (409 when already liked).
func (lc *LikeController) Like(c *gin.Context) {
	if err := lc.Content.Like(c.Request.Context(), viewer(c), c.Param("id")); err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, nil)
}

// Unlike serves DELETE /blogapi/action/:id/like (200 also when not liked).
func (lc *LikeController) Unlike(c *gin.Context) {
	if err := lc.Content.Unlike(c.Request.Context(), viewer(c), c.Param("id")); err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, nil)
}
