package controllers

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/media"
)

// UploadController serves the uploads (docs/uploads.md): POST
// /blogapi/upload, DELETE /blogapi/upload/:id and the unsigned GET
// /media/<key> that serves the stored images.
type UploadController struct {
	Media *media.Service
}

// Upload is the answer to an upload: the SPA reads `url`.
type Upload struct {
	ID string `json:"id"`
	// URL is where the image is served; ThumbURL its 640 px thumbnail
	// (article images only).
	URL      string `json:"url"`
	ThumbURL string `json:"thumbUrl,omitempty"`
	// Width and Height are the stored image's, in pixels; Bytes its size.
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Bytes  int64  `json:"bytes"`
	Type   string `json:"type"`
	Dir    string `json:"dir"`
	// State is "staged" until an article or the profile uses the URL.
	State string `json:"state"`
}

// actor is who the request's principal is for the media service.
func actor(c *gin.Context) media.Actor {
	p, _ := middleware.PrincipalFrom(c.Request.Context())
	return media.ActorOf(p.User)
}

// Upload serves POST /blogapi/upload: a multipart/form-data body with
// exactly one file part `file` and the text field `dir` ("avatar" or
// "article"; the SPA's "avatar/" too; missing: article). The client's file
// name and Content-Type are ignored. Answers the stored image.
func (uc *UploadController) Upload(c *gin.Context) {
	dir, file, err := readUpload(c.Request)
	if err != nil {
		response.Error(c, err)
		return
	}
	kind, err := media.ParseKind(dir)
	if err != nil {
		response.Error(c, err)
		return
	}
	res, err := uc.Media.Upload(c.Request.Context(), actor(c), kind, strings.NewReader(file))
	if err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, Upload{
		ID: res.ID, URL: res.URL, ThumbURL: res.ThumbURL, Width: res.Width, Height: res.Height,
		Bytes: res.Bytes, Type: res.Type, Dir: res.Dir, State: res.State,
	})
}

// maxDirField bounds the `dir` text field read.
const maxDirField = 64

// readUpload reads the multipart body (already read and bounded by the
// signature check): the `dir` field and the one `file` part. Other text
// fields (the signing parameters) are skipped; a file part under another
// name, a second file or none is a 400 about "file".
func readUpload(r *http.Request) (dir, file string, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return "", "", services.Invalid("file", "must be sent as multipart/form-data")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return "", "", services.Invalid("file", "must be sent as multipart/form-data")
	}
	files := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", "", services.Invalid("file", "must be a well-formed multipart part")
		}
		switch {
		case part.FileName() != "" || part.FormName() == "file":
			if part.FormName() != "file" {
				return "", "", services.Invalid("file", "must be sent in the part named file")
			}
			if files++; files > 1 {
				return "", "", services.Invalid("file", "must be exactly one file")
			}
			b, err := io.ReadAll(part)
			if err != nil {
				return "", "", services.Invalid("file", "must be a well-formed multipart part")
			}
			file = string(b)
		case part.FormName() == "dir":
			b, err := io.ReadAll(io.LimitReader(part, maxDirField+1))
			if err != nil {
				return "", "", services.Invalid("file", "must be a well-formed multipart part")
			}
			dir = string(b)
		}
	}
	if files == 0 {
		return "", "", services.Invalid("file", "is required")
	}
	return dir, file, nil
}

// Delete serves DELETE /blogapi/upload/:id: the owner or an admin deletes
// the upload and its files; anyone else gets 404, as for a missing one.
func (uc *UploadController) Delete(c *gin.Context) {
	if err := uc.Media.Delete(c.Request.Context(), actor(c), c.Param("id")); err != nil {
		response.Error(c, err)
		return
	}
	response.OK(c, nil)
}

// Serve serves GET /media/:dir/:file (the key "dir/file"), unsigned: the stored image with the
// Content-Type recorded at upload (never sniffed: X-Content-Type-Options
// nosniff), a Content-Security-Policy that runs nothing, an immutable
// Cache-Control (a key's content never changes) and an ETag, with
// conditional and range requests (http.ServeContent). A key the service
// did not make, or of a deleted upload, is a 404 envelope.
func (uc *UploadController) Serve(c *gin.Context) {
	key := c.Param("dir") + "/" + c.Param("file")
	s, err := uc.Media.Open(c.Request.Context(), key)
	if err != nil {
		response.Error(c, err)
		return
	}
	defer s.Object.Body.Close()
	etag := `"` + s.Upload.SHA256[:32] + `"`
	if key == s.Upload.ThumbKey {
		etag = `"` + s.Upload.SHA256[:32] + `-640"`
	}
	h := c.Writer.Header()
	h.Set("Content-Type", s.Upload.Type)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", media.CacheControl)
	h.Set("ETag", etag)
	http.ServeContent(c.Writer, c.Request, "", s.Object.ModTime, s.Object.Body)
}
