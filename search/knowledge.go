package search

import (
	"context"
	"errors"

	"github.com/handoff-chat/handoff/internal/knowledge"
)

// KnowledgeDoc is one knowledge-base entry as the index holds it. The entry
// workflow (the source of truth) writes it after every change: Revision
// counts the entry's changes, so a write of an older revision than the
// stored one is ignored and writes may arrive in any order. A deleted entry
// stays as a tombstone (Deleted, Entry.ID set, the rest empty), so a late
// write of an earlier revision cannot bring it back.
type KnowledgeDoc struct {
	Entry    knowledge.Entry `json:"entry"`
	Revision int64           `json:"revision"`
	Deleted  bool            `json:"deleted,omitempty"`
}

// ErrNoEntryID is the error of a KnowledgeDoc without an entry ID.
var ErrNoEntryID = errors.New("knowledge entry needs an ID")

// Stored is d as a backend stores it: a tombstone keeps only the entry's
// ID. A document without an entry ID is ErrNoEntryID.
func (d KnowledgeDoc) Stored() (KnowledgeDoc, error) {
	if d.Entry.ID == "" {
		return KnowledgeDoc{}, ErrNoEntryID
	}
	if d.Deleted {
		d.Entry = knowledge.Entry{ID: d.Entry.ID}
	}
	return d, nil
}

// KnowledgeSnapshot is every live entry, ordered by ID, and the version of
// the knowledge base it was read at.
type KnowledgeSnapshot struct {
	Version int64
	Entries []knowledge.Entry
}

// KnowledgeIndex holds the knowledge base for retrieval: the AI reads its
// entries from here, not from the entry workflows.
type KnowledgeIndex interface {
	// UpsertKnowledge stores d unless a document of the same entry with a
	// later revision is stored; storing the same revision again replaces it
	// (a retried write succeeds).
	UpsertKnowledge(ctx context.Context, d KnowledgeDoc) error
	// KnowledgeVersion changes whenever a stored document changes, and only
	// then: it is the sum of the stored revisions, tombstones included. It
	// is cheap, so a process can ask often and read the entries only when
	// it moved. A write shows in the version and the entries within about a
	// second.
	KnowledgeVersion(ctx context.Context) (int64, error)
	// KnowledgeEntries returns every entry that is not deleted, by ID, with
	// the version read before them (so a change between the two reads shows
	// as a newer version next time, never as a missed one).
	KnowledgeEntries(ctx context.Context) (KnowledgeSnapshot, error)
}
