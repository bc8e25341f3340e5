package controllers

import (
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"

	"github.com/blogapi/blogapi/services/content"
)

// AuthorController serves public author pages.
type AuthorController struct {
	Content *content.Service
}

// PublicProfile is a user's public profile: never their e-mail, phone,
// status or last login. `cover` and `avatar` are the same picture.
type PublicProfile struct {
	ID           string `json:"id"`
	Nick         string `json:"nick"`
	Cover        string `json:"cover"`
	Avatar       string `json:"avatar"`
	Summary      string `json:"summary"`
	Web          string `json:"web"`
	Type         string `json:"type"`
	Created      int64  `json:"created"`
	Level        int    `json:"level"`
	ArticleCount int    `json:"articleCount"`
	LikeCount    int    `json:"likeCount"`
}

// Center serves GET /blogapi/user/:id/center.
func (ac *AuthorController) Center(c *gin.Context) {
	p, err := ac.Content.Profile(c.Request.Context(), c.Param("id"))
	if err != nil {
		response.Error(c, err)
		return
	}
	u := p.User
	okCached(c, PublicProfile{
		ID: u.ID, Nick: u.Nick, Cover: u.Avatar, Avatar: u.Avatar, Summary: u.Summary, Web: u.Web, Type: u.Type, Created: u.Created,
		Level: u.Level, ArticleCount: p.ArticleCount, LikeCount: p.LikeCount,
	}, "")
}
