package controllers

import (
	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"

	"github.com/blogapi/blogapi/services/content"
)

// CommentController serves the comments of articles.
type CommentController struct {
	Content *content.Service
}

// Comment is a comment as the SPA reads it: `status` "1" for a root, "0"
// for a reply; `state` the moderation state (visible, held). No IP and no
// e-mail.
type Comment struct {
	ID           string `json:"id"`
	TargetID     string `json:"targetId"`
	UserID       string `json:"userId"`
	Nick         string `json:"nick"`
	Author       bool   `json:"author"`
	Cover        string `json:"cover"`
	Level        int    `json:"level"`
	Type         string `json:"type"`
	IsRoot       bool   `json:"isRoot"`
	ParentID     string `json:"parentId"`
	ParentNick   string `json:"parentNick"`
	ParentAuthor bool   `json:"parentAuthor"`
	Content      string `json:"content"`
	Status       string `json:"status"`
	State        string `json:"state"`
	Created      int64  `json:"created"`
}

// CommentNode is a root comment with its replies.
type CommentNode struct {
	Comment
	Sub []Comment `json:"sub"`
}

func comment(m content.Comment) Comment {
	status := "1"
	if m.TargetID != "" {
		status = "0"
	}
	return Comment{
		ID: m.ID, TargetID: m.TargetID, UserID: m.UserID, Nick: m.Nick, Author: m.Author, Cover: m.Cover,
		Level: m.Level, Type: m.Type, IsRoot: m.IsAdmin, ParentID: m.ParentID,
		ParentNick: m.ParentNick, ParentAuthor: m.ParentAuthor, Content: m.Content, Status: status,
		State: m.State, Created: m.Created,
	}
}

// List serves GET /blogapi/action/:id/comments: roots in order, each with
// its replies in `sub`.
func (cc *CommentController) List(c *gin.Context) {
	nodes, err := cc.Content.Comments(c.Request.Context(), viewer(c), c.Param("id"))
	if err != nil {
		response.Error(c, err)
		return
	}
	out := make([]CommentNode, len(nodes))
	for i, n := range nodes {
		out[i] = CommentNode{Comment: comment(n.Comment), Sub: make([]Comment, len(n.Sub))}
		for j, s := range n.Sub {
			out[i].Sub[j] = comment(s)
		}
	}
	okCached(c, out, "")
}

// Create serves POST /blogapi/action/:id/comment {content, targetId,
// replyUser} and answers the comment.
func (cc *CommentController) Create(c *gin.Context) {
	var in struct {
		Content   string `json:"content"`
		TargetID  string `json:"targetId"`
		ReplyUser string `json:"replyUser"`
	}
	if err := bind(c, &in); err != nil {
		response.Error(c, err)
		return
	}
	m, err := cc.Content.Comment(c.Request.Context(), viewer(c), c.Param("id"),
		content.CommentInput{Content: in.Content, TargetID: in.TargetID, ReplyUser: in.ReplyUser})
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, comment(m))
}
