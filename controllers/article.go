package controllers

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"

	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/content"
	"github.com/blogapi/blogapi/services/signing"
)

// ArticleController serves the articles: lists, detail, publish, edit,
// delete (docs/blog.md).
type ArticleController struct {
	Content *content.Service
}

// ArticleAuthor is the author inside list items (`user_info`) and the
// detail (`userInfo`). is_root: the author is an admin.
type ArticleAuthor struct {
	ID     string `json:"id"`
	Nick   string `json:"nick"`
	Cover  string `json:"cover"`
	Type   string `json:"type"`
	Level  int    `json:"level"`
	IsRoot bool   `json:"is_root"`
}

// ArticleSEO is the article's `seo` object.
type ArticleSEO struct {
	Title       string `json:"title"`
	Keywords    string `json:"keywords"`
	Description string `json:"description"`
}

// ArticleItem is an article in a list: the original's snake_case list
// fields the SPA reads (`_id`, `user_info`), plus `id`. Times in ms.
type ArticleItem struct {
	UnderscoreID string        `json:"_id"`
	ID           string        `json:"id"`
	Slug         string        `json:"slug"`
	Title        string        `json:"title"`
	Summary      string        `json:"summary"`
	Cover        string        `json:"cover"`
	Type         string        `json:"type"`
	TypeURL      string        `json:"type_url"`
	Category     string        `json:"category"`
	Tags         []string      `json:"tags"`
	IsPrivate    bool          `json:"is_private"`
	Status       string        `json:"status"`
	SEO          ArticleSEO    `json:"seo"`
	UserInfo     ArticleAuthor `json:"user_info"`
	Read         int64         `json:"read"`
	Praise       int64         `json:"praise"`
	Review       int64         `json:"review"`
	LastRevise   int64         `json:"last_revise"`
	Created      int64         `json:"created"`
	PublishedAt  int64         `json:"published_at"`
	Toped        bool          `json:"toped"`
	Hotted       bool          `json:"hotted"`
	// Weight is the admin's recommendation weight: in admin answers only.
	Weight *int `json:"weight,omitempty"`
}

// ArticleDetail is an article as its page reads it (camelCase, the
// original's detail): `content` is sanitised HTML.
type ArticleDetail struct {
	ID          string        `json:"id"`
	Slug        string        `json:"slug"`
	Title       string        `json:"title"`
	IsPrivate   bool          `json:"isPrivate"`
	Content     string        `json:"content"`
	Summary     string        `json:"summary"`
	Type        string        `json:"type"`
	TypeURL     string        `json:"typeUrl"`
	Category    string        `json:"category"`
	Tags        []string      `json:"tags"`
	Cover       string        `json:"cover"`
	SEO         ArticleSEO    `json:"seo"`
	UserInfo    ArticleAuthor `json:"userInfo"`
	Read        int64         `json:"read"`
	Praise      int64         `json:"praise"`
	Review      int64         `json:"review"`
	LastRevise  int64         `json:"lastRevise"`
	Created     int64         `json:"created"`
	PublishedAt int64         `json:"publishedAt"`
	Hotted      bool          `json:"hotted"`
	Toped       bool          `json:"toped"`
	Status      string        `json:"status"`
	IsPraise    bool          `json:"isPraise"`
	Version     int64         `json:"version"`
}

func author(a content.Author) ArticleAuthor {
	return ArticleAuthor{ID: a.ID, Nick: a.Nick, Cover: a.Cover, Type: a.Type, Level: a.Level, IsRoot: a.IsAdmin}
}

func seo(s content.SEO) ArticleSEO {
	return ArticleSEO{Title: s.Title, Keywords: s.Keywords, Description: s.Description}
}

func tags(t []string) []string {
	if t == nil {
		return []string{}
	}
	return t
}

func articleItem(a content.Article) ArticleItem {
	return ArticleItem{
		UnderscoreID: a.ID, ID: a.ID, Slug: a.Slug, Title: a.Title, Summary: a.Summary, Cover: a.Cover,
		Type: a.Type, TypeURL: a.TypeURL, Category: a.Category, Tags: tags(a.Tags), IsPrivate: a.Private,
		Status: a.Status, SEO: seo(a.SEO), UserInfo: author(a.Author), Read: a.Read, Praise: a.Praise,
		Review: a.Review, LastRevise: a.Revised, Created: a.Created, PublishedAt: a.PublishedAt,
		Toped: a.Toped, Hotted: a.Hotted,
	}
}

func articleDetail(d content.Detail) ArticleDetail {
	a := d.Article
	return ArticleDetail{
		ID: a.ID, Slug: a.Slug, Title: a.Title, IsPrivate: a.Private, Content: d.HTML, Summary: a.Summary,
		Type: a.Type, TypeURL: a.TypeURL, Category: a.Category, Tags: tags(a.Tags), Cover: a.Cover,
		SEO: seo(a.SEO), UserInfo: author(a.Author), Read: a.Read, Praise: a.Praise, Review: a.Review,
		LastRevise: a.Revised, Created: a.Created, PublishedAt: a.PublishedAt, Hotted: a.Hotted,
		Toped: a.Toped, Status: a.Status, IsPraise: d.IsPraise, Version: a.Version,
	}
}

func articlePage(p content.Page[content.Article]) pageObject[ArticleItem] {
	return pageOf(p, articleItem)
}

// viewer is the caller (the zero Viewer when no valid access token came).
func viewer(c *gin.Context) content.Viewer {
	if p, ok := middleware.PrincipalFrom(c.Request.Context()); ok {
		return content.ViewerOf(p.User)
	}
	return content.Viewer{}
}

// pageQuery reads `page` and `pageSize`; anything that is not a number is
// the default (the service clamps).
type pageQuery struct {
	Page     string `json:"page"`
	PageSize string `json:"pageSize"`
	Category string `json:"category"`
	Tag      string `json:"tag"`
	Keyword  string `json:"keyword"`
}

func (q pageQuery) request() content.PageRequest {
	p, _ := strconv.Atoi(q.Page)
	s, _ := strconv.Atoi(q.PageSize)
	return content.PageRequest{Page: p, Size: s}
}

func bindPage(c *gin.Context) (pageQuery, bool) {
	var q pageQuery
	if err := bind(c, &q); err != nil {
		response.Error(c, err)
		return q, false
	}
	return q, true
}

// answerPage answers a page of articles, or the error.
func answerPage(c *gin.Context, p content.Page[content.Article], err error) {
	if err != nil {
		response.Error(c, err)
		return
	}
	okCached(c, articlePage(p), "")
}

// List serves GET /blogapi/articles (`page`, `pageSize`, `category`,
// `tag`).
func (ac *ArticleController) List(c *gin.Context) {
	q, ok := bindPage(c)
	if !ok {
		return
	}
	p, err := ac.Content.List(c.Request.Context(), content.ListQuery{Category: q.Category, Tag: q.Tag, Page: q.request()})
	answerPage(c, p, err)
}

// Recommend serves GET /blogapi/article/recommend (`page`, `pageSize`).
func (ac *ArticleController) Recommend(c *gin.Context) {
	q, ok := bindPage(c)
	if !ok {
		return
	}
	p, err := ac.Content.Recommend(c.Request.Context(), q.request())
	answerPage(c, p, err)
}

// Hot serves GET /blogapi/article/hot: the 10 hot articles as one page.
func (ac *ArticleController) Hot(c *gin.Context) {
	items, err := ac.Content.Hot(c.Request.Context())
	answerPage(c, content.Page[content.Article]{Items: items, Total: len(items), Size: content.HotSize, Current: 1}, err)
}

// Search serves GET /blogapi/article/search (`keyword`, `tag`, `page`,
// `pageSize`).
func (ac *ArticleController) Search(c *gin.Context) {
	q, ok := bindPage(c)
	if !ok {
		return
	}
	p, err := ac.Content.Search(c.Request.Context(), content.SearchQuery{Keyword: q.Keyword, Tag: q.Tag, Page: q.request()})
	answerPage(c, p, err)
}

// Drafts serves GET /blogapi/article/draft: the caller's drafts.
func (ac *ArticleController) Drafts(c *gin.Context) {
	q, ok := bindPage(c)
	if !ok {
		return
	}
	p, err := ac.Content.Drafts(c.Request.Context(), viewer(c), q.request())
	answerPage(c, p, err)
}

// ByAuthor serves GET /blogapi/user/:id/article: the user's public
// articles.
func (ac *ArticleController) ByAuthor(c *gin.Context) {
	q, ok := bindPage(c)
	if !ok {
		return
	}
	p, err := ac.Content.ByAuthor(c.Request.Context(), c.Param("id"), q.request())
	answerPage(c, p, err)
}

// Liked serves GET /blogapi/user/:id/like: the public articles the user
// likes, last liked first.
func (ac *ArticleController) Liked(c *gin.Context) {
	q, ok := bindPage(c)
	if !ok {
		return
	}
	p, err := ac.Content.Liked(c.Request.Context(), c.Param("id"), q.request())
	answerPage(c, p, err)
}

// clientKey identifies a reader for the read counter: the user, else the
// client's network.
func clientKey(c *gin.Context, v content.Viewer) string {
	if v.ID != "" {
		return "u:" + v.ID
	}
	return "n:" + auth.ClientNetwork(c.ClientIP())
}

// Detail serves GET /blogapi/article/detail/:id (the id or the slug). The
// ETag starts with the article's version ("v3-…"), so it can be sent back
// as If-Match on an edit.
func (ac *ArticleController) Detail(c *gin.Context) {
	v := viewer(c)
	d, err := ac.Content.Detail(c.Request.Context(), v, c.Param("id"), clientKey(c, v))
	if err != nil {
		response.Error(c, err)
		return
	}
	okCached(c, articleDetail(d), "v"+strconv.FormatInt(d.Article.Version, 10)+"-")
}

// articleBody is the publish and edit body (the original's, plus
// `format`, `publishedAt` and `version`). A member of the wrong JSON type
// is a 400 naming it.
type articleBody struct {
	Title       string     `json:"title"`
	Content     string     `json:"content"`
	Format      string     `json:"format"`
	Type        string     `json:"type"`
	TypeURL     string     `json:"typeUrl"`
	Category    string     `json:"category"`
	Tags        []string   `json:"tags"`
	Cover       string     `json:"cover"`
	Summary     string     `json:"summary"`
	Status      string     `json:"status"`
	IsPrivate   yesNo      `json:"isPrivate"`
	SEO         ArticleSEO `json:"seo"`
	PublishedAt int64      `json:"publishedAt"`
	Version     number     `json:"version"`
}

// yesNo is a JSON boolean, or a string or number meaning one: true for
// true, 1, "true" or "1".
type yesNo bool

// UnmarshalJSON accepts a boolean, a number or a string.
func (f *yesNo) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	*f = s == "true" || s == "1"
	return nil
}

// number is a JSON number or a string holding one.
type number int64

// UnmarshalJSON accepts 3 and "3" ("" and null are 0).
func (n *number) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "version", Type: nil}
	}
	*n = number(v)
	return nil
}

// bindArticle binds the publish and edit body from the signed parameters
// (signing.FromContext): each member of articleBody is taken as it was
// signed, a JSON value (tags, seo, version) as JSON, any other as text
// (tags in a query or form body as a comma-separated list), and decoded as
// one object, so a member of the wrong type is a 400 naming it.
func bindArticle(c *gin.Context) (content.ArticleInput, error) {
	params, ok := signing.FromContext(c.Request.Context())
	if !ok {
		return content.ArticleInput{}, errNotSigned
	}
	obj := map[string]json.RawMessage{}
	t := reflect.TypeFor[articleBody]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		p, found := params.Lookup(name)
		if !found {
			continue
		}
		switch {
		case p.JSON == signing.NotJSON && name == "tags":
			// A query or form body has no arrays: tags=go,db.
			q, _ := json.Marshal(strings.FieldsFunc(p.Value, func(r rune) bool { return r == ',' }))
			obj[name] = q
		case p.JSON == signing.NotJSON || p.JSON == signing.JSONString:
			q, _ := json.Marshal(p.Value)
			obj[name] = q
		case p.JSON == signing.JSONNull:
		default:
			obj[name] = json.RawMessage(p.Value)
		}
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return content.ArticleInput{}, err
	}
	var b articleBody
	if err := json.Unmarshal(raw, &b); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				field = te.Value
			}
			if i := strings.IndexAny(field, ".["); i > 0 {
				field = field[:i]
			}
			return content.ArticleInput{}, services.Invalid(field, "has the wrong type")
		}
		return content.ArticleInput{}, signing.ErrMalformedJSON
	}
	return content.ArticleInput{
		Title: b.Title, Content: b.Content, Format: b.Format, Type: b.Type, TypeURL: b.TypeURL,
		Category: b.Category, Tags: b.Tags, Cover: b.Cover, Summary: b.Summary, Status: b.Status,
		Private: bool(b.IsPrivate), PublishedAt: b.PublishedAt, Version: int64(b.Version),
		SEO: content.SEO{Title: b.SEO.Title, Keywords: b.SEO.Keywords, Description: b.SEO.Description},
	}, nil
}

// Publish serves POST /blogapi/article/section and answers the detail.
func (ac *ArticleController) Publish(c *gin.Context) {
	in, err := bindArticle(c)
	if err != nil {
		response.Error(c, err)
		return
	}
	d, err := ac.Content.Publish(c.Request.Context(), viewer(c), in)
	if err != nil {
		response.Error(c, err)
		return
	}
	c.Header("Cache-Control", cachePrivate)
	response.OK(c, articleDetail(d))
}

// ifMatchVersion reads the version out of an If-Match ETag ("v3-…").
func ifMatchVersion(h string) int64 {
	h = strings.Trim(strings.TrimPrefix(strings.TrimSpace(h), "W/"), `"`)
	if !strings.HasPrefix(h, "v") {
		return 0
	}
	n, _ := strconv.ParseInt(strings.SplitN(h[1:], "-", 2)[0], 10, 64)
	return n
}

// Edit serves PUT /blogapi/article/section/:id; a `version` in the body,
// or If-Match with the detail's ETag, makes a stale edit a 409.
func (ac *ArticleController) Edit(c *gin.Context) {
	in, err := bindArticle(c)
	if err != nil {
		response.Error(c, err)
		return
	}
	if in.Version == 0 {
		in.Version = ifMatchVersion(c.GetHeader("If-Match"))
	}
	d, err := ac.Content.Edit(c.Request.Context(), viewer(c), c.Param("id"), in)
	if err != nil {
		response.Error(c, err)
		return
	}
	c.Header("Cache-Control", cachePrivate)
	response.OK(c, articleDetail(d))
}

// Delete serves DELETE /blogapi/article/section/:id (soft delete).
func (ac *ArticleController) Delete(c *gin.Context) {
	if err := ac.Content.Delete(c.Request.Context(), viewer(c), c.Param("id")); err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, nil)
}
