package bleveindex

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/blevesearch/bleve/v2"
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
// revisions when the index opens, then moved by every write.
type knowledgeState struct {
	index   bleve.Index
	version int64
}

func openKnowledge(idx bleve.Index) (*knowledgeState, error) {
	k := &knowledgeState{index: idx}
	docs, err := k.all(nil)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		k.version += d.Revision
	}
	return k, nil
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

func (k *knowledgeState) stored(id string) (search.KnowledgeDoc, bool, error) {
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery([]string{id}), 1, 0, false)
	req.Fields = []string{fieldDoc}
	res, err := k.index.Search(req)
	if err != nil {
		return search.KnowledgeDoc{}, false, fmt.Errorf("bleve: read knowledge entry %s: %w", id, err)
	}
	if len(res.Hits) == 0 {
		return search.KnowledgeDoc{}, false, nil
	}
	var d search.KnowledgeDoc
	if err := decodeStored(res.Hits[0], &d); err != nil {
		return search.KnowledgeDoc{}, false, err
	}
	return d, true, nil
}

// UpsertKnowledge stores d unless a later revision of its entry is stored.
func (x *Index) UpsertKnowledge(_ context.Context, d search.KnowledgeDoc) error {
	d, err := d.Stored()
	if err != nil {
		return fmt.Errorf("bleve: %w", err)
	}
	id := d.Entry.ID
	x.upserts.Lock()
	defer x.upserts.Unlock()
	stored, found, err := x.knowledge.stored(id)
	if err != nil {
		return err
	}
	if found && stored.Revision > d.Revision {
		return nil
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("bleve: encode knowledge entry %s: %w", id, err)
	}
	if err := x.knowledge.index.Index(id, knowledgeDoc{Doc: string(raw), Deleted: d.Deleted}); err != nil {
		return fmt.Errorf("bleve: index knowledge entry %s: %w", id, err)
	}
	x.knowledge.version += d.Revision - stored.Revision
	return nil
}

// KnowledgeVersion is the sum of the stored revisions.
func (x *Index) KnowledgeVersion(context.Context) (int64, error) {
	x.upserts.Lock()
	defer x.upserts.Unlock()
	return x.knowledge.version, nil
}

// KnowledgeEntries returns the live entries by ID.
func (x *Index) KnowledgeEntries(context.Context) (search.KnowledgeSnapshot, error) {
	x.upserts.Lock()
	defer x.upserts.Unlock()
	live := false
	docs, err := x.knowledge.all(&live)
	if err != nil {
		return search.KnowledgeSnapshot{}, err
	}
	snap := search.KnowledgeSnapshot{Version: x.knowledge.version, Entries: make([]knowledge.Entry, 0, len(docs))}
	for _, d := range docs {
		snap.Entries = append(snap.Entries, d.Entry)
	}
	return snap, nil
}
