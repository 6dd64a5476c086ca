package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"
	"unicode"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/handoff-chat/handoff/search"
)

// Highlighting.
const (
	markOpen       = "<mark>"
	markClose      = "</mark>"
	fragmentSize   = 150
	fragments      = 3
	maxQueryWords  = 32
	shownFailures  = 3
	ackWaitLimit   = 2*bulkTimeout + 10*time.Second
	textField      = "text"
	textBulgarian  = "text.bg"
	textEnglish    = "text.en"
	sentAtField    = "sent_at"
	messageIDField = "id"
)

// textFields are the analyses of a message's text, in the order their
// highlights are preferred when they mark equally many words.
var textFields = []string{textField, textBulgarian, textEnglish}

// IndexMessages queues msgs on the bulk indexer and returns once Elasticsearch
// has answered for every one of them. The messages are searchable within the
// index's refresh interval (1s) after that.
func (x *Index) IndexMessages(ctx context.Context, msgs []search.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	// The indexer's workers send in parallel, so two writes of one message
	// in one call could land in either order: only the last is sent.
	last := make(map[string]int, len(msgs))
	for i, m := range msgs {
		if m.ID == "" || m.ConversationID == "" {
			return fmt.Errorf("elasticsearch: message needs an ID and a conversation ID: %+v", m)
		}
		last[m.Key()] = i
	}
	unique := make([]search.Message, 0, len(last))
	bodies := make([][]byte, 0, len(last))
	for i, m := range msgs {
		if last[m.Key()] != i {
			continue
		}
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("elasticsearch: encode message %s: %w", m.ID, err)
		}
		unique = append(unique, m)
		bodies = append(bodies, b)
	}
	msgs = unique

	// Buffered for every item, so the indexer's workers never block on a
	// caller that gave up waiting.
	results := make(chan itemResult, len(msgs))
	x.mu.RLock()
	if x.closed {
		x.mu.RUnlock()
		return errors.New("elasticsearch: index messages: the index is closed")
	}
	added := 0
	var addErr error
	for i, m := range msgs {
		err := x.bulk.Add(ctx, esutil.BulkIndexerItem{
			Action:     "index",
			DocumentID: m.Key(),
			Routing:    m.ConversationID,
			Body:       bytes.NewReader(bodies[i]),
			OnSuccess: func(context.Context, esutil.BulkIndexerItem, esutil.BulkIndexerResponseItem) {
				results <- itemResult{}
			},
			OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
				results <- failedItem(m.ID, res, err)
			},
		})
		if err != nil {
			addErr = err
			break
		}
		added++
	}
	x.mu.RUnlock()
	if addErr != nil {
		return fmt.Errorf("elasticsearch: queue %d messages: %w", len(msgs), addErr)
	}

	limit := time.NewTimer(ackWaitLimit)
	defer limit.Stop()
	var failed failures
	for range added {
		select {
		case r := <-results:
			failed.add(r)
		case <-ctx.Done():
			return fmt.Errorf("elasticsearch: index %d messages: %w", len(msgs), ctx.Err())
		case <-limit.C:
			return fmt.Errorf("elasticsearch: index %d messages: no answer within %s: %w", len(msgs), ackWaitLimit, search.ErrUnavailable)
		}
	}
	return failed.err(len(msgs))
}

// itemResult is the outcome of one bulk item: detail is empty on success.
type itemResult struct {
	id     string
	detail string
	retry  bool
}

// failedItem describes a failed bulk item. err is set when the whole bulk
// request failed; otherwise res holds the item's own error.
func failedItem(id string, res esutil.BulkIndexerResponseItem, err error) itemResult {
	if err != nil {
		return itemResult{id: id, detail: err.Error(), retry: errors.Is(err, search.ErrUnavailable)}
	}
	e := bulkItemError(res)
	return itemResult{id: id, detail: e.String(), retry: retryable(e.Status)}
}

func bulkItemError(res esutil.BulkIndexerResponseItem) esError {
	e := esError{Status: res.Status, Type: res.Error.Type, Reason: res.Error.Reason}
	if c := res.Error.Cause; c.Reason != "" {
		e.Reason += " (caused by " + c.Type + ": " + c.Reason + ")"
	}
	return e
}

// failures collects the failed items of one IndexMessages call, grouped by
// error: a failed bulk request fails all its items the same way.
type failures struct {
	n      int
	retry  bool
	order  []string            // distinct details, first seen first
	byText map[string][]string // detail → message IDs
}

func (f *failures) add(r itemResult) {
	if r.detail == "" {
		return
	}
	f.n++
	f.retry = f.retry || r.retry
	if f.byText == nil {
		f.byText = map[string][]string{}
	}
	if _, ok := f.byText[r.detail]; !ok {
		f.order = append(f.order, r.detail)
	}
	f.byText[r.detail] = append(f.byText[r.detail], r.id)
}

func (f *failures) err(total int) error {
	if f.n == 0 {
		return nil
	}
	var parts []string
	for i, detail := range f.order {
		if i == shownFailures {
			parts = append(parts, fmt.Sprintf("and %d more errors", len(f.order)-i))
			break
		}
		ids := f.byText[detail]
		who := "message " + ids[0]
		if len(ids) > 1 {
			who = fmt.Sprintf("messages %s", strings.Join(ids[:min(len(ids), shownFailures)], ", "))
			if len(ids) > shownFailures {
				who += fmt.Sprintf(" and %d more", len(ids)-shownFailures)
			}
		}
		parts = append(parts, who+": "+detail)
	}
	return &indexError{
		msg:   fmt.Sprintf("elasticsearch: %d of %d messages not indexed: %s", f.n, total, strings.Join(parts, "; ")),
		retry: f.retry,
	}
}

// indexError is IndexMessages' error; it wraps search.ErrUnavailable when
// some item may succeed if tried again.
type indexError struct {
	msg   string
	retry bool
}

func (e *indexError) Error() string { return e.msg }

func (e *indexError) Unwrap() error {
	if e.retry {
		return search.ErrUnavailable
	}
	return nil
}

// SearchMessages finds the messages of one conversation that contain every
// word of the query in some form: as written, or as a Bulgarian or English
// word form.
func (x *Index) SearchMessages(ctx context.Context, q search.MessageQuery) (search.MessageResults, error) {
	if q.ConversationID == "" {
		return search.MessageResults{}, errors.New("elasticsearch: search needs a conversation ID")
	}
	out := search.MessageResults{Hits: []search.MessageHit{}}
	words := queryWords(q.Text, maxQueryWords)
	if len(words) == 0 {
		return out, nil
	}
	size, from := q.Window()
	if from+size > maxResultWindow {
		from = min(from, maxResultWindow)
		size = maxResultWindow - from
	}
	body, err := json.Marshal(messageQuery(q, words, from, size))
	if err != nil {
		return search.MessageResults{}, fmt.Errorf("elasticsearch: encode message search: %w", err)
	}
	var res searchResponse
	if err := x.search(ctx, x.messages, routing(q.ConversationID), body, &res); err != nil {
		return search.MessageResults{}, err
	}
	out.Total = res.Hits.Total.Value
	for _, hit := range res.Hits.Hits {
		var m search.Message
		if err := json.Unmarshal(hit.Source, &m); err != nil {
			return search.MessageResults{}, fmt.Errorf("elasticsearch: decode message %s: %w", hit.ID, err)
		}
		h := search.MessageHit{Message: m, Highlights: pickHighlights(hit.Highlight)}
		if len(h.Highlights) == 0 {
			h.Highlights = []string{html.EscapeString(leading(m.Text, fragmentSize))}
		}
		if hit.Score != nil {
			h.Score = *hit.Score
		}
		out.Hits = append(out.Hits, h)
	}
	return out, nil
}

// messageQuery is the search body: one clause per query word, each matching
// the word in any of the text's analyses (a stop word such as "the", which
// the English analysis drops, matches every message instead of none).
func messageQuery(q search.MessageQuery, words []string, from, size int) map[string]any {
	must := make([]any, 0, len(words))
	for _, w := range words {
		must = append(must, map[string]any{"multi_match": map[string]any{
			"query":            w,
			"type":             "most_fields",
			"fields":           textFields,
			"operator":         "and",
			"zero_terms_query": "all",
		}})
	}
	var sort []any
	if q.Sort == search.SortRelevance {
		sort = []any{desc("_score"), desc(sentAtField)}
	} else {
		sort = []any{desc(sentAtField), desc("_score")}
	}
	sort = append(sort, map[string]any{messageIDField: map[string]any{"order": "asc"}})
	hlFields := map[string]any{}
	for _, f := range textFields {
		hlFields[f] = map[string]any{}
	}
	// The unmatched start of the text when nothing is marked.
	hlFields[textField] = map[string]any{"no_match_size": fragmentSize}
	return map[string]any{
		"query": map[string]any{"bool": map[string]any{
			"filter": []any{map[string]any{"term": map[string]any{"conversation_id": q.ConversationID}}},
			"must":   must,
		}},
		"from":             from,
		"size":             size,
		"sort":             sort,
		"track_total_hits": true,
		"track_scores":     true,
		"highlight": map[string]any{
			"type":                "unified",
			"pre_tags":            []string{markOpen},
			"post_tags":           []string{markClose},
			"encoder":             "html",
			"number_of_fragments": fragments,
			"fragment_size":       fragmentSize,
			"fields":              hlFields,
		},
	}
}

func desc(field string) map[string]any {
	return map[string]any{field: map[string]any{"order": "desc"}}
}

// pickHighlights takes the fragments of the analysis that marked the most:
// the Bulgarian analysis marks "Доставката" for "доставка", the standard one
// does not.
func pickHighlights(h map[string][]string) []string {
	var best []string
	bestMarks := -1
	for _, f := range textFields {
		frags := h[f]
		if len(frags) == 0 {
			continue
		}
		marks := 0
		for _, s := range frags {
			marks += strings.Count(s, markOpen)
		}
		if marks > bestMarks {
			best, bestMarks = frags, marks
		}
	}
	return best
}

// leading returns the first n characters of s, cut at a space when one is
// near, with an ellipsis when cut.
func leading(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := n
	for i := n; i > n*3/4; i-- {
		if unicode.IsSpace(r[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRightFunc(string(r[:cut]), unicode.IsSpace) + "…"
}

// queryWords splits a query into its whitespace-separated words, dropping
// those without a letter or digit (they would analyse to nothing).
func queryWords(s string, limit int) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
			continue
		}
		out = append(out, w)
		if len(out) == limit {
			break
		}
	}
	return out
}

// routing is the search routing for one conversation's documents. Search
// splits the routing parameter at commas, so an ID with a comma searches all
// shards instead (the conversation_id filter still applies).
func routing(conversationID string) []string {
	if strings.Contains(conversationID, ",") {
		return nil
	}
	return []string{conversationID}
}

// searchResponse is the part of a search answer the backend reads.
type searchResponse struct {
	Hits struct {
		Total struct {
			Value int `json:"value"`
		} `json:"total"`
		Hits []struct {
			ID        string              `json:"_id"`
			Score     *float64            `json:"_score"`
			Source    json.RawMessage     `json:"_source"`
			Highlight map[string][]string `json:"highlight"`
		} `json:"hits"`
	} `json:"hits"`
}

// DeclinedQuestions lists the customer messages the AI declined, except
// small talk and requests for a human, newest first (every shard).
func (x *Index) DeclinedQuestions(ctx context.Context, q search.DeclinedQuery) ([]search.Message, error) {
	body, err := json.Marshal(declinedQuery(q))
	if err != nil {
		return nil, fmt.Errorf("elasticsearch: encode declined search: %w", err)
	}
	var res searchResponse
	if err := x.search(ctx, x.messages, nil, body, &res); err != nil {
		return nil, err
	}
	out := make([]search.Message, 0, len(res.Hits.Hits))
	for _, hit := range res.Hits.Hits {
		var m search.Message
		if err := json.Unmarshal(hit.Source, &m); err != nil {
			return nil, fmt.Errorf("elasticsearch: decode message %s: %w", hit.ID, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func declinedQuery(q search.DeclinedQuery) map[string]any {
	filter := []any{
		map[string]any{"term": map[string]any{"ai_declined": true}},
		map[string]any{"term": map[string]any{"sender": "customer"}},
	}
	if !q.Since.IsZero() {
		filter = append(filter, map[string]any{"range": map[string]any{sentAtField: map[string]any{"gte": q.Since.UTC().Format(time.RFC3339Nano)}}})
	}
	return map[string]any{
		"query": map[string]any{"bool": map[string]any{
			"filter": filter,
			"must_not": []any{map[string]any{"terms": map[string]any{
				"ai_reason": []string{search.ReasonSmallTalk, search.ReasonHumanRequest},
			}}},
		}},
		"size":             q.Limit(),
		"sort":             []any{desc(sentAtField), map[string]any{messageIDField: map[string]any{"order": "asc"}}},
		"track_total_hits": false,
	}
}

// EntryStats counts each entry's answers with a terms aggregation on the
// entry ID, and filter sub-aggregations for helped and asked for a human.
func (x *Index) EntryStats(ctx context.Context) ([]search.EntryStats, error) {
	body, err := json.Marshal(entryStatsQuery())
	if err != nil {
		return nil, fmt.Errorf("elasticsearch: encode entry counts: %w", err)
	}
	var res struct {
		Aggregations struct {
			Entries struct {
				Buckets []struct {
					Key      string `json:"key"`
					DocCount int    `json:"doc_count"`
					Helped   struct {
						DocCount int `json:"doc_count"`
					} `json:"helped"`
					AskedForHuman struct {
						DocCount int `json:"doc_count"`
					} `json:"asked_for_human"`
				} `json:"buckets"`
			} `json:"entries"`
		} `json:"aggregations"`
	}
	if err := x.search(ctx, x.messages, nil, body, &res); err != nil {
		return nil, err
	}
	out := make([]search.EntryStats, 0, len(res.Aggregations.Entries.Buckets))
	for _, b := range res.Aggregations.Entries.Buckets {
		out = append(out, search.EntryStats{EntryID: b.Key, Answered: b.DocCount, Helped: b.Helped.DocCount, AskedForHuman: b.AskedForHuman.DocCount})
	}
	return out, nil
}

// TemplateSends counts the staff messages made from each template with a
// terms aggregation on the template ID.
func (x *Index) TemplateSends(ctx context.Context) ([]search.TemplateSends, error) {
	body, err := json.Marshal(templateSendsQuery())
	if err != nil {
		return nil, fmt.Errorf("elasticsearch: encode template send counts: %w", err)
	}
	var res struct {
		Aggregations struct {
			Templates struct {
				Buckets []struct {
					Key      string `json:"key"`
					DocCount int    `json:"doc_count"`
				} `json:"buckets"`
			} `json:"templates"`
		} `json:"aggregations"`
	}
	if err := x.search(ctx, x.messages, nil, body, &res); err != nil {
		return nil, err
	}
	out := make([]search.TemplateSends, 0, len(res.Aggregations.Templates.Buckets))
	for _, b := range res.Aggregations.Templates.Buckets {
		out = append(out, search.TemplateSends{TemplateID: b.Key, Sent: b.DocCount})
	}
	return out, nil
}

func templateSendsQuery() map[string]any {
	return map[string]any{
		"size":             0,
		"track_total_hits": false,
		"query":            map[string]any{"bool": map[string]any{"filter": []any{map[string]any{"term": map[string]any{"sender": "staff"}}}}},
		"aggs": map[string]any{"templates": map[string]any{
			"terms": map[string]any{"field": "template_id", "size": search.MaxStatsEntries, "order": map[string]any{"_key": "asc"}},
		}},
	}
}

func entryStatsQuery() map[string]any {
	return map[string]any{
		"size":             0,
		"track_total_hits": false,
		"query": map[string]any{"bool": map[string]any{
			"filter":   []any{map[string]any{"exists": map[string]any{"field": "ai_entry_id"}}},
			"must_not": []any{map[string]any{"term": map[string]any{"ai_declined": true}}},
		}},
		"aggs": map[string]any{"entries": map[string]any{
			"terms": map[string]any{"field": "ai_entry_id", "size": search.MaxStatsEntries, "order": map[string]any{"_key": "asc"}},
			"aggs": map[string]any{
				"helped":          map[string]any{"filter": map[string]any{"term": map[string]any{"ai_helped": true}}},
				"asked_for_human": map[string]any{"filter": map[string]any{"term": map[string]any{"ai_asked_for_human": true}}},
			},
		}},
	}
}

// search runs a search on index and decodes the answer into out. Partial
// results are refused: a failed shard would otherwise look like no hits.
func (x *Index) search(ctx context.Context, index string, routing []string, body []byte, out any) error {
	partial := false
	req := esapi.SearchRequest{
		Index:                     []string{index},
		Body:                      bytes.NewReader(body),
		Routing:                   routing,
		AllowPartialSearchResults: &partial,
	}
	res, err := req.Do(ctx, x.client)
	if err != nil {
		return transportError("search "+index, err)
	}
	defer closeBody(res)
	if res.IsError() {
		return responseError(res, "search "+index)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("elasticsearch: decode the answer of search %s: %w", index, err)
	}
	return nil
}
