package controllers

import (
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"

	"github.com/blogapi/blogapi/services/content"
)

// TaxonomyController serves the select lists of the writer and blog
// pages, and the banners.
type TaxonomyController struct {
	Content *content.Service
}

// ArticleType is an entry of GET /blogapi/select/types.
type ArticleType struct {
	Name     string `json:"name"`
	Identify string `json:"identify"`
}

// CategoryCount is an entry of GET /blogapi/select/category: count is the
// number of public articles in it.
type CategoryCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Banner is an entry of GET /blogapi/banner.
type Banner struct {
	Cover   string `json:"cover"`
	GoURL   string `json:"goUrl"`
	Title   string `json:"title"`
	Summary string `json:"summary"`
}

// Types serves GET /blogapi/select/types.
func (tc *TaxonomyController) Types(c *gin.Context) {
	types, err := tc.Content.Types(c.Request.Context())
	if err != nil {
		response.Error(c, err)
		return
	}
	out := make([]ArticleType, len(types))
	for i, t := range types {
		out[i] = ArticleType{Name: t.Name, Identify: t.Identify}
	}
	okCached(c, out, "")
}

// Categories serves GET /blogapi/select/category.
func (tc *TaxonomyController) Categories(c *gin.Context) {
	cats, err := tc.Content.Categories(c.Request.Context())
	if err != nil {
		response.Error(c, err)
		return
	}
	out := make([]CategoryCount, len(cats))
	for i, cat := range cats {
		out[i] = CategoryCount{Name: cat.Name, Count: cat.Count}
	}
	okCached(c, out, "")
}

// Tags serves GET /blogapi/select/tag: the tag names.
func (tc *TaxonomyController) Tags(c *gin.Context) {
	tags, err := tc.Content.Tags(c.Request.Context())
	if err != nil {
		response.Error(c, err)
		return
	}
	okCached(c, tags, "")
}

// Banners serves GET /blogapi/banner: the enabled banners in order (the
// admin manages them, docs/admin.md).
func (tc *TaxonomyController) Banners(c *gin.Context) {
	bs, err := tc.Content.Banners(c.Request.Context())
	if err != nil {
		response.Error(c, err)
		return
	}
	out := make([]Banner, len(bs))
	for i, b := range bs {
		out[i] = Banner{Cover: b.Cover, GoURL: b.GoURL, Title: b.Title, Summary: b.Summary}
	}
	okCached(c, out, "")
}
