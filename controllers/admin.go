package controllers

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/admin"
	"github.com/blogapi/blogapi/services/content"
)

// AdminController serves the admin API under /blogapi/admin (docs/admin.md):
// users and the audit log. The admin middleware has checked the caller.
type AdminController struct {
	Admin *admin.Service
}

// adminActor is the admin calling, as the auth middleware read them.
func adminActor(c *gin.Context) admin.Actor {
	p, _ := middleware.PrincipalFrom(c.Request.Context())
	return admin.ActorOf(p, response.RequestID(c), c.ClientIP())
}

// newPage is an admin list's page as the blog's page object.
func newPage[S, T any](p admin.Page[S], conv func(S) T) pageObject[T] {
	return pageOf(content.Page[S]{Items: p.Items, Total: int(p.Total), Size: p.PageSize, Current: p.Page}, conv)
}

// adminUser is a user as the admin sees it: everything but secrets.
type adminUser struct {
	ID            string `json:"id"`
	Account       string `json:"account"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"emailVerified"`
	Nick          string `json:"nick"`
	Avatar        string `json:"avatar"`
	Type          string `json:"type"`
	Level         int    `json:"level"`
	Status        string `json:"status"`
	StatusReason  string `json:"statusReason"`
	Created       int64  `json:"created"`
	LastLoginAt   int64  `json:"lastLoginAt"`
	DeletedAt     int64  `json:"deletedAt"`
	ReleasedAt    int64  `json:"releasedAt"`
	// CommentBanned and CommentBanReason: banned from commenting
	// (docs/admin.md, "Comments").
	CommentBanned    bool   `json:"commentBanned"`
	CommentBanReason string `json:"commentBanReason"`
}

func newAdminUser(u admin.User) adminUser {
	return adminUser{ID: u.ID, Account: u.Account, Email: u.Email, EmailVerified: u.EmailVerified, Nick: u.Nick,
		Avatar: u.Avatar, Type: u.Type, Level: u.Level, Status: u.Status, StatusReason: u.StatusReason,
		Created: u.Created, LastLoginAt: u.LastLoginAt, DeletedAt: u.DeletedAt, ReleasedAt: u.ReleasedAt,
		CommentBanned: u.CommentBanned, CommentBanReason: u.CommentBanReason}
}

// adminSession is one session in a user's detail (times in ms).
type adminSession struct {
	ID         string `json:"id"`
	Device     string `json:"device"`
	IP         string `json:"ip"`
	CreatedAt  int64  `json:"createdAt"`
	LastUsedAt int64  `json:"lastUsedAt"`
	ExpiresAt  int64  `json:"expiresAt"`
	Alive      bool   `json:"alive"`
	EndedAt    int64  `json:"endedAt"`
	EndReason  string `json:"endReason"`
}

type adminUserDetail struct {
	User         adminUser      `json:"user"`
	Sessions     []adminSession `json:"sessions"`
	FailedLogins int            `json:"failedLogins"`
}

// optInt parses an optional integer parameter: "" is nil.
func optInt(field, v string) (*int64, error) {
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, services.Invalid(field, "must be an integer")
	}
	return &n, nil
}

func optBool(field, v string) (*bool, error) {
	switch v {
	case "":
		return nil, nil
	case "true", "1":
		t := true
		return &t, nil
	case "false", "0":
		f := false
		return &f, nil
	}
	return nil, services.Invalid(field, "must be true or false")
}

// ListUsers serves GET /blogapi/admin/users.
func (ac *AdminController) ListUsers(c *gin.Context) {
	var in struct {
		Status        string `json:"status"`
		Type          string `json:"type"`
		Level         string `json:"level"`
		Q             string `json:"q"`
		EmailVerified string `json:"emailVerified"`
		From          string `json:"from"`
		To            string `json:"to"`
		Deleted       string `json:"deleted"`
		Sort          string `json:"sort"`
		Order         string `json:"order"`
		Page          string `json:"page"`
		PageSize      string `json:"pageSize"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	q := admin.UserQuery{Status: in.Status, Type: in.Type, Q: in.Q, Sort: in.Sort}
	var err error
	ints := map[string]*int64{}
	for _, p := range []struct{ name, v string }{{"level", in.Level}, {"from", in.From}, {"to", in.To}, {"page", in.Page}, {"pageSize", in.PageSize}} {
		if ints[p.name], err = optInt(p.name, p.v); err != nil {
			response.Error(c, err)
			return
		}
	}
	if v := ints["level"]; v != nil {
		level := int(min(max(*v, -1), admin.MaxLevel+1))
		q.Level = &level
	}
	q.From, q.To = deref(ints["from"]), deref(ints["to"])
	q.Page, q.PageSize = int(min(deref(ints["page"]), 1<<20)), int(min(deref(ints["pageSize"]), 1<<20))
	if q.EmailVerified, err = optBool("emailVerified", in.EmailVerified); err != nil {
		response.Error(c, err)
		return
	}
	if q.Deleted, err = optBool("deleted", in.Deleted); err != nil {
		response.Error(c, err)
		return
	}
	switch in.Order {
	case "", "desc":
	case "asc":
		q.Asc = true
	default:
		response.Error(c, services.Invalid("order", "must be one of asc, desc"))
		return
	}
	page, err := ac.Admin.ListUsers(c.Request.Context(), q)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, newPage(page, newAdminUser))
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// User serves GET /blogapi/admin/users/:id: the user, their sessions and
// failed logins.
func (ac *AdminController) User(c *gin.Context) {
	d, err := ac.Admin.User(c.Request.Context(), c.Param("id"))
	if err != nil {
		response.Error(c, err)
		return
	}
	out := adminUserDetail{User: newAdminUser(d.User), Sessions: make([]adminSession, len(d.Sessions)), FailedLogins: d.FailedLogins}
	for i, s := range d.Sessions {
		as := adminSession{ID: s.ID, Device: s.Device, IP: s.IP, CreatedAt: s.CreatedAt.UnixMilli(),
			LastUsedAt: s.LastUsedAt.UnixMilli(), ExpiresAt: s.ExpiresAt.UnixMilli(), Alive: s.Alive, EndReason: s.EndReason}
		if s.EndedAt != nil {
			as.EndedAt = s.EndedAt.UnixMilli()
		}
		out.Sessions[i] = as
	}
	response.OK(c, out)
}

// SetStatus serves PUT /blogapi/admin/users/:id/status {status, reason}.
func (ac *AdminController) SetStatus(c *gin.Context) {
	var in struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	ac.answerUser(c)(ac.Admin.SetStatus(c.Request.Context(), adminActor(c), c.Param("id"), in.Status, in.Reason))
}

// SetLevel serves PUT /blogapi/admin/users/:id/level {level}.
func (ac *AdminController) SetLevel(c *gin.Context) {
	var in struct {
		Level string `json:"level"` // decimal text
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	level, err := strconv.Atoi(in.Level)
	if err != nil {
		response.Error(c, services.Invalid("level", "must be an integer from 0 to 10"))
		return
	}
	ac.answerUser(c)(ac.Admin.SetLevel(c.Request.Context(), adminActor(c), c.Param("id"), level))
}

// SetType serves PUT /blogapi/admin/users/:id/type {type, password}.
func (ac *AdminController) SetType(c *gin.Context) {
	var in struct {
		Type     string `json:"type"`
		Password string `json:"password"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	ac.answerUser(c)(ac.Admin.SetType(c.Request.Context(), adminActor(c), c.Param("id"), in.Type, in.Password))
}

// EndSessions serves DELETE /blogapi/admin/users/:id/sessions → {ended}.
func (ac *AdminController) EndSessions(c *gin.Context) {
	n, err := ac.Admin.EndSessions(c.Request.Context(), adminActor(c), c.Param("id"))
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, gin.H{"ended": n})
}

// DeleteUser serves POST /blogapi/admin/users/:id/delete {password}.
func (ac *AdminController) DeleteUser(c *gin.Context) {
	var in struct {
		Password string `json:"password"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	ac.answerUser(c)(ac.Admin.DeleteUser(c.Request.Context(), adminActor(c), c.Param("id"), in.Password))
}

// answerUser answers a changed user, or the error.
func (ac *AdminController) answerUser(c *gin.Context) func(admin.User, error) {
	return func(u admin.User, err error) {
		if err != nil {
			response.Error(c, err)
			return
		}
		response.OK(c, newAdminUser(u))
	}
}

// auditEntry is an entry of the audit log as the API shows it.
type auditEntry struct {
	ID         string         `json:"id"`
	At         int64          `json:"at"`
	Who        string         `json:"who"`
	WhoAccount string         `json:"whoAccount"`
	Action     string         `json:"action"`
	TargetType string         `json:"targetType"`
	Target     string         `json:"target"`
	Before     map[string]any `json:"before"`
	After      map[string]any `json:"after"`
	Reason     string         `json:"reason"`
	RequestID  string         `json:"requestId"`
	IP         string         `json:"ip"`
}

func newAuditEntry(e admin.AuditEntry) auditEntry {
	out := auditEntry{ID: e.ID, At: e.At, Who: e.Who, WhoAccount: e.WhoAccount, Action: e.Action,
		TargetType: e.TargetType, Target: e.Target, Before: e.Before, After: e.After, Reason: e.Reason,
		RequestID: e.RequestID, IP: e.IP}
	if out.Before == nil {
		out.Before = map[string]any{}
	}
	if out.After == nil {
		out.After = map[string]any{}
	}
	return out
}

// Audit serves GET /blogapi/admin/audit.
func (ac *AdminController) Audit(c *gin.Context) {
	var in struct {
		Who        string `json:"who"`
		Action     string `json:"action"`
		TargetType string `json:"targetType"`
		Target     string `json:"target"`
		From       string `json:"from"`
		To         string `json:"to"`
		Page       string `json:"page"`
		PageSize   string `json:"pageSize"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	q := admin.AuditQuery{Who: in.Who, Action: in.Action, TargetType: in.TargetType, Target: in.Target}
	for _, p := range []struct {
		name, v string
		dst     *int64
	}{{"from", in.From, &q.From}, {"to", in.To, &q.To}} {
		n, err := optInt(p.name, p.v)
		if err != nil {
			response.Error(c, err)
			return
		}
		*p.dst = deref(n)
	}
	for _, p := range []struct {
		name, v string
		dst     *int
	}{{"page", in.Page, &q.Page}, {"pageSize", in.PageSize, &q.PageSize}} {
		n, err := optInt(p.name, p.v)
		if err != nil {
			response.Error(c, err)
			return
		}
		*p.dst = int(min(deref(n), 1<<20))
	}
	page, err := ac.Admin.AuditLog(c.Request.Context(), q)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, newPage(page, newAuditEntry))
}

// dashboardDay is one day of the dashboard: its UTC date and counts.
type dashboardDay struct {
	Day           string `json:"day"`
	Registrations int64  `json:"registrations"`
	Logins        int64  `json:"logins"`
}

type dashboard struct {
	Users struct {
		Total    int64            `json:"total"`
		Deleted  int64            `json:"deleted"`
		ByStatus map[string]int64 `json:"byStatus"`
		ByType   map[string]int64 `json:"byType"`
	} `json:"users"`
	Articles struct {
		Total    int64            `json:"total"`
		ByStatus map[string]int64 `json:"byStatus"`
		Private  int64            `json:"private"`
	} `json:"articles"`
	Comments struct {
		Total   int64            `json:"total"`
		ByState map[string]int64 `json:"byState"`
		Pending int64            `json:"pending"`
	} `json:"comments"`
	Days []dashboardDay `json:"days"`
}

// Dashboard serves GET /blogapi/admin/dashboard: users by status and type,
// registrations and logins of the last 30 days (oldest first).
func (ac *AdminController) Dashboard(c *gin.Context) {
	d, err := ac.Admin.Dashboard(c.Request.Context())
	if err != nil {
		response.Error(c, err)
		return
	}
	var out dashboard
	out.Users.Total, out.Users.Deleted = d.Users.Total, d.Users.Deleted
	out.Users.ByStatus, out.Users.ByType = map[string]int64{}, map[string]int64{}
	for _, s := range admin.Statuses {
		out.Users.ByStatus[s] = d.Users.ByStatus[s]
	}
	for _, t := range admin.Types {
		out.Users.ByType[t] = d.Users.ByType[t]
	}
	out.Articles.Total, out.Articles.Private, out.Articles.ByStatus = d.Content.ArticlesTotal, d.Content.PrivateArticles, map[string]int64{}
	for _, st := range content.ArticleStatuses {
		out.Articles.ByStatus[st] = d.Content.Articles[st]
	}
	out.Comments.Total, out.Comments.ByState = d.Content.CommentsTotal, map[string]int64{}
	for _, st := range content.CommentStates {
		out.Comments.ByState[st] = d.Content.Comments[st]
	}
	out.Comments.Pending = d.Content.HeldComments
	out.Days = make([]dashboardDay, len(d.Days))
	for i, day := range d.Days {
		out.Days[i] = dashboardDay{Day: day, Registrations: d.Users.Registrations[i], Logins: d.Logins[i]}
	}
	response.OK(c, out)
}

// ModerateComment serves PUT /blogapi/admin/articles/:id/comments/:commentId/state
// {state: visible | held | hidden | spam | deleted} → {state}.
func (ac *AdminController) ModerateComment(c *gin.Context) {
	var in struct {
		State string `json:"state"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	after, err := ac.Admin.ModerateComment(c.Request.Context(), adminActor(c), c.Param("id"), c.Param("commentId"), in.State)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, gin.H{"state": after.State})
}

// ListArticles serves GET /blogapi/admin/articles: every article whatever
// its status (`status`, `author`, `category`, `tag`, `q`, `from`, `to`,
// `page`, `pageSize`), in the blog's page object.
func (ac *AdminController) ListArticles(c *gin.Context) {
	var in struct {
		Status   string `json:"status"`
		Author   string `json:"author"`
		Category string `json:"category"`
		Q        string `json:"q"`
		Tag      string `json:"tag"`
		From     string `json:"from"`
		To       string `json:"to"`
		Page     string `json:"page"`
		PageSize string `json:"pageSize"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	q := content.ManageQuery{Status: in.Status, Author: in.Author, Category: in.Category, Q: in.Q, Tag: in.Tag}
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
	page, err := ac.Admin.ListArticles(c.Request.Context(), q)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, articlePage(page))
}

// SetArticleStatus serves PUT /blogapi/admin/articles/:id/status {status:
// online | draft | delete} → the article.
func (ac *AdminController) SetArticleStatus(c *gin.Context) {
	var in struct {
		Status string `json:"status"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	a, err := ac.Admin.SetArticleStatus(c.Request.Context(), adminActor(c), c.Param("id"), in.Status)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, articleItem(a))
}

// SetArticleFlags serves PUT /blogapi/admin/articles/:id/flags {toped,
// hotted} (each optional, true or false) → the article.
func (ac *AdminController) SetArticleFlags(c *gin.Context) {
	var in struct {
		Toped  string `json:"toped"`
		Hotted string `json:"hotted"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	var f content.Flags
	var err error
	if f.Toped, err = optBool("toped", in.Toped); err != nil {
		response.Error(c, err)
		return
	}
	if f.Hotted, err = optBool("hotted", in.Hotted); err != nil {
		response.Error(c, err)
		return
	}
	if f.Toped == nil && f.Hotted == nil {
		response.Error(c, services.Invalid("toped", "or hotted is required"))
		return
	}
	a, err := ac.Admin.SetArticleFlags(c.Request.Context(), adminActor(c), c.Param("id"), f)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, articleItem(a))
}

// adminBanner is a banner as the admin sees it.
type adminBanner struct {
	ID      string `json:"id"`
	Cover   string `json:"cover"`
	GoURL   string `json:"goUrl"`
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Index   int    `json:"index"`
	Enabled bool   `json:"enabled"`
	Created int64  `json:"created"`
	Updated int64  `json:"updated"`
}

func newAdminBanner(b content.Banner) adminBanner {
	return adminBanner{ID: b.ID, Cover: b.Cover, GoURL: b.GoURL, Title: b.Title, Summary: b.Summary, Index: b.Index,
		Enabled: b.Enabled, Created: b.Created, Updated: b.Updated}
}

// bindBanner reads a banner's fields; absent ones are nil.
func bindBanner(c *gin.Context) (content.BannerInput, error) {
	var in struct {
		Cover   *string `json:"cover"`
		GoURL   *string `json:"goUrl"`
		Title   *string `json:"title"`
		Summary *string `json:"summary"`
		Index   *string `json:"index"`   // decimal text
		Enabled *string `json:"enabled"` // true or false
	}
	if err := bind(c, &in); err != nil {
		return content.BannerInput{}, err
	}
	out := content.BannerInput{Cover: in.Cover, GoURL: in.GoURL, Title: in.Title, Summary: in.Summary}
	if in.Index != nil {
		n, err := strconv.Atoi(*in.Index)
		if err != nil {
			return out, services.Invalid("index", "must be an integer from 0 to 9999")
		}
		out.Index = &n
	}
	if in.Enabled != nil {
		b, err := optBool("enabled", *in.Enabled)
		if err != nil || b == nil {
			return out, services.Invalid("enabled", "must be true or false")
		}
		out.Enabled = b
	}
	return out, nil
}

// ListBanners serves GET /blogapi/admin/banners: every banner, disabled
// ones too, in order.
func (ac *AdminController) ListBanners(c *gin.Context) {
	bs, err := ac.Admin.ListBanners(c.Request.Context())
	if err != nil {
		response.Error(c, err)
		return
	}
	out := make([]adminBanner, len(bs))
	for i, b := range bs {
		out[i] = newAdminBanner(b)
	}
	response.OK(c, out)
}

// CreateBanner serves POST /blogapi/admin/banners {cover, goUrl, title,
// summary, index, enabled} → the banner.
func (ac *AdminController) CreateBanner(c *gin.Context) {
	in, err := bindBanner(c)
	if err != nil {
		response.Error(c, err)
		return
	}
	b, err := ac.Admin.CreateBanner(c.Request.Context(), adminActor(c), in)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, newAdminBanner(b))
}

// EditBanner serves PUT /blogapi/admin/banners/:id (the fields sent
// change) → the banner.
func (ac *AdminController) EditBanner(c *gin.Context) {
	in, err := bindBanner(c)
	if err != nil {
		response.Error(c, err)
		return
	}
	b, err := ac.Admin.EditBanner(c.Request.Context(), adminActor(c), c.Param("id"), in)
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, newAdminBanner(b))
}

// DeleteBanner serves DELETE /blogapi/admin/banners/:id → {id}.
func (ac *AdminController) DeleteBanner(c *gin.Context) {
	if err := ac.Admin.DeleteBanner(c.Request.Context(), adminActor(c), c.Param("id")); err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, gin.H{"id": c.Param("id")})
}
