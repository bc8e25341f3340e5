package content

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gosimple/slug"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"golang.org/x/net/html"
)

// Article formats: `content` arrives as HTML (the SPA's rich-text editor)
// or Markdown.
const (
	FormatHTML     = "html"
	FormatMarkdown = "markdown"
)

// renderer turns submitted content into the stored HTML and its plain
// text: Markdown through goldmark (raw HTML in it is dropped), then every
// body through one bluemonday policy, once, on write (docs/blog.md).
type renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// languageClass is the class highlighters put on code blocks.
var languageClass = regexp.MustCompile(`^language-[A-Za-z0-9_+-]{1,32}$`)

func newRenderer() *renderer {
	p := bluemonday.UGCPolicy()
	// Links: relative ones as they are; links to other hosts get
	// rel="nofollow noopener" and open in a new tab.
	p.RequireNoFollowOnLinks(false)
	p.RequireNoFollowOnFullyQualifiedLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowAttrs("class").Matching(languageClass).OnElements("code")
	return &renderer{
		md:     goldmark.New(goldmark.WithExtensions(extension.GFM)),
		policy: p,
	}
}

// render returns the sanitised HTML of content in format and its plain
// text.
func (r *renderer) render(content, format string) (htmlOut, plain string, err error) {
	src := content
	if format == FormatMarkdown {
		var buf bytes.Buffer
		if err := r.md.Convert([]byte(content), &buf); err != nil {
			return "", "", err
		}
		src = buf.String()
	}
	htmlOut = r.policy.Sanitize(src)
	return htmlOut, plainText(htmlOut), nil
}

// blockElements end a run of text in the plain-text copy.
var blockElements = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "ul": true, "ol": true, "pre": true, "blockquote": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "tr": true, "td": true, "th": true,
	"table": true, "hr": true, "section": true, "article": true, "figure": true, "figcaption": true,
}

// plainText is the text of sanitised HTML, whitespace collapsed, with a
// space where a block ends (so words of two paragraphs do not run
// together).
func plainText(s string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			if blockElements[string(name)] {
				b.WriteByte(' ')
			}
		}
	}
}

// summaryRunes is the length of a default summary.
const summaryRunes = 240

// truncateRunes returns the first n runes of s.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// slugMaxBytes bounds a slug (ASCII).
const slugMaxBytes = 80

// makeSlug is the URL slug of a title (github.com/gosimple/slug:
// transliterated, lower case, hyphens), "article" when nothing is left.
func makeSlug(title string) string {
	s := slug.Make(title)
	if len(s) > slugMaxBytes {
		s = strings.TrimRight(s[:slugMaxBytes], "-")
	}
	if s == "" {
		return "article"
	}
	return s
}
