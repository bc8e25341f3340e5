package controllers

import "github.com/blogapi/blogapi/services/content"

// pageObject is the original's page object (mongoose-paginate-v2's, with
// its labels), the shape of every paginated list: prev and next are null at
// the ends, and a page past the end is empty with prev the last page.
type pageObject[T any] struct {
	Items         []T  `json:"items"`
	Total         int  `json:"total"`
	PageSize      int  `json:"pageSize"`
	HasPrevPage   bool `json:"hasPrevPage"`
	HasNextPage   bool `json:"hasNextPage"`
	CurrentPage   int  `json:"currentPage"`
	PageCount     int  `json:"pageCount"`
	PagingCounter int  `json:"pagingCounter"`
	Prev          *int `json:"prev"`
	Next          *int `json:"next"`
}

// pageOf is p as the page object, each item converted by conv.
func pageOf[S, T any](p content.Page[S], conv func(S) T) pageObject[T] {
	out := pageObject[T]{
		Items: make([]T, len(p.Items)), Total: p.Total, PageSize: p.Size, CurrentPage: p.Current,
		PageCount: p.Count(), PagingCounter: (p.Current-1)*p.Size + 1,
	}
	for i, s := range p.Items {
		out.Items[i] = conv(s)
	}
	if n := p.Prev(); n > 0 {
		out.Prev, out.HasPrevPage = &n, true
	}
	if n := p.Next(); n > 0 {
		out.Next, out.HasNextPage = &n, true
	}
	return out
}
