package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/search/textanalysis"
)

const maxNameWords = 10

// conversationDoc is the stored conversation: the chat.ConversationSummary fields
// plus two computed for search and sorting. Decoding its _source into a
// chat.ConversationSummary ignores the extra fields.
type conversationDoc struct {
	chat.ConversationSummary
	CustomerNameLatin []string `json:"customer_name_latin"`
	AgentRequested    bool     `json:"agent_requested"`
}

// UpsertConversation stores c with external version c.UpdatedAt in
// microseconds (writeVersioned), so an older write is ignored and a retried
// one succeeds.
//
// The write goes through the bulk API rather than PUT /<index>/_doc/<id>:
// conversation IDs contain slashes, and the bulk body carries the ID as JSON
// instead of in the URL path.
func (x *Index) UpsertConversation(ctx context.Context, c chat.ConversationSummary) error {
	if c.ID == "" {
		return errors.New("elasticsearch: conversation needs an ID")
	}
	// The writer's clock: the change feed reads again from a few seconds
	// before the last stamp it saw, which covers the refresh interval and
	// small differences between the workers' clocks.
	c.IndexedAt = time.Now().UTC()
	doc, err := json.Marshal(conversationDoc{
		ConversationSummary: c,
		CustomerNameLatin:   textanalysis.LatinSpellings(c.CustomerName),
		AgentRequested:      c.AgentRequestedAt != nil,
	})
	if err != nil {
		return fmt.Errorf("elasticsearch: encode conversation %s: %w", c.ID, err)
	}
	return x.writeVersioned(ctx, versionedWrite{
		index: x.conversations, id: c.ID, routing: c.ID, version: conversationVersion(c.UpdatedAt), doc: doc,
		what: "write conversation " + c.ID,
		onOlder: func() {
			x.logger.Debug("elasticsearch: older conversation write ignored", "conversation", c.ID, "updated_at", c.UpdatedAt)
		},
	})
}

// versionedWrite is one document written with an external version.
type versionedWrite struct {
	index, id, routing string
	version            int64
	doc                []byte
	what               string
	// onOlder is called when a document of a later version is stored.
	onOlder func()
}

// writeVersioned writes one document with version_type external_gte:
// Elasticsearch refuses (409) a write whose version is below the stored one,
// which is the "newer document already stored" case and no error; an equal
// version overwrites, so a retried write succeeds.
func (x *Index) writeVersioned(ctx context.Context, w versionedWrite) error {
	action := map[string]any{
		"_index":       w.index,
		"_id":          w.id,
		"version":      w.version,
		"version_type": "external_gte",
	}
	if w.routing != "" {
		action["routing"] = w.routing
	}
	meta, err := json.Marshal(map[string]any{"index": action})
	if err != nil {
		return fmt.Errorf("elasticsearch: encode %s: %w", w.what, err)
	}
	var body bytes.Buffer
	body.Grow(len(meta) + len(w.doc) + 2)
	body.Write(meta)
	body.WriteByte('\n')
	body.Write(w.doc)
	body.WriteByte('\n')

	res, err := x.client.Bulk(&body, x.client.Bulk.WithContext(ctx))
	if err != nil {
		return transportError(w.what, err)
	}
	defer closeBody(res)
	if res.IsError() {
		return responseError(res, w.what)
	}
	var blk esutil.BulkIndexerResponse
	if err := json.NewDecoder(res.Body).Decode(&blk); err != nil {
		return fmt.Errorf("elasticsearch: decode the answer of %s: %w", w.what, err)
	}
	if len(blk.Items) != 1 {
		return fmt.Errorf("elasticsearch: %s: the bulk answer has %d items, want 1", w.what, len(blk.Items))
	}
	for _, item := range blk.Items[0] {
		switch {
		case item.Status == http.StatusConflict:
			if w.onOlder != nil {
				w.onOlder()
			}
			return nil
		case item.Error.Type != "" || item.Status > 201:
			return bulkItemError(item).wrap(w.what)
		}
	}
	return nil
}

// conversationVersion is the external version of a write: UpdatedAt in
// microseconds since 1970 (external versions must not be negative).
func conversationVersion(updatedAt time.Time) int64 {
	return max(updatedAt.UnixMicro(), 0)
}

// SearchConversations lists conversations, agent requests first (oldest
// request first), then by last message, newest first.
func (x *Index) SearchConversations(ctx context.Context, q search.ConversationQuery) ([]chat.ConversationSummary, error) {
	size := q.Limit()
	body, err := json.Marshal(conversationQuery(q, size))
	if err != nil {
		return nil, fmt.Errorf("elasticsearch: encode conversation search: %w", err)
	}
	return x.searchConversationDocs(ctx, body)
}

// conversationQuery is the search body. Every word of the name must start a
// word of the name, either as written (case and Latin diacritics ignored by
// the analyzers) or in the Latin transliteration; a Cyrillic query word is
// also tried transliterated, so "Петър" finds a customer named "Petar".
func conversationQuery(q search.ConversationQuery, size int) map[string]any {
	var filter []any
	if !q.OpenAt.IsZero() {
		filter = append(filter, map[string]any{"range": map[string]any{
			"staff_deadline": map[string]any{"gt": q.OpenAt.UTC().Format(time.RFC3339Nano)},
		}})
	}
	for _, w := range queryWords(q.Name, maxNameWords) {
		should := []any{nameMatch("customer_name", w), nameMatch("customer_name_latin", w)}
		for _, latin := range textanalysis.LatinSpellings(w) {
			if latin != w {
				should = append(should, nameMatch("customer_name_latin", latin))
			}
		}
		filter = append(filter, map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}})
	}
	query := map[string]any{"match_all": map[string]any{}}
	if len(filter) > 0 {
		query = map[string]any{"bool": map[string]any{"filter": filter}}
	}
	return map[string]any{
		"query": query,
		"size":  size,
		"sort": []any{
			map[string]any{"agent_requested": map[string]any{"order": "desc"}},
			map[string]any{"agent_requested_at": map[string]any{"order": "asc", "missing": "_last"}},
			map[string]any{"last_message_at": map[string]any{"order": "desc", "missing": "_last"}},
			map[string]any{"id": map[string]any{"order": "asc"}},
		},
		"track_total_hits": false,
	}
}

func nameMatch(field, word string) map[string]any {
	return map[string]any{"match": map[string]any{field: map[string]any{"query": word, "operator": "and"}}}
}

// ConversationsChangedSince returns the conversation documents whose
// indexed_at is at or after since, oldest stamp first.
func (x *Index) ConversationsChangedSince(ctx context.Context, since time.Time, limit int) ([]chat.ConversationSummary, error) {
	body, err := json.Marshal(map[string]any{
		"size":  search.ChangedLimit(limit),
		"query": map[string]any{"range": map[string]any{"indexed_at": map[string]any{"gte": since.UTC().Format(time.RFC3339Nano)}}},
		"sort":  []any{map[string]any{"indexed_at": "asc"}, map[string]any{"id": "asc"}},
	})
	if err != nil {
		return nil, fmt.Errorf("elasticsearch: encode the changed conversations query: %w", err)
	}
	return x.searchConversationDocs(ctx, body)
}

// searchConversationDocs runs a search of the conversations index and
// decodes the documents found.
func (x *Index) searchConversationDocs(ctx context.Context, body []byte) ([]chat.ConversationSummary, error) {
	var res searchResponse
	if err := x.search(ctx, x.conversations, nil, body, &res); err != nil {
		return nil, err
	}
	out := make([]chat.ConversationSummary, 0, len(res.Hits.Hits))
	for _, hit := range res.Hits.Hits {
		var c chat.ConversationSummary
		if err := json.Unmarshal(hit.Source, &c); err != nil {
			return nil, fmt.Errorf("elasticsearch: decode conversation %s: %w", hit.ID, err)
		}
		out = append(out, c)
	}
	return out, nil
}
