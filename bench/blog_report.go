package main

import (
	"fmt"
	"time"
)

// Targets of the blog scale, one request at a time on the embedded
// database: list, detail and comments within blogCentreFactor of the user
// centre's p50 and within blogGrowthFactor between the two sets; search
// within blogSearchFactor of the user centre's p50 on the large set.
const (
	blogCentreFactor = 3.0
	blogGrowthFactor = 1.5
	blogSearchFactor = 30.0
)

// blogTargetRows are the scenarios the ≤ 3× and ≤ 1.5× targets name.
var blogTargetRows = []struct{ name, label string }{
	{"list", "article list page 1"},
	{"list-category", "list by category"},
	{"detail", "article detail"},
	{"comments", "comments of one article"},
}

// blogLabel is a scenario's name in the report's tables.
func blogLabel(name string) string {
	for _, t := range blogTargetRows {
		if t.name == name {
			return t.label
		}
	}
	switch name {
	case "user-center":
		return "user centre (the reference)"
	case "like-unlike":
		return "like + unlike"
	case "search":
		return "search"
	}
	return name
}

// blogRatios are the blog scale's lines of "Ratios first".
func (r *report) blogRatios(p printer) {
	b := r.Blog
	if b == nil {
		return
	}
	small, large := b.Sets[0].Articles, b.Sets[1].Articles
	for _, name := range []string{"list", "detail", "comments", "search"} {
		row := b.row(name)
		p("| blog: %s p50 ÷ user-centre p50, %d articles | %.1f× |\n", blogLabel(name), large, ratioOf(row.At[1].P50, row.Centre[1].P50))
	}
	for _, name := range []string{"list", "detail", "comments"} {
		row := b.row(name)
		p("| blog: %s p50 at %d articles ÷ at %d | %.2f× |\n", blogLabel(name), large, small, ratioOf(row.At[1].P50, row.At[0].P50))
	}
}

// blogTargets is the targets table of the blog scale.
func (r *report) blogTargets(p printer) {
	b := r.Blog
	if b == nil {
		return
	}
	small, large := b.Sets[0], b.Sets[1]
	p("## Targets (blog scale, one request at a time)\n\n")
	p("p50s of one run; each scenario's requests were sent in turn with the user centre's (two `_id` reads) on the same ")
	p("instance, and with the same scenario's on the other set; the sets and the figures are in \"Blog scale\" below.\n\n")
	p("| target | measured | result |\n|---|---|---|\n")
	for _, t := range blogTargetRows {
		row := b.row(t.name)
		at, centre := row.At[1].P50, row.Centre[1].P50
		ratio := ratioOf(at, centre)
		p("| %s p50 ≤ %.0f× the user centre's, %d articles | %s vs %s = %.2f× | %s |\n",
			t.label, blogCentreFactor, large.Articles, ms(at), ms(centre), ratio, passMiss(ratio <= blogCentreFactor))
	}
	for _, t := range blogTargetRows {
		row := b.row(t.name)
		ratio := ratioOf(row.At[1].P50, row.At[0].P50)
		scale := fmt.Sprintf("%d articles ≤ %.1f× at %d", large.Articles, blogGrowthFactor, small.Articles)
		if t.name == "comments" {
			scale = fmt.Sprintf("%d comments per article among %d ≤ %.1f× among %d",
				large.Comments/large.Articles, large.Comments, blogGrowthFactor, small.Comments)
		}
		p("| %s p50 at %s | %s vs %s = %.2f× | %s |\n", t.label, scale, ms(row.At[1].P50), ms(row.At[0].P50), ratio, passMiss(ratio <= blogGrowthFactor))
	}
	search, centre := b.row("search").At[1].P50, b.row("search").Centre[1].P50
	ratio := ratioOf(search, centre)
	p("| search p50 ≤ %.0f× the user centre's, %d articles | %s vs %s = %.2f× | %s |\n\n",
		blogSearchFactor, large.Articles, ms(search), ms(centre), ratio, passMiss(ratio <= blogSearchFactor))
}

// blog is the report's "Blog scale" section.
func (r *report) blog(p printer) {
	p("## Blog scale\n\n")
	b := r.Blog
	if b == nil {
		if r.InProcess {
			p("Not measured (`-blog-articles 0`).\n\n")
		} else {
			p("Not measured: seeding the data set through the stores needs the server in-process.\n\n")
		}
		return
	}
	small, large := b.Sets[0], b.Sets[1]
	p("Two more API instances over databases of their own on the same embedded FerretDB, one per data set, seeded ")
	p("straight through the stores (`models`: users as above, articles, comment threads and likes with one ")
	p("`InsertMany` per collection and batch). Of each set, the first %d articles are published through the API ", blogTemplates)
	p("(`POST /blogapi/article/section`, one with the searched word and one without) and the others are copies of ")
	p("their stored documents (article, body, slug alias) with a title, slug, category, tags and times of their own; ")
	p("comments are what `POST /blogapi/action/:id/comment` stores for an approved commenter (a root and a reply, in turn), ")
	p("likes what `POST /blogapi/action/:id/like` stores (the like, the user's like list, `praise`). After seeding, the ")
	p("newest copy, its comments, the list and the search are read back through the API and checked; ")
	p("`go test ./bench -run TestBlogSeed` compares seeded documents with ones the API writes.\n\n")
	p("| set | articles (about %d KB of HTML each) | comments | users | likes | seeded in |\n|---|---:|---:|---:|---:|---:|\n", blogBodyBytes>>10)
	for k, s := range b.Sets {
		name := []string{"small", "large"}[k]
		p("| %s | %d | %d | %d | %d | %s |\n", name, s.Articles, s.Comments, s.Users, s.Likes, s.Seeding.Round(100*time.Millisecond))
	}
	p("\nOne request at a time (a like + unlike is one iteration of two requests). Each scenario is sent in turn with ")
	p("the user centre, on both sets: the scenario on the small set, on the large, the user centre on the small, on ")
	p("the large, and again, so that a slower spell of the shared machine weighs on all four alike and each ratio ")
	p("compares requests sent one after the other. %d rounds, each giving every scenario %s and at least %d turns, ",
		b.Rounds, (b.Each / time.Duration(b.Rounds)).Round(time.Millisecond), max(1, blogMinRequests/b.Rounds))
	p("after %d unrecorded; requests from one of 100,000 client IPs as above. Latency from sending to ", blogWarmup)
	p("the last byte of the answer, measured by the harness (net/http, one keep-alive connection per set). The user ")
	p("centre's row is over all its turns; each other row's ratio is to the user centre of its own turns (the last column).\n\n")
	p("| scenario | p50 / p99, %d articles | p50 / p99, %d articles | p50 ÷ user centre's, %d | %d ÷ %d | answers (%d; %d) | user centre's p50 in its turns (%d; %d) |\n",
		small.Articles, large.Articles, large.Articles, large.Articles, small.Articles, small.Articles, large.Articles, small.Articles, large.Articles)
	p("|---|---:|---:|---:|---:|---|---:|\n")
	for _, row := range b.Rows {
		s, l := row.At[0], row.At[1]
		p("| %s: %s | %s / %s | %s / %s | %.1f× | %.2f× | %s; %s | %s; %s |\n", blogLabel(row.Name), row.What, ms(s.P50), ms(s.P99), ms(l.P50), ms(l.P99),
			ratioOf(l.P50, row.Centre[1].P50), ratioOf(l.P50, s.P50), s.codesText(), l.codesText(), ms(row.Centre[0].P50), ms(row.Centre[1].P50))
	}
	p("\nWhat each costs (docs/blog.md, \"Reads\"): the lists and the search are answered from the in-process catalogue ")
	p("(one `_id` read of the change counter, then a scan in memory: of pointers in newest-first order for a list, of ")
	p("the lower-cased texts for a search); the detail is the article and its body read by `_id` (by slug, the alias first); ")
	p("the comments one `_id` read of the article and one of its thread document; a like inserts the like, pushes ")
	p("to the user's list and `$inc`s `praise` and the change counter, an unlike undoes it, each behind the session, ")
	p("user and replay-record reads and writes of a signed JWT request.\n\n")
}
