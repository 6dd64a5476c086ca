package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/media"
)

const mediaUploadPath = "/api/v1/media"

// uploadMedia stores an image sent as the request body (or as the "file"
// field of a multipart form) and answers its public URL, to send in a
// staff message's attachments.
func (s *server) uploadMedia(c *gin.Context) error {
	if s.Media == nil {
		return newAPIError(http.StatusServiceUnavailable, "uploads are not available in this process (no media folder)")
	}
	var body io.Reader = c.Request.Body
	if strings.HasPrefix(c.GetHeader("Content-Type"), "multipart/form-data") {
		file, _, err := c.Request.FormFile("file")
		if err != nil {
			if bodyTooLarge(err) != nil {
				return bodyTooLarge(err)
			}
			return badRequest(`a multipart upload needs the image in the field "file"`)
		}
		defer file.Close()
		body = file
	}
	name, contentType, err := s.Media.Put(body)
	switch {
	case errors.Is(err, media.ErrTooLarge):
		return newAPIError(http.StatusRequestEntityTooLarge, fmt.Sprintf("the image is larger than http.max_upload_bytes (%d bytes)", s.Media.MaxBytes()))
	case errors.Is(err, media.ErrEmpty):
		return badRequest("the upload is empty; send the image as the request body")
	case errors.Is(err, media.ErrNotImage):
		return newAPIError(http.StatusUnsupportedMediaType, strings.TrimPrefix(err.Error(), "media: "))
	case err != nil:
		if tooLarge := bodyTooLarge(err); tooLarge != nil {
			return tooLarge
		}
		return fmt.Errorf("store an upload: %w", err)
	}
	s.requestLogger(c).Info("image uploaded", "staff", staffName(c), "name", name, "type", contentType)
	c.JSON(http.StatusCreated, gin.H{
		"url":          strings.TrimSuffix(s.PublicURL, "/") + "/media/" + name,
		"type":         "image",
		"content_type": contentType,
	})
	return nil
}

// serveMedia serves an uploaded image to anyone with its URL (Messenger
// fetches images from their URL); names are unguessable digests.
func (s *server) serveMedia(c *gin.Context) error {
	if s.Media == nil {
		return notFound("no such image")
	}
	open := s.Media.Open
	switch size := c.Query("size"); size {
	case "":
	case "thumb":
		// A thumbnail, or the image itself when none can be made of it.
		open = func(name string) (*os.File, error) {
			f, err := s.Media.Thumbnail(name)
			if errors.Is(err, media.ErrNoThumbnail) {
				return s.Media.Open(name)
			}
			return f, err
		}
	default:
		return badRequest(`query parameter "size" must be thumb or left out, got ` + chat.Quote(size))
	}
	f, err := open(c.Param("name"))
	if errors.Is(err, media.ErrNotFound) {
		return notFound("no such image: " + c.Param("name"))
	}
	if err != nil {
		return fmt.Errorf("open image %s: %w", c.Param("name"), err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open image %s: %w", c.Param("name"), err)
	}
	h := c.Writer.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'")
	for typ, ext := range media.Types {
		if strings.HasSuffix(info.Name(), ext) {
			h.Set("Content-Type", typ)
		}
	}
	http.ServeContent(c.Writer, c.Request, info.Name(), info.ModTime(), f)
	return nil
}
