package controllers

import (
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services/content"
)

// adminArticleItem is an article as the admin sees it in lists and
// answers: the list item plus its recommendation `weight`.
func adminArticleItem(a content.Article) ArticleItem {
	it := articleItem(a)
	w := a.Weight
	it.Weight = &w
	return it
}

// purgedArticle answers a purge: what was deleted.
type purgedArticle struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Likes    int    `json:"likes"`
	Comments int    `json:"comments"`
}

// PurgeArticle serves POST /blogapi/admin/articles/:id/purge {password}
// (the admin's, md5 hex): the article is deleted for good with its body,
// slug, likes and comments → {id, title, likes, comments}; 404 once it is
// gone (docs/admin.md, "Articles").
func (ac *AdminController) PurgeArticle(c *gin.Context) {
	var in struct {
		Password string `json:"password"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	p, err := ac.Admin.PurgeArticle(c.Request.Context(), adminActor(c), c.Param("id"), in.Password)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, purgedArticle{ID: p.Article.ID, Title: p.Article.Title, Likes: p.Likes, Comments: p.Comments})
}
