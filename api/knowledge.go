package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/internal/knowledgebase"
	"github.com/handoff-chat/handoff/internal/temporalclient"
	"github.com/handoff-chat/handoff/workflows"
)

// KnowledgeBase is the AI's knowledge base as the staff API uses it;
// knowledgebase.Store implements it.
type KnowledgeBase interface {
	List(ctx context.Context) ([]knowledge.Entry, error)
	Get(ctx context.Context, id string) (knowledgebase.Record, error)
	Put(ctx context.Context, author, requestID string, e knowledge.Entry, ifRevision int64) (knowledgebase.PutResult, error)
	Edit(ctx context.Context, author, requestID, id string, change func(*knowledge.Entry) error) (knowledgebase.PutResult, error)
	Delete(ctx context.Context, author, requestID, id string) error
	Import(ctx context.Context, author string, entries []knowledge.Entry) (knowledgebase.ImportResult, error)
	Export(ctx context.Context) ([]knowledge.Entry, error)
}

// knowledgeImportPath is the import route, whose body may be as large as
// MaxImportBytes.
const knowledgeImportPath = "/api/v1/knowledge/import"

func (s *server) knowledgeBase() (KnowledgeBase, error) {
	if s.Knowledge == nil {
		return nil, newAPIError(http.StatusServiceUnavailable, "this process has no knowledge base")
	}
	return s.Knowledge, nil
}

// putStatus is 201 for a put that created its entry, else 200.
func putStatus(res knowledgebase.PutResult) int {
	if res.Outcome == workflows.KnowledgeCreated {
		return http.StatusCreated
	}
	return http.StatusOK
}

// knowledgeEntry is the knowledge base and the entry ID of the path.
func (s *server) knowledgeEntry(c *gin.Context) (KnowledgeBase, string, error) {
	kb, err := s.knowledgeBase()
	if err != nil {
		return nil, "", err
	}
	id, err := knowledgeID(c)
	return kb, id, err
}

func knowledgeID(c *gin.Context) (string, error) {
	id := c.Param("id")
	if err := knowledge.CheckID("entry id", id); err != nil {
		return "", badRequest(err.Error())
	}
	return id, nil
}

func (s *server) listKnowledge(c *gin.Context) error {
	kb, err := s.knowledgeBase()
	if err != nil {
		return err
	}
	entries, err := kb.List(c.Request.Context())
	if err != nil {
		return fmt.Errorf("list knowledge entries: %w", err)
	}
	c.JSON(http.StatusOK, gin.H{"entries": entries})
	return nil
}

func (s *server) getKnowledge(c *gin.Context) error {
	kb, id, err := s.knowledgeEntry(c)
	if err != nil {
		return err
	}
	rec, err := kb.Get(c.Request.Context(), id)
	if err != nil {
		return fmt.Errorf("get knowledge entry %s: %w", id, err)
	}
	c.JSON(http.StatusOK, rec)
	return nil
}

// knowledgePutRequest is an entry in the exchange format, whose id may be
// left out, with an optional request ID and an optional revision the entry
// must still be at (the revision GET returned), so an edit never overwrites
// another made since the entry was read.
type knowledgePutRequest struct {
	knowledge.Entry
	RequestID  string `json:"request_id"`
	IfRevision int64  `json:"if_revision"`
}

func (s *server) putKnowledge(c *gin.Context) error {
	kb, id, err := s.knowledgeEntry(c)
	if err != nil {
		return err
	}
	var req knowledgePutRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	switch req.ID {
	case "":
		req.ID = id
	case id:
	default:
		return badRequest(fmt.Sprintf("id %q in the body is not the entry id %q of the path; leave it out or send the same", req.ID, id))
	}
	requestID, err := idOrNew("request_id", req.RequestID)
	if err != nil {
		return err
	}
	if req.IfRevision < 0 {
		return badRequest(fmt.Sprintf(`"if_revision" must be a revision GET returned (1 or more), or left out; got %d`, req.IfRevision))
	}
	res, err := kb.Put(c.Request.Context(), staffName(c), requestID, req.Entry, req.IfRevision)
	if err != nil {
		return fmt.Errorf("put knowledge entry %s (request %s): %w", id, requestID, err)
	}
	c.JSON(putStatus(res), res)
	return nil
}

func (s *server) deleteKnowledge(c *gin.Context) error {
	kb, id, err := s.knowledgeEntry(c)
	if err != nil {
		return err
	}
	requestID, err := idOrNew("request_id", c.Query("request_id"))
	if err != nil {
		return err
	}
	if err := kb.Delete(c.Request.Context(), staffName(c), requestID, id); err != nil {
		return fmt.Errorf("delete knowledge entry %s (request %s): %w", id, requestID, err)
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *server) importKnowledge(c *gin.Context) error {
	kb, err := s.knowledgeBase()
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	entries, err := knowledge.Decode(bytes.NewReader(body))
	if err != nil {
		return badRequest(strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	res, err := kb.Import(c.Request.Context(), staffName(c), entries)
	if unavailable := temporalclient.Unavailable(err); unavailable != nil {
		s.logUnavailable(c, err)
		what := "Temporal is unavailable or busy"
		if unavailable.TimedOut {
			what = "Temporal did not answer in time"
		}
		return newAPIError(http.StatusServiceUnavailable, what+", so some entries may not have been imported; importing the same file again is safe")
	}
	if err != nil {
		return fmt.Errorf("import %d knowledge entries: %w", len(entries), err)
	}
	c.JSON(http.StatusOK, res)
	return nil
}

func (s *server) exportKnowledge(c *gin.Context) error {
	kb, err := s.knowledgeBase()
	if err != nil {
		return err
	}
	entries, err := kb.Export(c.Request.Context())
	if err != nil {
		return fmt.Errorf("export knowledge entries: %w", err)
	}
	out, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return fmt.Errorf("encode knowledge entries: %w", err)
	}
	c.Header("Content-Disposition", `attachment; filename="knowledge.json"`)
	c.Data(http.StatusOK, "application/json; charset=utf-8", append(out, '\n'))
	return nil
}

// knowledgeErrorResponse maps the knowledge base's own errors; ok is false
// for any other error.
func knowledgeErrorResponse(err error) (status int, body gin.H, ok bool) {
	var notFound *knowledgebase.NotFoundError
	var invalid *knowledgebase.InvalidError
	var mismatch *knowledgebase.RevisionMismatchError
	switch {
	case errors.As(err, &mismatch):
		return http.StatusConflict, errorBody(mismatch.Reason + "; read the entry again and apply the change to it"), true
	case errors.As(err, &notFound):
		return http.StatusNotFound, errorBody(notFound.Error()), true
	case errors.As(err, &invalid):
		return http.StatusBadRequest, errorBody(strings.ReplaceAll(invalid.Reason, "\n", "; ")), true
	}
	return 0, nil, false
}
