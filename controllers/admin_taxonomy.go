package controllers

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/content"
)

// The admin's taxonomy routes (docs/admin.md, "Taxonomy"): types keyed by
// their identify, categories and tags by their name (path parameters,
// percent-encoded by the client).

// adminType is a type as the admin sees it: articles counts every article
// naming it, deleted ones too.
type adminType struct {
	Identify string `json:"identify"`
	Name     string `json:"name"`
	Index    int    `json:"index"`
	Created  int64  `json:"created"`
	Articles int    `json:"articles"`
}

func newAdminType(t content.TypeInfo) adminType {
	return adminType{Identify: t.Identify, Name: t.Name, Index: t.Index, Created: t.Created, Articles: t.Articles}
}

// adminCategory is a category as the admin sees it: articles as for a
// type, count its public articles.
type adminCategory struct {
	Name     string `json:"name"`
	Index    int    `json:"index"`
	Created  int64  `json:"created"`
	Articles int    `json:"articles"`
	Count    int    `json:"count"`
}

func newAdminCategory(c content.CategoryInfo) adminCategory {
	return adminCategory{Name: c.Name, Index: c.Index, Created: c.Created, Articles: c.Articles, Count: c.Count}
}

// adminTag is a tag as the admin sees it.
type adminTag struct {
	Name     string `json:"name"`
	Created  int64  `json:"created"`
	Articles int    `json:"articles"`
}

func newAdminTag(t content.TagInfo) adminTag {
	return adminTag{Name: t.Name, Created: t.Created, Articles: t.Articles}
}

// taxonomyDeleted answers a deletion: what was deleted, the replacement
// its articles moved to ("" for none) and how many moved.
type taxonomyDeleted struct {
	Key         string `json:"key"`
	Replacement string `json:"replacement"`
	Moved       int    `json:"moved"`
}

// optIndex parses an optional `index` (decimal text): nil when absent.
func optIndex(v *string) (*int, error) {
	if v == nil {
		return nil, nil
	}
	n, err := strconv.Atoi(*v)
	if err != nil {
		return nil, services.Invalid("index", "must be an integer from 0 to 9999")
	}
	return &n, nil
}

// bindEdit reads {name?, index?}; at least one is required.
func bindEdit(c *gin.Context) (content.TaxonomyEdit, error) {
	var in struct {
		Name  *string `json:"name"`
		Index *string `json:"index"`
	}
	if err := bind(c, &in); err != nil {
		return content.TaxonomyEdit{}, err
	}
	idx, err := optIndex(in.Index)
	if err != nil {
		return content.TaxonomyEdit{}, err
	}
	if in.Name == nil && idx == nil {
		return content.TaxonomyEdit{}, services.Invalid("name", "or index is required")
	}
	return content.TaxonomyEdit{Name: in.Name, Index: idx}, nil
}

// bindReplacement reads the optional `replacement` of a deletion.
func bindReplacement(c *gin.Context) (string, error) {
	var in struct {
		Replacement string `json:"replacement"`
	}
	err := bind(c, &in)
	return in.Replacement, err
}

// answerList answers items converted by conv, or the error.
func answerList[S, T any](c *gin.Context, items []S, err error, conv func(S) T) {
	if err != nil {
		response.Error(c, err)
		return
	}
	out := make([]T, len(items))
	for i, v := range items {
		out[i] = conv(v)
	}
	response.OK(c, out)
}

// ListTypes serves GET /blogapi/admin/types: every type in order.
func (ac *AdminController) ListTypes(c *gin.Context) {
	types, err := ac.Admin.ListTypes(c.Request.Context())
	answerList(c, types, err, newAdminType)
}

// CreateType serves POST /blogapi/admin/types {identify, name, index?} →
// the type.
func (ac *AdminController) CreateType(c *gin.Context) {
	var in struct {
		Identify string  `json:"identify"`
		Name     string  `json:"name"`
		Index    *string `json:"index"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	idx, err := optIndex(in.Index)
	if err != nil {
		response.Error(c, err)
		return
	}
	t, err := ac.Admin.CreateType(c.Request.Context(), adminActor(c), in.Identify, in.Name, idx)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, newAdminType(t))
}

// EditType serves PUT /blogapi/admin/types/:identify {name?, index?} → the
// type.
func (ac *AdminController) EditType(c *gin.Context) {
	in, err := bindEdit(c)
	if err != nil {
		response.Error(c, err)
		return
	}
	t, err := ac.Admin.EditType(c.Request.Context(), adminActor(c), c.Param("identify"), in)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, newAdminType(t))
}

// DeleteType serves DELETE /blogapi/admin/types/:identify {replacement?}
// → {key, replacement, moved}.
func (ac *AdminController) DeleteType(c *gin.Context) {
	repl, err := bindReplacement(c)
	if err != nil {
		response.Error(c, err)
		return
	}
	_, moved, err := ac.Admin.DeleteType(c.Request.Context(), adminActor(c), c.Param("identify"), repl)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, taxonomyDeleted{Key: c.Param("identify"), Replacement: repl, Moved: moved})
}

// ListCategories serves GET /blogapi/admin/categories: every category in
// order.
func (ac *AdminController) ListCategories(c *gin.Context) {
	cats, err := ac.Admin.ListCategories(c.Request.Context())
	answerList(c, cats, err, newAdminCategory)
}

// CreateCategory serves POST /blogapi/admin/categories {name, index?} →
// the category.
func (ac *AdminController) CreateCategory(c *gin.Context) {
	var in struct {
		Name  string  `json:"name"`
		Index *string `json:"index"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	idx, err := optIndex(in.Index)
	if err != nil {
		response.Error(c, err)
		return
	}
	cat, err := ac.Admin.CreateCategory(c.Request.Context(), adminActor(c), in.Name, idx)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, newAdminCategory(cat))
}

// categoryEdited answers a rename or reorder: the category (its new name)
// and the number of articles moved.
type categoryEdited struct {
	adminCategory
	Moved int `json:"moved"`
}

// EditCategory serves PUT /blogapi/admin/categories/:name {name?, index?}
// → the category and `moved`.
func (ac *AdminController) EditCategory(c *gin.Context) {
	in, err := bindEdit(c)
	if err != nil {
		response.Error(c, err)
		return
	}
	cat, moved, err := ac.Admin.EditCategory(c.Request.Context(), adminActor(c), c.Param("name"), in)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, categoryEdited{adminCategory: newAdminCategory(cat), Moved: moved})
}

// DeleteCategory serves DELETE /blogapi/admin/categories/:name
// {replacement?} → {key, replacement, moved}.
func (ac *AdminController) DeleteCategory(c *gin.Context) {
	repl, err := bindReplacement(c)
	if err != nil {
		response.Error(c, err)
		return
	}
	_, moved, err := ac.Admin.DeleteCategory(c.Request.Context(), adminActor(c), c.Param("name"), repl)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, taxonomyDeleted{Key: c.Param("name"), Replacement: repl, Moved: moved})
}

// ListTags serves GET /blogapi/admin/tags: every tag, oldest first.
func (ac *AdminController) ListTags(c *gin.Context) {
	tags, err := ac.Admin.ListTags(c.Request.Context())
	answerList(c, tags, err, newAdminTag)
}

// CreateTag serves POST /blogapi/admin/tags {name} → the tag.
func (ac *AdminController) CreateTag(c *gin.Context) {
	var in struct {
		Name string `json:"name"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	t, err := ac.Admin.CreateTag(c.Request.Context(), adminActor(c), in.Name)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, newAdminTag(t))
}

// tagRenamed answers a tag rename: the tag (its new name) and the number
// of articles changed.
type tagRenamed struct {
	adminTag
	Moved int `json:"moved"`
}

// RenameTag serves PUT /blogapi/admin/tags/:name {name} → the tag and
// `moved`.
func (ac *AdminController) RenameTag(c *gin.Context) {
	var in struct {
		Name string `json:"name"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	t, moved, err := ac.Admin.RenameTag(c.Request.Context(), adminActor(c), c.Param("name"), in.Name)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, tagRenamed{adminTag: newAdminTag(t), Moved: moved})
}

// DeleteTag serves DELETE /blogapi/admin/tags/:name → {key, replacement
// (""), moved}.
func (ac *AdminController) DeleteTag(c *gin.Context) {
	_, moved, err := ac.Admin.DeleteTag(c.Request.Context(), adminActor(c), c.Param("name"))
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, taxonomyDeleted{Key: c.Param("name"), Moved: moved})
}
