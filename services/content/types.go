package content

import "github.com/blogapi/blogapi/models"

// Author is an article's author as the article shows them (copied when
// it is published). IsAdmin: the author is an admin.
type Author struct {
	ID, Nick, Cover, Type string
	Level                 int
	IsAdmin               bool
}

// SEO are an article's own search-engine fields.
type SEO struct{ Title, Keywords, Description string }

// Article is an article without its body, as lists and the detail show
// it. Times are ms since the Unix epoch; Revised 0 is never edited.
type Article struct {
	ID, Slug, Title, Summary, Cover, Type, TypeURL, Category string
	Tags                                                     []string
	SEO                                                      SEO
	Author                                                   Author
	// Status is models.ArticleDraft, ArticleOnline or ArticleDeleted.
	Status                        string
	Private                       bool
	PublishedAt, Created, Revised int64
	Read, Praise, Review          int64
	Toped, Hotted                 bool
	// Weight is the admin's recommendation weight (MinWeight..MaxWeight).
	Weight  int
	Version int64
}

func articleOf(a models.Article) Article {
	tags := a.Tags
	if tags == nil {
		tags = []string{}
	}
	return Article{
		ID: a.ID, Slug: a.Slug, Title: a.Title, Summary: a.Summary, Cover: a.Cover, Type: a.Type, TypeURL: a.TypeURL,
		Category: a.Category, Tags: tags, SEO: SEO(a.SEO),
		Author: Author{ID: a.Author.ID, Nick: a.Author.Nick, Cover: a.Author.Cover, Type: a.Author.Type,
			Level: a.Author.Level, IsAdmin: a.Author.Type == models.TypeAdmin},
		Status: a.Status, Private: a.Private, PublishedAt: a.PublishedAt, Created: a.Created, Revised: a.Revised,
		Read: a.Read, Praise: a.Praise, Review: a.Review, Toped: a.Toped, Hotted: a.Hotted, Weight: a.Weight, Version: a.Version,
	}
}

func pageOf(p Page[models.Article]) Page[Article] {
	out := Page[Article]{Items: make([]Article, len(p.Items)), Total: p.Total, Size: p.Size, Current: p.Current}
	for i, a := range p.Items {
		out.Items[i] = articleOf(a)
	}
	return out
}

// Comment is a comment of an article's thread. TargetID is the root a
// reply belongs to ("" for a root); ParentID the user replied to; State
// the moderation state (models.CommentVisible, CommentHeld, CommentHidden,
// CommentSpam, CommentDeleted).
type Comment struct {
	ID, TargetID, UserID, Nick, Cover, Type string
	Level                                   int
	IsAdmin, Author                         bool
	ParentID, ParentNick                    string
	ParentAuthor                            bool
	Content, State                          string
	Created                                 int64
}

func commentOf(c models.Comment) Comment {
	return Comment{ID: c.ID, TargetID: c.TargetID, UserID: c.UserID, Nick: c.Nick, Cover: c.Cover, Type: c.Type,
		Level: c.Level, IsAdmin: c.Type == models.TypeAdmin, Author: c.Author, ParentID: c.ParentID,
		ParentNick: c.ParentNick, ParentAuthor: c.ParentAuthor, Content: c.Content, State: c.State, Created: c.Created}
}

// ArticleType is an article type: Identify is what articles name.
type ArticleType struct{ Identify, Name string }

// PublicUser is a user as their author page shows them: never their
// e-mail, phone, status or last login.
type PublicUser struct {
	ID, Nick, Avatar, Type, Summary, Web string
	Level                                int
	Created                              int64
}
