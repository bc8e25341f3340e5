package controllers

import (
	"encoding/json"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/content"
	"github.com/blogapi/blogapi/services/signing"
)

// The admin's comment moderation (docs/admin.md, "Comments").

// adminCommentArticle names the article a comment belongs to (title ""
// when the article is gone).
type adminCommentArticle struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// adminComment is a comment in the admin's list: `ref` is the id a bulk
// action takes ("<article>/<comment>"); `state` the stored moderation
// state (visible, held, hidden, spam, deleted).
type adminComment struct {
	Ref        string              `json:"ref"`
	ID         string              `json:"id"`
	Article    adminCommentArticle `json:"article"`
	TargetID   string              `json:"targetId"`
	UserID     string              `json:"userId"`
	Nick       string              `json:"nick"`
	Cover      string              `json:"cover"`
	Type       string              `json:"type"`
	Level      int                 `json:"level"`
	Author     bool                `json:"author"`
	ParentID   string              `json:"parentId"`
	ParentNick string              `json:"parentNick"`
	Content    string              `json:"content"`
	State      string              `json:"state"`
	Created    int64               `json:"created"`
}

func newAdminComment(c content.AdminComment) adminComment {
	return adminComment{Ref: c.ArticleID + "/" + c.ID, ID: c.ID, Article: adminCommentArticle{ID: c.ArticleID, Title: c.ArticleTitle},
		TargetID: c.TargetID, UserID: c.UserID, Nick: c.Nick, Cover: c.Cover, Type: c.Type, Level: c.Level, Author: c.Author,
		ParentID: c.ParentID, ParentNick: c.ParentNick, Content: c.Content, State: c.State, Created: c.Created}
}

// ListComments serves GET /blogapi/admin/comments: the comments of every
// article (`state` pending, approved, hidden, spam, deleted; `article`,
// `user`, `q`, `from`, `to` in ms, `page`, `pageSize`), newest first, in
// the blog's page object.
func (ac *AdminController) ListComments(c *gin.Context) {
	var in struct {
		State    string `json:"state"`
		Article  string `json:"article"`
		User     string `json:"user"`
		Q        string `json:"q"`
		From     string `json:"from"`
		To       string `json:"to"`
		Page     string `json:"page"`
		PageSize string `json:"pageSize"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	q := content.AdminCommentQuery{State: in.State, Article: in.Article, User: in.User, Q: in.Q}
	for _, p := range []struct {
		name, v string
		to      *int64
	}{{"from", in.From, &q.From}, {"to", in.To, &q.To}} {
		n, err := optInt(p.name, p.v)
		if err != nil {
			response.Error(c, err)
			return
		}
		*p.to = deref(n)
	}
	for _, p := range []struct {
		name, v string
		to      *int
	}{{"page", in.Page, &q.Page.Page}, {"pageSize", in.PageSize, &q.Page.Size}} {
		n, err := optInt(p.name, p.v)
		if err != nil {
			response.Error(c, err)
			return
		}
		*p.to = int(min(max(deref(n), 0), 1<<20)) // the service clamps
	}
	page, err := ac.Admin.ListComments(c.Request.Context(), q)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, pageOf(page, newAdminComment))
}

// adminCommentState is a comment after a moderation.
type adminCommentState struct {
	Ref     string `json:"ref"`
	ID      string `json:"id"`
	Article string `json:"article"`
	State   string `json:"state"`
}

// CommentAction serves POST
// /blogapi/admin/comments/:articleId/:commentId/:action (approve, hide,
// spam, delete) → {ref, id, article, state}.
func (ac *AdminController) CommentAction(c *gin.Context) {
	article, id := c.Param("articleId"), c.Param("commentId")
	after, err := ac.Admin.CommentAction(c.Request.Context(), adminActor(c), article, id, c.Param("action"))
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, adminCommentState{Ref: article + "/" + id, ID: id, Article: article, State: after.State})
}

// bulkResult is what a bulk action did to one id: `code` and `msg` as an
// envelope's (200 success).
type bulkResult struct {
	ID      string `json:"id"`
	OK      bool   `json:"ok"`
	Changed bool   `json:"changed"`
	Code    int    `json:"code"`
	Msg     string `json:"msg"`
}

// BulkComments serves POST /blogapi/admin/comments/bulk {action, ids,
// password}: ids a JSON array of "<article>/<comment>" (or, in a form or
// query, one comma-separated string) → {results: [{id, ok, changed, code,
// msg}], changed}.
func (ac *AdminController) BulkComments(c *gin.Context) {
	var in struct {
		Action   string `json:"action"`
		Password string `json:"password"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	ids, err := bindIDs(c, "ids")
	if err != nil {
		response.Error(c, err)
		return
	}
	results, err := ac.Admin.BulkComments(c.Request.Context(), adminActor(c), in.Action, ids, in.Password)
	if err != nil {
		response.Error(c, err)
		return
	}
	out := struct {
		Results []bulkResult `json:"results"`
		Changed int          `json:"changed"`
	}{Results: make([]bulkResult, len(results))}
	for i, r := range results {
		env := response.Success(nil)
		if r.Err != nil {
			env = response.Of(r.Err)
		}
		out.Results[i] = bulkResult{ID: r.ID, OK: r.Err == nil, Changed: r.Changed, Code: env.Code, Msg: env.Msg}
		if r.Changed {
			out.Changed++
		}
	}
	response.OK(c, out)
}

// bindIDs reads the list parameter name: a JSON array of strings, or a
// comma-separated string (a form or the query).
func bindIDs(c *gin.Context, name string) ([]string, error) {
	params, ok := signing.FromContext(c.Request.Context())
	if !ok {
		return nil, errNotSigned
	}
	p, found := params.Lookup(name)
	switch {
	case !found || p.JSON == signing.JSONNull:
		return nil, services.Invalid(name, "is required")
	case p.JSON == signing.JSONArray:
		var ids []string
		if err := json.Unmarshal([]byte(p.Value), &ids); err != nil {
			return nil, services.Invalid(name, "must be an array of strings")
		}
		return ids, nil
	case p.JSON == signing.NotJSON || p.JSON == signing.JSONString:
		var ids []string
		for _, id := range strings.Split(p.Value, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		return ids, nil
	}
	return nil, services.Invalid(name, "must be an array of strings")
}

// BanCommenter serves PUT /blogapi/admin/users/:id/comment-ban {banned,
// hideExisting, reason} → {user, hidden}.
func (ac *AdminController) BanCommenter(c *gin.Context) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	banned, err := flagParam(c, "banned")
	if err == nil && banned == nil {
		err = services.Invalid("banned", "is required (true or false)")
	}
	if err != nil {
		response.Error(c, err)
		return
	}
	hide, err := flagParam(c, "hideExisting")
	if err != nil {
		response.Error(c, err)
		return
	}
	u, hidden, err := ac.Admin.BanCommenter(c.Request.Context(), adminActor(c), c.Param("id"), *banned, hide != nil && *hide, in.Reason)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, gin.H{"user": newAdminUser(u), "hidden": hidden})
}

// flagParam reads the yes/no parameter name: JSON true or false, or the
// text true, false, 1 or 0; nil when absent.
func flagParam(c *gin.Context, name string) (*bool, error) {
	params, ok := signing.FromContext(c.Request.Context())
	if !ok {
		return nil, errNotSigned
	}
	p, found := params.Lookup(name)
	switch {
	case !found || p.JSON == signing.JSONNull:
		return nil, nil
	case p.JSON == signing.JSONBool || p.JSON == signing.NotJSON || p.JSON == signing.JSONString:
		b, err := optBool(name, p.Value)
		if err == nil && b == nil {
			err = services.Invalid(name, "must be true or false")
		}
		return b, err
	}
	return nil, services.Invalid(name, "must be true or false")
}
