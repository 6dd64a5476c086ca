package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/flows"
	"github.com/handoff-chat/handoff/workflows"
)

// configuredFlows returns the flow registry, with a 404 error when no flows
// are configured.
func (s *server) configuredFlows() (*flows.Registry, error) {
	if s.Flows == nil {
		return nil, notFound("no navigation flows are configured; set bot.flows to a flows file")
	}
	return s.Flows, nil
}

// listFlows shows the flows in force, their blocks (for staff to pick one to
// send) and how the last load went.
func (s *server) listFlows(c *gin.Context) error {
	reg, err := s.configuredFlows()
	if err != nil {
		return err
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
	return nil
}

// reloadFlows reads the flows file again now, instead of waiting for the
// periodic check. A broken file leaves the flows in force unchanged.
func (s *server) reloadFlows(c *gin.Context) error {
	reg, err := s.configuredFlows()
	if err != nil {
		return err
	}
	if err := reg.Reload(); err != nil {
		return &apiError{
			status:  http.StatusUnprocessableEntity,
			message: "the flows file has errors; the flows in force are unchanged: " + strings.ReplaceAll(err.Error(), "\n", "; "),
			extra:   gin.H{"status": reg.Status()},
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": reg.Status()})
	return nil
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
func (s *server) sendBlock(c *gin.Context) error {
	channel, customer, err := conversationKey(c)
	if err != nil {
		return err
	}
	reg, err := s.configuredFlows()
	if err != nil {
		return err
	}
	var req sendBlockRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := reg.Current()
	if err := req.check(f); err != nil {
		return err
	}
	lang := req.Language
	if lang == "" {
		view, err := s.Conversations.View(c.Request.Context(), channel, customer)
		if err != nil {
			return fmt.Errorf("send block: customer's language: %w", err)
		}
		lang = f.Language(chat.ReplyLanguage("", view.Locale, view.Language))
	}
	msg, err := f.Render(req.Block, lang)
	if err != nil {
		return badRequest(err.Error())
	}
	return s.sendStaffMessage(c, channel, customer, workflows.StaffMessage{ID: req.ID, Author: staffName(c), DisplayName: s.displayName(c), Content: msg})
}

// check says what is wrong with the request for flows f, if anything, and
// fills in a new ID when it has none.
func (req *sendBlockRequest) check(f *flows.Flow) error {
	if !f.Has(req.Block) {
		return badRequest("block " + chat.Quote(req.Block) + " is not in the flows; GET /api/v1/flows lists the blocks")
	}
	if req.Language != "" && !contains(f.Languages(), req.Language) {
		return badRequest("language " + chat.Quote(req.Language) + " is not one of the flows' languages " + strings.Join(f.Languages(), ", "))
	}
	var err error
	req.ID, err = idOrNew("id", req.ID)
	return err
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
