package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/flows"
	"github.com/handoff-chat/handoff/workflows"
)

// flowsOrUnavailable returns the flow registry, answering 404 when no flows
// are configured.
func (s *server) flowsOrUnavailable(c *gin.Context) (*flows.Registry, bool) {
	if s.Flows == nil {
		writeError(c, http.StatusNotFound, "no navigation flows are configured; set bot.flows to a flows file")
		return nil, false
	}
	return s.Flows, true
}

// listFlows shows the flows in force, their blocks (for staff to pick one to
// send) and how the last load went.
func (s *server) listFlows(c *gin.Context) {
	reg, ok := s.flowsOrUnavailable(c)
	if !ok {
		return
	}
	f := reg.Current()
	c.JSON(http.StatusOK, gin.H{
		"status":           reg.Status(),
		"languages":        f.Languages(),
		"default_language": f.DefaultLanguage(),
		"start":            f.Start(),
		"fallback":         f.Fallback(),
		"blocks":           f.Blocks(),
	})
}

// reloadFlows reads the flows file again now, instead of waiting for the
// periodic check. A broken file leaves the flows in force unchanged.
func (s *server) reloadFlows(c *gin.Context) {
	reg, ok := s.flowsOrUnavailable(c)
	if !ok {
		return
	}
	if err := reg.Reload(); err != nil {
		c.AbortWithStatusJSON(http.StatusUnprocessableEntity, gin.H{
			"error":  "the flows file has errors; the flows in force are unchanged: " + strings.ReplaceAll(err.Error(), "\n", "; "),
			"status": reg.Status(),
		})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": reg.Status()})
}

type sendBlockRequest struct {
	// ID is optional; a client that sets it can retry without sending twice.
	ID    string `json:"id"`
	Block string `json:"block"`
	// Language of the block; by default the customer's, else the flow's default.
	Language string `json:"language"`
}

// sendBlock sends a flow block to the customer as a staff message. Its
// buttons work as in the bot, so the customer can navigate on from it.
func (s *server) sendBlock(c *gin.Context) {
	channel, customer, ok := conversationKey(c)
	if !ok {
		return
	}
	reg, ok := s.flowsOrUnavailable(c)
	if !ok {
		return
	}
	var req sendBlockRequest
	if !decodeJSON(c, &req) {
		return
	}
	f := reg.Current()
	if !f.Has(req.Block) {
		writeError(c, http.StatusBadRequest, "block "+strconv.Quote(req.Block)+" is not in the flows; GET /api/v1/flows lists the blocks")
		return
	}
	if req.Language != "" && !contains(f.Languages(), req.Language) {
		writeError(c, http.StatusBadRequest, "language "+strconv.Quote(req.Language)+" is not one of the flows' languages "+strings.Join(f.Languages(), ", "))
		return
	}
	if req.ID, ok = idOrNew(c, "id", req.ID); !ok {
		return
	}
	lang := req.Language
	if lang == "" {
		ctx, cancel := requestContext(c)
		view, err := s.Conversations.View(ctx, channel, customer)
		cancel()
		if err != nil {
			s.writeConversationError(c, err)
			return
		}
		lang = f.Language(view.Locale)
	}
	msg, err := f.Render(req.Block, lang)
	if err != nil {
		writeError(c, http.StatusBadRequest, err.Error())
		return
	}
	s.sendStaffMessage(c, channel, customer, workflows.StaffMessage{ID: req.ID, Author: staffName(c), Content: msg})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
