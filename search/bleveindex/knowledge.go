package bleveindex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/handoff-chat/handoff/internal/knowledge"
	"github.com/handoff-chat/handoff/search"
)

const fieldDeleted = "deleted"

// knowledgeDoc is what Bleve indexes of an entry: the whole search.KnowledgeDoc
// as stored JSON and whether it is a tombstone.
type knowledgeDoc struct {
	Doc     string `json:"doc"`
	Deleted bool   `json:"deleted"`
}

func knowledgeMapping() mapping.IndexMapping {
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldDoc, storedOnly())
	doc.AddFieldMappingsAt(fieldDeleted, boolField())
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	return m
}

// knowledgeState is the knowledge index with its version. Bleve lives in
// one process, so the version is kept in memory: summed from the stored
// revisions when the index opens, then moved by the knowledge writer after
// each batch it applied (so a reader that reads the version before the
// entries sees entries at least as new as the version).
type knowledgeState struct {
	index   bleve.Index
	version atomic.Int64
}

func openKnowledge(idx bleve.Index) (*knowledgeState, error) {
	k := &knowledgeState{index: idx}
	if err := k.recount(); err != nil {
		return nil, err
	}
	return k, nil
}

// recount sets the version to the sum of the stored revisions.
func (k *knowledgeState) recount() error {
	docs, err := k.all(nil)
	if err != nil {
		return err
	}
	var sum int64
	for _, d := range docs {
		sum += d.Revision
	}
	k.version.Store(sum)
	return nil
}

// all returns the stored documents, by entry ID: with filter set, only
// those whose Deleted equals it.
func (k *knowledgeState) all(filter *bool) ([]search.KnowledgeDoc, error) {
	n, err := k.index.DocCount()
	if err != nil {
		return nil, fmt.Errorf("bleve: count knowledge entries: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	var q query.Query = bleve.NewMatchAllQuery()
	if filter != nil {
		deleted := bleve.NewBoolFieldQuery(*filter)
		deleted.SetField(fieldDeleted)
		q = deleted
	}
	req := bleve.NewSearchRequestOptions(q, int(n), 0, false)
	req.Fields = []string{fieldDoc}
	req.SortByCustom(bsearch.SortOrder{&bsearch.SortDocID{}})
	res, err := k.index.Search(req)
	if err != nil {
		return nil, fmt.Errorf("bleve: read knowledge entries: %w", err)
	}
	out := make([]search.KnowledgeDoc, 0, len(res.Hits))
	for _, hit := range res.Hits {
		var d search.KnowledgeDoc
		if err := decodeStored(hit, &d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// knowledgeWrite is a knowledge document waiting for its batch.
type knowledgeWrite struct {
	doc    search.KnowledgeDoc
	mapped *document.Document
}

// UpsertKnowledge stores d unless a later revision of its entry is stored.
func (x *Index) UpsertKnowledge(ctx context.Context, d search.KnowledgeDoc) error {
	d, err := d.Stored()
	if err != nil {
		return fmt.Errorf("bleve: %w", err)
	}
	id := d.Entry.ID
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("bleve: encode knowledge entry %s: %w", id, err)
	}
	mapped, err := mapDocument(x.knowledge.index, id, knowledgeDoc{Doc: string(raw), Deleted: d.Deleted})
	if err != nil {
		return fmt.Errorf("bleve: index knowledge entry %s: %w", id, err)
	}
	if err := x.knowledgeWriter.write(ctx, knowledgeWrite{doc: d, mapped: mapped}); err != nil {
		return fmt.Errorf("bleve: write knowledge entry %s: %w", id, err)
	}
	return nil
}

// writeKnowledge is the knowledge base's writer. Of the writes of one entry
// the highest revision (the last queued of equals) is written unless a
// higher one is stored; the version then moves by the revisions added. If
// the batch fails, the version is summed again from what is stored.
func (x *Index) writeKnowledge(writes []knowledgeWrite) error {
	latest := map[string]knowledgeWrite{}
	for _, w := range writes {
		if prev, ok := latest[w.doc.Entry.ID]; !ok || prev.doc.Revision <= w.doc.Revision {
			latest[w.doc.Entry.ID] = w
		}
	}
	stored, err := readStored[search.KnowledgeDoc](x.knowledge.index, slices.Collect(maps.Keys(latest)))
	if err != nil {
		return err
	}
	batch := x.knowledge.index.NewBatch()
	var moved int64
	for id, w := range latest {
		s, ok := stored[id]
		if ok && s.Revision > w.doc.Revision {
			continue
		}
		if err := batch.IndexAdvanced(w.mapped); err != nil {
			return fmt.Errorf("bleve: batch knowledge entry %s: %w", id, err)
		}
		moved += w.doc.Revision - s.Revision
	}
	if batch.Size() == 0 {
		return nil
	}
	if err := x.knowledge.index.Batch(batch); err != nil {
		err = fmt.Errorf("bleve: apply a batch of %d knowledge entries: %w", batch.Size(), err)
		return errors.Join(err, x.knowledge.recount())
	}
	x.knowledge.version.Add(moved)
	return nil
}

// KnowledgeVersion is the sum of the stored revisions.
func (x *Index) KnowledgeVersion(context.Context) (int64, error) {
	return x.knowledge.version.Load(), nil
}

// KnowledgeEntries returns the live entries by ID, with the version read
// before them.
func (x *Index) KnowledgeEntries(context.Context) (search.KnowledgeSnapshot, error) {
	version := x.knowledge.version.Load()
	live := false
	docs, err := x.knowledge.all(&live)
	if err != nil {
		return search.KnowledgeSnapshot{}, err
	}
	snap := search.KnowledgeSnapshot{Version: version, Entries: make([]knowledge.Entry, 0, len(docs))}
	for _, d := range docs {
		snap.Entries = append(snap.Entries, d.Entry)
	}
	return snap, nil
}
