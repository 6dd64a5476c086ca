package elasticsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/search"
)

// knowledgePage is how many entries one search of KnowledgeEntries reads;
// further pages follow with search_after.
const knowledgePage = 1000

// knowledgeDoc is the stored entry: the search.KnowledgeDoc with the entry's
// ID at the top level for sorting. The entry itself is kept in _source
// only (its mapping is disabled): it is read whole, never searched.
type knowledgeDoc struct {
	ID string `json:"id"`
	search.KnowledgeDoc
}

// knowledgeIndex is the settings and mappings of <prefix>-knowledge: one
// shard, since it holds a few thousand small documents that are always read
// together.
func knowledgeIndex() map[string]any {
	settings := indexSettings()
	settings["number_of_shards"] = 1
	return map[string]any{
		"settings": map[string]any{"index": settings},
		"mappings": map[string]any{
			"_meta":   map[string]any{"handoff_schema": schemaVersion},
			"dynamic": false,
			"properties": map[string]any{
				"id":       keyword(),
				"revision": map[string]any{"type": "long"},
				"deleted":  boolean(),
				"entry":    map[string]any{"type": "object", "enabled": false},
			},
		},
	}
}

// UpsertKnowledge stores d with its revision as the external version, so a
// write of an older revision is ignored and a retried one succeeds.
func (x *Index) UpsertKnowledge(ctx context.Context, d search.KnowledgeDoc) error {
	d, err := d.Stored()
	if err != nil {
		return fmt.Errorf("elasticsearch: %w", err)
	}
	id := d.Entry.ID
	doc, err := json.Marshal(knowledgeDoc{ID: id, KnowledgeDoc: d})
	if err != nil {
		return fmt.Errorf("elasticsearch: encode knowledge entry %s: %w", id, err)
	}
	return x.writeVersioned(ctx, versionedWrite{
		index: x.knowledge, id: id, version: max(d.Revision, 0), doc: doc,
		what: "write knowledge entry " + id,
	})
}

// KnowledgeVersion is a sum aggregation of the stored revisions.
func (x *Index) KnowledgeVersion(ctx context.Context) (int64, error) {
	body, err := json.Marshal(map[string]any{
		"size":             0,
		"track_total_hits": false,
		"aggs":             map[string]any{"version": map[string]any{"sum": map[string]any{"field": "revision"}}},
	})
	if err != nil {
		return 0, fmt.Errorf("elasticsearch: encode the knowledge version query: %w", err)
	}
	var res struct {
		Aggregations struct {
			Version struct {
				Value float64 `json:"value"`
			} `json:"version"`
		} `json:"aggregations"`
	}
	if err := x.search(ctx, x.knowledge, nil, body, &res); err != nil {
		return 0, err
	}
	return int64(math.Round(res.Aggregations.Version.Value)), nil
}

// KnowledgeEntries reads the live entries by ID, a page at a time.
func (x *Index) KnowledgeEntries(ctx context.Context) (search.KnowledgeSnapshot, error) {
	version, err := x.KnowledgeVersion(ctx)
	if err != nil {
		return search.KnowledgeSnapshot{}, err
	}
	snap := search.KnowledgeSnapshot{Version: version, Entries: []knowledge.Entry{}}
	var after []any
	for {
		page, last, err := x.knowledgePage(ctx, after)
		if err != nil {
			return search.KnowledgeSnapshot{}, err
		}
		snap.Entries = append(snap.Entries, page...)
		if len(page) < knowledgePage {
			return snap, nil
		}
		after = last
	}
}

func (x *Index) knowledgePage(ctx context.Context, after []any) ([]knowledge.Entry, []any, error) {
	q := knowledgeQuery(after)
	body, err := json.Marshal(q)
	if err != nil {
		return nil, nil, fmt.Errorf("elasticsearch: encode the knowledge query: %w", err)
	}
	var res struct {
		Hits struct {
			Hits []struct {
				ID     string          `json:"_id"`
				Source json.RawMessage `json:"_source"`
				Sort   []any           `json:"sort"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := x.search(ctx, x.knowledge, nil, body, &res); err != nil {
		return nil, nil, err
	}
	out := make([]knowledge.Entry, 0, len(res.Hits.Hits))
	var last []any
	for _, hit := range res.Hits.Hits {
		var d knowledgeDoc
		if err := json.Unmarshal(hit.Source, &d); err != nil {
			return nil, nil, fmt.Errorf("elasticsearch: decode knowledge entry %s: %w", hit.ID, err)
		}
		out = append(out, d.Entry)
		last = hit.Sort
	}
	return out, last, nil
}

func knowledgeQuery(after []any) map[string]any {
	q := map[string]any{
		"query":            map[string]any{"bool": map[string]any{"must_not": []any{map[string]any{"term": map[string]any{"deleted": true}}}}},
		"size":             knowledgePage,
		"sort":             []any{map[string]any{"id": map[string]any{"order": "asc"}}},
		"track_total_hits": false,
	}
	if after != nil {
		q["search_after"] = after
	}
	return q
}
