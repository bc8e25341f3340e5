package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services/content"
)

// The blog-scale phase: two API instances over databases of their own, one
// with -blog-base articles and one with -blog-articles (each article about
// 8 KB, -blog-comments comments and -blog-likes likes; -blog-users users in
// both), and the blog's public reads and a like measured one request at a
// time on both, beside the user centre of the same instance, the two sets
// taken in turn request by request (docs/operations.md, "Benchmarks").

// blogOptions are the flags of the blog-scale phase.
type blogOptions struct {
	articles int // the large set; 0 skips the phase
	base     int // the small set, for the growth ratio
	users    int
	comments int // per article
	likes    int // per article
	duration time.Duration
	rounds   int
}

func (b *blogOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&b.articles, "blog-articles", 2000, "articles of the blog-scale data set (0 skips the blog-scale phase)")
	fs.IntVar(&b.base, "blog-base", 200, "articles of the small blog-scale set the growth ratios compare with")
	fs.IntVar(&b.users, "blog-users", 50000, "users of each blog-scale set")
	fs.IntVar(&b.comments, "blog-comments", 10, "comments per article of the blog-scale sets")
	fs.IntVar(&b.likes, "blog-likes", 50, "likes per article of the blog-scale sets (each by another user)")
	fs.DurationVar(&b.duration, "blog-duration", 6*time.Second, "length of each blog-scale scenario, summed over the rounds (its requests on both sets and the user centre's sent in turn with them)")
	fs.IntVar(&b.rounds, "blog-rounds", 3, "rounds of the blog-scale scenarios (each round: every scenario in turn, on both sets alternately, request by request)")
}

// quick is -quick's blog scale: tiny sets, short measurements.
func (b *blogOptions) quick(set map[string]bool) {
	for name, apply := range map[string]func(){
		"blog-articles": func() { b.articles = 40 },
		"blog-base":     func() { b.base = 10 },
		"blog-users":    func() { b.users = 200 },
		"blog-duration": func() { b.duration = 400 * time.Millisecond },
		"blog-rounds":   func() { b.rounds = 1 },
	} {
		if !set[name] {
			apply()
		}
	}
}

func (b blogOptions) validate() error {
	switch {
	case b.articles == 0:
		return nil
	case b.articles < 0 || b.base < blogTemplates || b.base >= b.articles:
		return fmt.Errorf("-blog-base must be at least %d and below -blog-articles (or -blog-articles 0 to skip)", blogTemplates)
	case b.users < max(b.likes, growthCenterUsers) || b.comments < 0 || b.likes < 0:
		return errors.New("-blog-users must be at least -blog-likes and 4; -blog-comments and -blog-likes must not be negative")
	case b.duration <= 0 || b.rounds < 1:
		return errors.New("-blog-duration must be positive and -blog-rounds at least 1")
	}
	return nil
}

// The data set's shape.
const (
	// blogTemplates articles of each set are published through the API
	// (POST /blogapi/article/section); the others are copies of their
	// stored documents with a title, slug, category, tags and times of
	// their own, so every document is what the API writes.
	blogTemplates = 2
	// blogNeedleEvery: every so many articles hold blogNeedle in their
	// text (5%), the word searched for.
	blogNeedleEvery = 20
	blogNeedle      = "needle"
	blogBodyBytes   = 8 << 10
	blogTagKinds    = 50
	// blogAuthor writes every article; blogReader likes and unlikes.
	blogAuthor = "blogauthor"
	blogReader = "blogreader"
)

// blogCategories are the data set's categories (besides the default one).
var blogCategories = []string{"go", "databases", "web", "operations", "notes"}

func blogTitle(i int) string    { return fmt.Sprintf("Blog scale article %d", i) }
func blogSlug(i int) string     { return fmt.Sprintf("blog-scale-article-%d", i) }
func blogCategory(i int) string { return blogCategories[i%len(blogCategories)] }
func blogTags(i int) []string {
	return []string{blogCategory(i), fmt.Sprintf("topic-%d", i%blogTagKinds)}
}
func blogTemplateOf(i int) int {
	if i%blogNeedleEvery == 0 {
		return 0
	}
	return 1
}

// blogContent is an article body of about blogBodyBytes of HTML as the
// SPA's editor sends it: headings, paragraphs, a list, a link and code;
// with needle, its last paragraph holds blogNeedle.
func blogContent(needle bool) string {
	words := strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt " +
		"ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip " +
		"ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur")
	var b strings.Builder
	b.WriteString("<h2>Running a small blog</h2>\n")
	for k := 0; b.Len() < blogBodyBytes-200; k++ {
		switch k % 8 {
		case 3:
			b.WriteString("<ul><li>one request at a time</li><li>reads by <code>_id</code></li><li>no scan on a hot path</li></ul>\n")
		case 5:
			b.WriteString("<pre><code>go run ./bench -update\ngo test ./...\n</code></pre>\n")
		case 7:
			fmt.Fprintf(&b, "<h3>Part %d</h3>\n<p>See <a href=\"https://go.dev/doc/\">the Go documentation</a>.</p>\n", k/8+1)
		default:
			b.WriteString("<p>")
			for w := range 60 {
				if w > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(words[(k*7+w*3)%len(words)])
			}
			b.WriteString(".</p>\n")
		}
	}
	if needle {
		b.WriteString("<p>The one word this paragraph adds is " + blogNeedle + ".</p>\n")
	}
	return b.String()
}

// blogUser is a seeded user as a comment or a like names them.
type blogUser struct {
	ID, Nick, Cover, Type string
	Level                 int
}

// blogSet is one seeded data set and the API instance over it.
type blogSet struct {
	Articles, Comments, Likes, Users int
	Seeding                          time.Duration

	inst      *target
	ids       []string // article ids by number
	templates [blogTemplates]models.Article
	bodies    [blogTemplates]models.ArticleBody
	users     []blogUser // users[k] is accountName(k)
	centre    []string   // access tokens for the user centre
	reader    string     // access token of blogReader
}

// seedBlog fills inst's (empty) database with o.users users, a writer and
// a reader, the categories, n articles with their comments and likes, and
// checks a few of them through the API.
func seedBlog(ctx context.Context, inst *target, n int, o blogOptions, pr *progress) (*blogSet, error) {
	start := time.Now()
	set := &blogSet{Articles: n, Comments: n * o.comments, Likes: n * o.likes, Users: o.users, inst: inst}
	users, err := seedBlogUsers(ctx, inst, o.users)
	if err != nil {
		return nil, err
	}
	set.users = users
	pr.printf("blog scale: %d users seeded", o.users)
	now := time.Now().UnixMilli()
	extra := []models.User{
		{Account: blogAuthor, Email: blogAuthor + "@bench.example", Status: models.StatusNormal, Nick: "writer",
			Avatar: "https://bench.example/writer.png", Created: now, Type: content.TypeAuthor, Level: 3, PasswordHash: inst.hash},
		{Account: blogReader, Email: blogReader + "@bench.example", Status: models.StatusNormal, Nick: "reader",
			Created: now, Type: models.TypeClient, PasswordHash: inst.hash},
	}
	if err := inst.db.Users.CreateMany(ctx, extra); err != nil {
		return nil, fmt.Errorf("seed writer and reader: %w", err)
	}
	// The categories as the admin's POST /blogapi/admin/categories adds
	// them, each last (after the default one, index 0).
	for i, c := range blogCategories {
		if err := inst.db.Taxonomy.PutCategory(ctx, models.Category{Name: c, Created: now + int64(i), Index: i + 1}); err != nil {
			return nil, fmt.Errorf("seed category %s: %w", c, err)
		}
	}

	s := newSigner(inst.key, inst.secret)
	client := &http.Client{Timeout: 30 * time.Second}
	writer, err := inst.loginAccount(ctx, client, s, blogAuthor)
	if err != nil {
		return nil, err
	}
	set.ids = make([]string, n)
	for i := range blogTemplates {
		id, err := publishBlogArticle(ctx, client, s, inst.base, writer, i)
		if err != nil {
			return nil, err
		}
		if set.templates[i], err = inst.db.Articles.ByID(ctx, id); err != nil {
			return nil, fmt.Errorf("read template %d: %w", i, err)
		}
		if set.bodies[i], err = inst.db.Articles.Body(ctx, id); err != nil {
			return nil, fmt.Errorf("read template %d: %w", i, err)
		}
		set.ids[i] = id
	}

	// The copies: older than the templates, one a minute.
	const batch = 200
	var tags []string
	for k := range blogTagKinds {
		tags = append(tags, blogTags(k)...)
	}
	if err := inst.db.Taxonomy.EnsureTags(ctx, tags, now); err != nil {
		return nil, err
	}
	first := set.templates[0].PublishedAt - int64(n)*60_000
	for from := blogTemplates; from < n; from += batch {
		arts := make([]models.Article, 0, batch)
		bodies := make([]models.ArticleBody, 0, batch)
		for i := from; i < min(from+batch, n); i++ {
			a, b := set.article(i, first+int64(i)*60_000)
			a.Review, a.Praise = int64(o.comments), int64(o.likes)
			arts, bodies = append(arts, a), append(bodies, b)
			set.ids[i] = a.ID
		}
		if err := inst.db.Articles.CreateMany(ctx, arts, bodies); err != nil {
			return nil, fmt.Errorf("seed articles %d–%d: %w", from, from+len(arts)-1, err)
		}
	}

	pr.printf("blog scale: %d articles seeded", n)
	threads := make(map[string][]models.Comment, n)
	var likes []models.Like
	for i, id := range set.ids {
		a := set.templates[blogTemplateOf(i)]
		a.ID, a.PublishedAt = id, first+int64(i)*60_000
		if i < blogTemplates {
			a.PublishedAt = set.templates[i].PublishedAt
		}
		threads[id] = blogThread(a, i, o.comments, users)
		for j := range o.likes {
			likes = append(likes, blogLike(users[(i*o.likes+j)%len(users)], id, a.PublishedAt+int64(j+1)*1000))
		}
	}
	if err := inst.db.Comments.CreateMany(ctx, threads, now); err != nil {
		return nil, fmt.Errorf("seed comments: %w", err)
	}
	pr.printf("blog scale: %d comments seeded", n*o.comments)
	if err := inst.db.Likes.CreateMany(ctx, likes); err != nil {
		return nil, fmt.Errorf("seed likes: %w", err)
	}
	// The templates' counters, as each comment and like would have
	// counted them.
	for i := range blogTemplates {
		c := models.ArticleCounters{Review: int64(o.comments), Praise: int64(o.likes)}
		if err := inst.db.Articles.Inc(ctx, set.ids[i], c); err != nil {
			return nil, fmt.Errorf("count template %d: %w", i, err)
		}
	}

	pr.printf("blog scale: %d likes seeded", len(likes))
	if set.centre, err = inst.login(ctx, growthCenterUsers); err != nil {
		return nil, err
	}
	if set.reader, err = inst.loginAccount(ctx, client, s, blogReader); err != nil {
		return nil, err
	}
	if err := set.check(ctx, client, s, o); err != nil {
		return nil, err
	}
	set.Seeding = time.Since(start)
	return set, nil
}

// seedBlogUsers inserts users accountName(0) … accountName(n-1) as seedTo
// does, and returns them as comments and likes name them.
func seedBlogUsers(ctx context.Context, inst *target, n int) ([]blogUser, error) {
	const batch = 1000
	out := make([]blogUser, 0, n)
	now := time.Now().UnixMilli()
	for from := 0; from < n; from += batch {
		users := make([]models.User, 0, batch)
		for i := from; i < min(from+batch, n); i++ {
			users = append(users, inst.benchUser(i, now))
		}
		if err := inst.db.Users.CreateMany(ctx, users); err != nil {
			return nil, fmt.Errorf("seed users %d–%d: %w", from, from+len(users)-1, err)
		}
		for _, u := range users {
			out = append(out, blogUserOf(u))
		}
	}
	inst.seeded = n
	return out, nil
}

func blogUserOf(u models.User) blogUser {
	return blogUser{ID: u.ID.Hex(), Nick: u.Nick, Cover: u.Avatar, Type: u.Type, Level: u.Level}
}

// publishBlogArticle publishes article i of the data set through the API
// as the writer and returns its id.
func publishBlogArticle(ctx context.Context, client *http.Client, s *signer, base, token string, i int) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"title": blogTitle(i), "content": blogContent(blogTemplateOf(i) == 0), "type": "original",
		"category": blogCategory(i), "tags": blogTags(i), "status": models.ArticleOnline,
	})
	code, data, err := call(ctx, client, s.post(base, "/blogapi/article/section", body, http.Header{"Access-Token": {token}}))
	if err != nil {
		return "", fmt.Errorf("publish article %d: %w", i, err)
	}
	var d struct {
		ID string `json:"id"`
	}
	if code != response.CodeOK || json.Unmarshal(data, &d) != nil || d.ID == "" {
		return "", fmt.Errorf("publish article %d: envelope code %d %s", i, code, data)
	}
	return d.ID, nil
}

// article is article i of the set, published at ms: its template's stored
// documents with the fields that differ from article to article (id,
// title, the slug the title gives, category, tags, times) and no counts.
func (set *blogSet) article(i int, at int64) (models.Article, models.ArticleBody) {
	t := blogTemplateOf(i)
	a, b := set.templates[t], set.bodies[t]
	a.ID = models.NewArticleID()
	a.Title, a.Slug, a.Category, a.Tags = blogTitle(i), blogSlug(i), blogCategory(i), blogTags(i)
	a.Created, a.PublishedAt, a.Revised, a.Version = at, at, 0, 1
	a.Read, a.Praise, a.Review = 0, 0, 0
	b.ID = a.ID
	return a, b
}

// blogThread is the thread of article a (number i): n comments by users
// spread over users, every even one a root and every odd one a reply to
// the root before it, visible, one a minute after publication: what
// POST /blogapi/action/:id/comment writes for a commenter whose comments
// are approved (content.Service.Comment).
func blogThread(a models.Article, i, n int, users []blogUser) []models.Comment {
	out := make([]models.Comment, 0, n)
	for j := range n {
		u := users[spread(uint64(i*n+j), len(users))]
		var root *models.Comment
		if j%2 == 1 {
			root = &out[j-1]
		}
		out = append(out, blogComment(a, u, root, fmt.Sprintf("Comment %d on article %d: thanks, this helped.", j, i), a.PublishedAt+int64(j+1)*60_000))
	}
	return out
}

// blogComment is the visible comment u writes on a at ms, a reply to root
// when not nil, as content.Service.Comment builds it.
func blogComment(a models.Article, u blogUser, root *models.Comment, text string, at int64) models.Comment {
	c := models.Comment{
		ID: models.NewCommentID(), UserID: u.ID, Nick: u.Nick, Cover: u.Cover, Type: u.Type, Level: u.Level,
		Author: u.ID == a.AuthorID, Content: text, State: models.CommentVisible, Created: at,
	}
	if root != nil {
		c.TargetID, c.ParentID, c.ParentNick = root.ID, root.UserID, root.Nick
		c.ParentAuthor = c.ParentID == a.AuthorID
	}
	return c
}

// blogLike is u's like of article at ms, as content.Service.Like stores it.
func blogLike(u blogUser, article string, at int64) models.Like {
	return models.Like{ID: u.ID + ":" + article, User: u.ID, Article: article, At: at}
}

// check reads the set back through the API: the newest copy by its slug
// (its content the template's, its counters the seeded comments and
// likes), its comments, page 1 of the list and the search for blogNeedle.
func (set *blogSet) check(ctx context.Context, client *http.Client, s *signer, o blogOptions) error {
	n := set.Articles
	base := set.inst.base
	var detail struct {
		ID      string `json:"id"`
		Title   string `json:"title"`
		Content string `json:"content"`
		Praise  int    `json:"praise"`
		Review  int    `json:"review"`
	}
	if err := getData(ctx, client, s.get(base, "/blogapi/article/detail/"+blogSlug(n-1), nil, nil), &detail); err != nil {
		return err
	}
	if detail.ID != set.ids[n-1] || detail.Title != blogTitle(n-1) || detail.Content != set.bodies[blogTemplateOf(n-1)].HTML ||
		detail.Praise != o.likes || detail.Review != o.comments {
		return fmt.Errorf("blog seed: article %d reads back as %s %q, %d bytes of content, praise %d, review %d",
			n-1, detail.ID, detail.Title, len(detail.Content), detail.Praise, detail.Review)
	}
	var roots []struct {
		Sub []json.RawMessage `json:"sub"`
	}
	if err := getData(ctx, client, s.get(base, "/blogapi/action/"+set.ids[n-1]+"/comments", nil, nil), &roots); err != nil {
		return err
	}
	comments := len(roots)
	for _, r := range roots {
		comments += len(r.Sub)
	}
	if comments != o.comments || len(roots) != (o.comments+1)/2 {
		return fmt.Errorf("blog seed: article %d has %d comments in %d threads, want %d", n-1, comments, len(roots), o.comments)
	}
	var page struct {
		Total int `json:"total"`
	}
	if err := getData(ctx, client, s.get(base, "/blogapi/articles", nil, nil), &page); err != nil {
		return err
	}
	if page.Total != n {
		return fmt.Errorf("blog seed: the list has %d articles, want %d", page.Total, n)
	}
	if err := getData(ctx, client, s.get(base, "/blogapi/article/search", url.Values{"keyword": {blogNeedle}}, nil), &page); err != nil {
		return err
	}
	if want := (n + blogNeedleEvery - 1) / blogNeedleEvery; page.Total != want {
		return fmt.Errorf("blog seed: the search for %q finds %d articles, want %d", blogNeedle, page.Total, want)
	}
	return nil
}

// getData sends tgt and decodes the data of a 200 envelope into v.
func getData(ctx context.Context, client *http.Client, tgt requestSpec, v any) error {
	code, data, err := call(ctx, client, tgt)
	if err != nil {
		return fmt.Errorf("%s: %w", tgt.url, err)
	}
	if code != response.CodeOK {
		return fmt.Errorf("%s: envelope code %d %s", tgt.url, code, data)
	}
	return json.Unmarshal(data, v)
}

// write is a signed request of method with no body, the signing
// parameters in the query string, its timestamp unique (as post's).
func (s *signer) write(method, base, path string, header http.Header) requestSpec {
	q := url.Values{"auth_key": {s.key}, "timestamp": {s.uniqueTimestamp()}}
	s.sign(q, "", nil)
	return requestSpec{method: method, url: base + path + "?" + q.Encode(), header: withHeader(header)}
}

// blogScenario is one measured step: the requests of its i-th iteration,
// sent one after the other (like + unlike is two).
type blogScenario struct {
	name, what string
	next       func(i uint64) []requestSpec
}

// blogScenarios are the measured steps on set, the user centre first.
func blogScenarios(s *signer, set *blogSet) []blogScenario {
	base, n := set.inst.base, set.Articles
	get := func(path string, q url.Values, i uint64) requestSpec { return s.get(base, path, q, clientIP(i)) }
	article := func(i uint64) string { return set.ids[spread(i, n)] }
	return []blogScenario{
		{"user-center", "`GET /blogapi/user/center` (signed + JWT: session and user read by `_id`; the reference)", func(i uint64) []requestSpec {
			h := clientIP(i)
			h.Set("Access-Token", set.centre[i%uint64(len(set.centre))])
			return []requestSpec{s.get(base, "/blogapi/user/center", nil, h)}
		}},
		{"list", "`GET /blogapi/articles` (page 1, newest first)", func(i uint64) []requestSpec {
			return []requestSpec{get("/blogapi/articles", nil, i)}
		}},
		{"list-category", "`GET /blogapi/articles?category=…` (page 1 of one of 5 categories)", func(i uint64) []requestSpec {
			return []requestSpec{get("/blogapi/articles", url.Values{"category": {blogCategory(int(i))}}, i)}
		}},
		{"detail", "`GET /blogapi/article/detail/:id` (anonymous; articles spread over the set)", func(i uint64) []requestSpec {
			return []requestSpec{get("/blogapi/article/detail/"+article(i), nil, i)}
		}},
		{"comments", fmt.Sprintf("`GET /blogapi/action/:id/comments` (an article's %d comments: roots with a reply each)", set.Comments/n), func(i uint64) []requestSpec {
			return []requestSpec{get("/blogapi/action/"+article(i)+"/comments", nil, i)}
		}},
		{"like-unlike", "`POST` then `DELETE /blogapi/action/:id/like` (signed + JWT; one user, articles spread over the set)", func(i uint64) []requestSpec {
			h := clientIP(i)
			h.Set("Access-Token", set.reader)
			path := "/blogapi/action/" + article(i) + "/like"
			return []requestSpec{s.write(http.MethodPost, base, path, h), s.write(http.MethodDelete, base, path, h)}
		}},
		{"search", "`GET /blogapi/article/search?keyword=needle` (a word in 5% of the texts: every text scanned)", func(i uint64) []requestSpec {
			return []requestSpec{get("/blogapi/article/search", url.Values{"keyword": {blogNeedle}}, i)}
		}},
	}
}

// blogWarmup iterations of each scenario on each set go unrecorded: the
// catalogue's first load, the connections. blogMinRequests is the fewest
// iterations of a scenario on a set.
const (
	blogWarmup      = 5
	blogMinRequests = 20
)

// blogRow is one scenario's figures on each set (small, large), and the
// user centre's measured in turn with it (Centre; for the user centre's
// own row, its figures over every scenario's turn).
type blogRow struct {
	Name, What string
	At         [2]figures
	Centre     [2]figures
}

// blogResult is what the blog-scale phase measured.
type blogResult struct {
	Sets   [2]*blogSet // small, large
	Rows   []blogRow
	Rounds int
	Each   time.Duration // each scenario with its user-centre requests, over all rounds
}

// row returns the row named name (zero when absent).
func (b *blogResult) row(name string) blogRow {
	for _, r := range b.Rows {
		if r.Name == name {
			return r
		}
	}
	return blogRow{Name: name}
}

// measureBlog seeds both sets over databases of their own on t's embedded
// server, each served by an API instance of its own, and measures every
// scenario one iteration at a time: o.rounds rounds, each running every
// scenario in turn on both sets alternately (runBlog), so that whatever
// else slows the machine meanwhile weighs on both alike and on the user
// centre as on the others.
func measureBlog(ctx context.Context, t *target, o blogOptions, pr *progress) (*blogResult, error) {
	res := &blogResult{Rounds: o.rounds, Each: o.duration}
	var closers []func()
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}()
	for k, n := range []int{o.base, o.articles} {
		inst, closeInst, err := t.serveFresh(ctx, fmt.Sprintf("blog%d", n))
		if err != nil {
			return nil, err
		}
		closers = append(closers, closeInst)
		pr.printf("blog scale: seeding %d articles, %d comments, %d users, %d likes", n, n*o.comments, o.users, n*o.likes)
		if res.Sets[k], err = seedBlog(ctx, inst, n, o, pr); err != nil {
			return nil, err
		}
		pr.printf("blog scale: seeded in %s", res.Sets[k].Seeding.Round(time.Millisecond))
	}

	s := newSigner(t.key, t.secret)
	var scenarios [2][]blogScenario
	for k, set := range res.Sets {
		scenarios[k] = blogScenarios(s, set)
	}
	clients := [2]*http.Client{}
	for k := range clients {
		clients[k] = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
		defer clients[k].CloseIdleConnections()
	}
	// Scenario j (j ≥ 1) is sent in turn with the user centre, on both
	// sets: lanes[j] = j on the small set, j on the large, the user centre
	// on the small, on the large. Its ratios to the user centre compare
	// requests sent one after the other.
	lanes := make([][]*blogLane, len(scenarios[0]))
	for j := 1; j < len(scenarios[0]); j++ {
		warm := make([]*blogLane, 0, 4)
		for _, sc := range []int{j, 0} {
			for k := range res.Sets {
				lanes[j] = append(lanes[j], &blogLane{client: clients[k], sc: scenarios[k][sc], t: newTally(http.StatusOK)})
				warm = append(warm, &blogLane{client: clients[k], sc: scenarios[k][sc], t: newTally(http.StatusOK)})
			}
		}
		if err := runBlog(ctx, warm, 0, blogWarmup); err != nil {
			return nil, err
		}
		for i, w := range warm {
			if w.t.codes[http.StatusOK] != blogWarmup {
				return nil, fmt.Errorf("blog scale: %s at %d articles answered %s", w.sc.name, res.Sets[i%2].Articles, w.t.figures().codesText())
			}
			lanes[j][i].seq = w.seq
		}
	}
	each := (o.duration / time.Duration(o.rounds)).Round(time.Millisecond)
	minN := max(1, blogMinRequests/o.rounds)
	for round := range o.rounds {
		pr.printf("blog scale: round %d of %d, %d scenarios in turn with the user centre, one request at a time, %s each", round+1, o.rounds, len(scenarios[0])-1, each)
		for j := 1; j < len(lanes); j++ {
			if err := runBlog(ctx, lanes[j], each, minN); err != nil {
				return nil, err
			}
		}
	}
	centre := blogRow{Name: scenarios[0][0].name, What: scenarios[0][0].what}
	all := [2]*tally{newTally(http.StatusOK), newTally(http.StatusOK)}
	for j := 1; j < len(lanes); j++ {
		for k := range all {
			all[k].add(lanes[j][2+k].t)
		}
	}
	centre.At = [2]figures{all[0].figures(), all[1].figures()}
	centre.Centre = centre.At
	res.Rows = append(res.Rows, centre)
	for j := 1; j < len(lanes); j++ {
		l := lanes[j]
		res.Rows = append(res.Rows, blogRow{Name: l[0].sc.name, What: l[0].sc.what,
			At: [2]figures{l[0].t.figures(), l[1].t.figures()}, Centre: [2]figures{l[2].t.figures(), l[3].t.figures()}})
	}
	return res, nil
}

// add adds o's answers to t.
func (t *tally) add(o *tally) {
	t.latencies = append(t.latencies, o.latencies...)
	for c, n := range o.codes {
		t.codes[c] += n
	}
	t.expected += o.expected
	t.elapsed += o.elapsed
}

// serveFresh opens database <t's>_<suffix> on t's embedded server and
// serves another API instance over it; close stops both.
func (t *target) serveFresh(ctx context.Context, suffix string) (*target, func(), error) {
	dbo := models.Options{Database: t.cfg.Mongo.Database + "_" + suffix, Logger: t.logger}
	if t.metrics != nil {
		dbo.Observe = t.metrics.ObserveCommand
	}
	var db *models.DB
	var err error
	pprof.Do(ctx, pprof.Labels(labelSide, sideDatabase), func(ctx context.Context) {
		db, err = t.db.OpenDatabase(ctx, dbo)
	})
	if err != nil {
		return nil, nil, err
	}
	inst, err := t.serve(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return inst, func() { inst.close(); db.Close() }, nil
}

// blogLane is one scenario on one set: where it is sent, the number of
// its next iteration, and its figures.
type blogLane struct {
	client *http.Client
	sc     blogScenario
	seq    uint64
	t      *tally
}

// runBlog sends iterations of the lanes' scenarios one at a time, taking
// the lanes in turn (so that a slower spell of the machine weighs on each
// alike), each lane as many as the others, until each had at least n more
// and d has passed. An iteration's latency is from
// sending its first request to the last byte of its last answer; its code
// the first that was not 200 (else 200).
func runBlog(ctx context.Context, lanes []*blogLane, d time.Duration, n int) error {
	start := time.Now()
	for k := 0; ; k++ {
		if k%len(lanes) == 0 && k/len(lanes) >= n && time.Since(start) >= d {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		l := lanes[k%len(lanes)]
		specs := l.sc.next(l.seq)
		l.seq++
		code := http.StatusOK
		t0 := time.Now()
		for _, spec := range specs {
			c, err := send1(ctx, l.client, spec)
			if err != nil {
				c = 0
			}
			if code == http.StatusOK && c != http.StatusOK {
				code = c
			}
		}
		lat := time.Since(t0)
		l.t.latencies = append(l.t.latencies, lat)
		l.t.elapsed += lat
		l.t.codes[code]++
		if code == l.t.expect {
			l.t.expected++
		}
	}
}

// send1 sends one request and reads its answer to the end; it returns the
// HTTP status (the envelope code under response.http_status mirror and
// standard alike for 200).
func send1(ctx context.Context, client *http.Client, spec requestSpec) (int, error) {
	var body io.Reader
	if spec.body != nil {
		body = strings.NewReader(string(spec.body))
	}
	req, err := http.NewRequestWithContext(ctx, spec.method, spec.url, body)
	if err != nil {
		return 0, err
	}
	req.Header = spec.header
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}
