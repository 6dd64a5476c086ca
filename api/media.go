package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
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
		return newAPIError(http.StatusServiceUnavailable, "uploads are not available in this process (no media store)")
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
	name, contentType, err := s.Media.Put(c.Request.Context(), body)
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
// fetches images from their URL); names are unguessable digests. It runs
// without the API's request time limit: a slow client may take long to
// download an image read from an object store.
func (s *server) serveMedia(c *gin.Context) error {
	if s.Media == nil {
		return notFound("no such image")
	}
	open := s.Media.Open
	switch size := c.Query("size"); size {
	case "":
	case "thumb":
		// A thumbnail, or the image itself when none can be made of it.
		open = func(ctx context.Context, name string) (*media.File, error) {
			f, err := s.Media.Thumbnail(ctx, name)
			if errors.Is(err, media.ErrNoThumbnail) {
				return s.Media.Open(ctx, name)
			}
			return f, err
		}
	default:
		return badRequest(`query parameter "size" must be thumb or left out, got ` + chat.Quote(size))
	}
	name := c.Param("name")
	f, err := open(c.Request.Context(), name)
	if errors.Is(err, media.ErrNotFound) {
		return notFound("no such image: " + chat.Quote(name))
	}
	if err != nil {
		return fmt.Errorf("open image %s: %w", name, err)
	}
	defer f.Close()
	h := c.Writer.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("Content-Type", f.ContentType)
	http.ServeContent(c.Writer, c.Request, name, f.ModTime, f)
	return nil
}
