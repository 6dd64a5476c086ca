package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/internal/learning"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/workflows"
)

// Bounds of the unanswered-questions listing.
const (
	defaultUnansweredGroups = 50
	maxUnansweredGroups     = 500
)

// unansweredExample is a declined question with the dashboard address of its
// conversation.
type unansweredExample struct {
	learning.Example
	Link string `json:"link"`
}

type unansweredGroup struct {
	Question    string              `json:"question"`
	Count       int                 `json:"count"`
	LastAskedAt time.Time           `json:"last_asked_at"`
	Examples    []unansweredExample `json:"examples"`
}

// unansweredKnowledge groups the questions the AI declined (the newest
// search.MaxDeclined since the optional since), most asked first.
func (s *server) unansweredKnowledge(c *gin.Context) error {
	limit, err := intParam(c, "limit", defaultUnansweredGroups, 1, maxUnansweredGroups)
	if err != nil {
		return err
	}
	var since time.Time
	if v := c.Query("since"); v != "" {
		since, err = time.Parse(time.RFC3339, v)
		if err != nil {
			return badRequest(fmt.Sprintf("query parameter \"since\" must be an RFC 3339 time like 2026-11-01T00:00:00Z, got %s", chat.Quote(v)))
		}
	}
	threshold := learning.DefaultThreshold
	if v := c.Query("threshold"); v != "" {
		threshold, err = strconv.ParseFloat(v, 64)
		if err != nil || threshold < 0.1 || threshold > 1 {
			return badRequest(fmt.Sprintf("query parameter \"threshold\" must be a number from 0.1 to 1, got %s", chat.Quote(v)))
		}
	}
	msgs, err := s.Search.DeclinedQuestions(c.Request.Context(), search.DeclinedQuery{Since: since})
	if err != nil {
		return fmt.Errorf("read declined questions: %w", err)
	}
	questions := make([]learning.Question, 0, len(msgs))
	for _, m := range msgs {
		questions = append(questions, learning.Question{Text: m.Text, At: m.SentAt, ConversationID: m.ConversationID})
	}
	groups := learning.GroupQuestions(questions, threshold)
	out := make([]unansweredGroup, 0, min(len(groups), limit))
	for _, g := range groups[:min(len(groups), limit)] {
		ug := unansweredGroup{Question: g.Question, Count: g.Count, LastAskedAt: g.LastAskedAt, Examples: []unansweredExample{}}
		for _, e := range g.Examples {
			ug.Examples = append(ug.Examples, unansweredExample{Example: e, Link: s.conversationLink(e.ConversationID)})
		}
		out = append(out, ug)
	}
	c.JSON(http.StatusOK, gin.H{"questions": len(msgs), "groups": out})
	return nil
}

// conversationLink is the dashboard address of a conversation, as alerts
// link to it; empty for an ID that names no conversation.
func (s *server) conversationLink(conversationID string) string {
	channel, customer, err := workflows.ParseConversationWorkflowID(conversationID)
	if err != nil {
		return ""
	}
	return activities.ConversationLink(s.PublicURL, channel, customer)
}

// knowledgeStats counts, per entry, the messages it answered, how many the
// customer marked as helped and after how many the customer asked for a
// human.
func (s *server) knowledgeStats(c *gin.Context) error {
	stats, err := s.Search.EntryStats(c.Request.Context())
	if err != nil {
		return fmt.Errorf("count entry answers: %w", err)
	}
	if stats == nil {
		stats = []search.EntryStats{}
	}
	c.JSON(http.StatusOK, gin.H{"entries": stats})
	return nil
}

type alternatesRequest struct {
	Questions []string `json:"questions"`
	RequestID string   `json:"request_id"`
}

// addAlternates appends questions to an entry's alternates, leaving out
// those it already has (as its question, an alternate or a translated
// question, ignoring case and spacing) and repeats.
func (s *server) addAlternates(c *gin.Context) error {
	kb, id, err := s.knowledgeEntry(c)
	if err != nil {
		return err
	}
	var req alternatesRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if len(req.Questions) == 0 {
		return badRequest(`"questions" must list at least one question`)
	}
	if len(req.Questions) > knowledge.MaxAlternates {
		return badRequest(fmt.Sprintf(`"questions": at most %d, got %d`, knowledge.MaxAlternates, len(req.Questions)))
	}
	requestID, err := idOrNew("request_id", req.RequestID)
	if err != nil {
		return err
	}
	for i, q := range req.Questions {
		probe := knowledge.Entry{ID: id, Lang: "en", Question: strings.TrimSpace(q), Answer: "-"}
		if err := probe.Validate(); err != nil {
			return badRequest(strings.Replace(err.Error(), "question", fmt.Sprintf("questions[%d]", i), 1))
		}
	}
	added := 0
	// Edit reads, changes and writes the entry at the revision it read, and
	// again if another change came in between, so concurrent additions all
	// land.
	res, err := kb.Edit(c.Request.Context(), staffName(c), requestID, id, func(entry *knowledge.Entry) error {
		added = 0
		known := map[string]bool{sameQuestion(entry.Question): true}
		for _, a := range entry.Alternates {
			known[sameQuestion(a)] = true
		}
		for _, t := range entry.Translations {
			known[sameQuestion(t.Question)] = true
		}
		alternates := append([]string(nil), entry.Alternates...)
		for _, q := range req.Questions {
			q = strings.TrimSpace(q)
			if known[sameQuestion(q)] {
				continue
			}
			known[sameQuestion(q)] = true
			alternates = append(alternates, q)
			added++
		}
		if len(alternates) > knowledge.MaxAlternates {
			return badRequest(fmt.Sprintf("entry %q would have %d alternates; at most %d", id, len(alternates), knowledge.MaxAlternates))
		}
		entry.Alternates = alternates
		return nil
	})
	if err != nil {
		return fmt.Errorf("add alternates to knowledge entry %s (request %s): %w", id, requestID, err)
	}
	c.JSON(http.StatusOK, gin.H{"added": added, "outcome": res.Outcome, "entry": res.Entry, "revision": res.Revision, "changes": res.Changes})
	return nil
}

// sameQuestion is how two questions compare when alternates are deduped.
func sameQuestion(q string) string {
	return strings.Join(strings.Fields(strings.ToLower(q)), " ")
}
