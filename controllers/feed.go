package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/feeds"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/services/content"
)

// FeedItems is how many articles the feeds carry.
const FeedItems = 20

// FeedController serves the unsigned feeds and sitemap for readers and
// crawlers (they cannot sign): the latest public articles, linked at
// SiteURL + "/article/<id>" (the SPA's article page).
type FeedController struct {
	Content *content.Service
	// SiteURL is the site's public address (server.public_url), no
	// trailing slash; Title the feed's title.
	SiteURL, Title string
}

func (fc *FeedController) link(a content.Article) string { return fc.SiteURL + "/article/" + a.ID }

// feed is the latest public articles as a gorilla/feeds feed. Each item's
// id is its permalink, so readers never see an article twice.
func (fc *FeedController) feed(c *gin.Context) (*feeds.Feed, bool) {
	arts, err := fc.Content.Latest(c.Request.Context(), FeedItems)
	if err != nil {
		response.Error(c, err)
		return nil, false
	}
	f := &feeds.Feed{Title: fc.Title, Link: &feeds.Link{Href: fc.SiteURL + "/"}, Id: fc.SiteURL + "/",
		Description: fc.Title}
	for _, a := range arts {
		created := time.UnixMilli(a.PublishedAt).UTC()
		updated := created
		if a.Revised > a.PublishedAt {
			updated = time.UnixMilli(a.Revised).UTC()
		}
		if updated.After(f.Updated) {
			f.Updated = updated
		}
		f.Items = append(f.Items, &feeds.Item{
			Title: a.Title, Link: &feeds.Link{Href: fc.link(a)}, Id: fc.link(a), IsPermaLink: "true",
			Description: a.Summary, Author: &feeds.Author{Name: a.Author.Nick}, Created: created, Updated: updated,
		})
	}
	if f.Updated.IsZero() {
		f.Created = time.Unix(0, 0).UTC()
	} else {
		f.Created = f.Updated
	}
	return f, true
}

// answerXML answers body with contentType, an ETag, `Cache-Control:
// public, max-age=3600`, and 304 for a matching If-None-Match.
func answerXML(c *gin.Context, contentType, body string) {
	sum := sha256.Sum256([]byte(body))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	c.Header("Cache-Control", cacheFeeds)
	c.Header("ETag", etag)
	if etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, contentType, []byte(body))
}

// RSS serves GET /feed.xml (RSS 2.0).
func (fc *FeedController) RSS(c *gin.Context) {
	f, ok := fc.feed(c)
	if !ok {
		return
	}
	body, err := f.ToRss()
	if err != nil {
		response.Error(c, err)
		return
	}
	answerXML(c, "application/rss+xml; charset=utf-8", body)
}

// Atom serves GET /atom.xml (Atom 1.0).
func (fc *FeedController) Atom(c *gin.Context) {
	f, ok := fc.feed(c)
	if !ok {
		return
	}
	body, err := f.ToAtom()
	if err != nil {
		response.Error(c, err)
		return
	}
	answerXML(c, "application/atom+xml; charset=utf-8", body)
}

// sitemap is the sitemaps.org urlset.
type sitemap struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod"`
}

// maxSitemapURLs is the sitemaps.org limit of one file.
const maxSitemapURLs = 50000

// Sitemap serves GET /sitemap.xml: the home page and every public article.
func (fc *FeedController) Sitemap(c *gin.Context) {
	arts, err := fc.Content.Latest(c.Request.Context(), maxSitemapURLs-1)
	if err != nil {
		response.Error(c, err)
		return
	}
	sm := sitemap{NS: "http://www.sitemaps.org/schemas/sitemap/0.9", URLs: []sitemapURL{{Loc: fc.SiteURL + "/"}}}
	for _, a := range arts {
		mod := max(a.PublishedAt, a.Revised)
		sm.URLs = append(sm.URLs, sitemapURL{Loc: fc.link(a), LastMod: time.UnixMilli(mod).UTC().Format(time.RFC3339)})
	}
	if len(arts) > 0 {
		sm.URLs[0].LastMod = sm.URLs[1].LastMod
	}
	out, err := xml.MarshalIndent(sm, "", "  ")
	if err != nil {
		response.Error(c, err)
		return
	}
	answerXML(c, "application/xml; charset=utf-8", xml.Header+string(out))
}
