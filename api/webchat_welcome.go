package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
)

// webChatWelcome is what the widget shows in an empty panel before the
// visitor writes: the flows' start block in the visitor's language, or no
// message without flows. It starts no conversation; choosing one of its
// buttons does, like any message.
func (s *server) webChatWelcome(c *gin.Context) error {
	locale := c.Query("locale")
	if locale != "" {
		if err := chat.CheckLocale("locale", locale); err != nil {
			return badRequest(err.Error())
		}
	}
	if s.Flows == nil {
		c.JSON(http.StatusOK, gin.H{"message": nil})
		return nil
	}
	f := s.Flows.Current()
	content, err := f.Render(f.Start(), f.Language(chat.ReplyLanguage("", locale, "")))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"message": content})
	return nil
}
