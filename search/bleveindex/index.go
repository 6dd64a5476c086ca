// Package bleveindex is the embedded search backend: three Bleve indexes
// (messages, conversations and the knowledge base) in a directory under handoff's data directory,
// with Bulgarian and English analysis written in the project.
package bleveindex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	zapv17 "github.com/blevesearch/zapx/v17"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/dirlock"
	"github.com/handoff-chat/handoff/search"
)

// Index is a search.Index stored in Bleve. Each of the three indexes has
// one writer (group commit, see writer); being the only one to write, the
// conversations' and the knowledge base's writer checks for a newer stored
// document and writes in one step.
type Index struct {
	messages      bleve.Index
	conversations bleve.Index
	knowledge     *knowledgeState

	messageWriter      *writer[messageWrite]
	conversationWriter *writer[conversationWrite]
	// The journals of the messages' and the conversations' indexes (nil
	// in memory); see journal.go.
	messageJournal      *journal
	conversationJournal *journal
	// lastIndexedAt is the latest IndexedAt stamp; only the conversation
	// writer touches it.
	lastIndexedAt time.Time
	// changes answers the change feed's reads of recent changes.
	changes         *recentChanges
	knowledgeWriter *writer[knowledgeWrite]
	// lock is the directory's lock (nil in memory), released by Close.
	lock *dirlock.Lock
}

var _ search.Index = (*Index)(nil)

// Field names.
const (
	fieldDoc            = "doc" // the whole document as JSON, stored only
	fieldConversationID = "conversation_id"
	fieldText           = "text"
	fieldSentAt         = "sent_at"
	fieldName           = "customer_name"
	fieldStaffDeadline  = "staff_deadline"
	fieldLastMessageAt  = "last_message_at"
	fieldAgentRequested = "agent_requested"
	fieldAgentAt        = "agent_requested_at"
	fieldIndexedAt      = "indexed_at"
	fieldSender         = "sender"
	fieldAIEntryID      = "ai_entry_id"
	fieldTemplateID     = "template_id"
	fieldAIDeclined     = "ai_declined"
	fieldAIReason       = "ai_reason"
	fieldAIAnswered     = "ai_answered" // an entry answered: an entry ID and no decline
	fieldAIHelped       = "ai_helped"
	fieldAIAskedHuman   = "ai_asked_for_human"
)

// messageDoc and conversationDoc are what Bleve indexes.
type messageDoc struct {
	Doc             string    `json:"doc"`
	ConversationID  string    `json:"conversation_id"`
	Text            string    `json:"text"`
	SentAt          time.Time `json:"sent_at"`
	Sender          string    `json:"sender"`
	AIEntryID       string    `json:"ai_entry_id,omitempty"`
	AIDeclined      bool      `json:"ai_declined"`
	AIReason        string    `json:"ai_reason,omitempty"`
	AIAnswered      bool      `json:"ai_answered"`
	AIHelped        bool      `json:"ai_helped"`
	AIAskedForHuman bool      `json:"ai_asked_for_human"`
	// TemplateID is set on staff messages made from a template.
	TemplateID string `json:"template_id,omitempty"`
}

type conversationDoc struct {
	Doc            string     `json:"doc"`
	CustomerName   string     `json:"customer_name"`
	StaffDeadline  time.Time  `json:"staff_deadline"`
	LastMessageAt  time.Time  `json:"last_message_at"`
	AgentRequested float64    `json:"agent_requested"`
	AgentAt        *time.Time `json:"agent_requested_at,omitempty"`
	IndexedAt      time.Time  `json:"indexed_at"`
}

// Open opens the indexes under dir, creating them on first use. The
// directory is this Index's alone until Close: an Open of a directory that
// another process or Index holds fails at once with ErrInUse.
func Open(dir string) (*Index, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("bleve: create %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	x, err := openIndexes(dir)
	if err != nil {
		_ = lock.Release()
		return nil, err
	}
	x.lock = lock
	return x, nil
}

func openIndexes(dir string) (*Index, error) {
	messages, err := openMessages(filepath.Join(dir, "messages.bleve"))
	if err != nil {
		return nil, err
	}
	conversations, err := openConversations(filepath.Join(dir, "conversations.bleve"))
	if err != nil {
		_ = messages.Close()
		return nil, err
	}
	kb, err := openOrCreate(filepath.Join(dir, "knowledge.bleve"), knowledgeMapping(), nil)
	if err != nil {
		_ = messages.Close()
		_ = conversations.Close()
		return nil, err
	}
	x, err := assemble(messages, conversations, kb)
	if err != nil {
		return nil, err
	}
	if err := x.openJournals(dir); err != nil {
		_ = x.Close()
		return nil, err
	}
	return x, nil
}

// journaled is the runtime configuration of the indexes that have a
// journal: batches are taken into memory and persisted in the background,
// the persister pausing briefly between rounds so that it writes several
// batches as one segment, which leaves the merger less to do.
func journaled() map[string]any {
	return map[string]any{
		"unsafe_batch": true,
		// The segment format whose buffer sizing segments.go sets.
		"forceSegmentType":    zapv17.Type,
		"forceSegmentVersion": int(zapv17.Version),
		"scorchPersisterOptions": map[string]any{
			"PersisterNapTimeMSec":      persisterNap.Milliseconds(),
			"PersisterNapUnderNumFiles": 1000,
			"NumPersisterWorkers":       1,
		},
	}
}

// persisterNap is how long Bleve's persister waits to gather batches
// (a variable for the crash test, which stops it persisting at all). The
// journal makes a batch durable and Bleve makes it searchable before the
// persister runs, so the nap delays only the segment files: a longer one
// writes fewer, larger segments and leaves the merger less to rewrite,
// while the batches kept in memory meanwhile cost each new batch a lookup
// of the documents it replaces (README, "Concurrent writes (Bleve)").
var persisterNap = time.Second

// openJournals opens the journals of the messages' and the conversations'
// indexes and writes again what they hold: writes acknowledged before a
// crash that Bleve had not yet persisted.
func (x *Index) openJournals(dir string) error {
	var err error
	if x.messageJournal, err = x.openJournal(filepath.Join(dir, "messages.journal"), x.messages, x.replayMessages); err != nil {
		return err
	}
	x.conversationJournal, err = x.openJournal(filepath.Join(dir, "conversations.journal"), x.conversations, x.replayConversations)
	return err
}

func (x *Index) openJournal(dir string, idx bleve.Index, replay func(records [][]byte) (skipped int, err error)) (*journal, error) {
	epoch, err := epochsOf(idx)
	if err != nil {
		return nil, err
	}
	j, records, err := openJournal(dir, epoch)
	if err != nil {
		return nil, err
	}
	if len(records) > 0 {
		skipped, err := replay(records)
		if err != nil {
			return nil, fmt.Errorf("bleve: write again the %d records of the journal %s: %w", len(records), dir, err)
		}
		if skipped > 0 {
			slog.Warn("search index: journal records this version cannot read were left out", "journal", dir, "records", skipped)
		}
		slog.Info("search index: journal written again", "journal", dir, "records", len(records)-skipped)
	}
	j.replayed()
	return j, nil
}

// replayMessages writes journaled messages again, in pages, and counts
// the records it could not read.
func (x *Index) replayMessages(records [][]byte) (skipped int, err error) {
	for page := range slices.Chunk(records, rebuildPage) {
		writes := make([]messageWrite, 0, len(page))
		for _, raw := range page {
			var msg search.Message
			if err := json.Unmarshal(raw, &msg); err != nil {
				skipped++
				continue
			}
			doc, err := messageDocumentOf(x.messages.Mapping(), msg, raw)
			if err != nil {
				return skipped, err
			}
			writes = append(writes, messageWrite{doc: doc})
		}
		if err := x.applyMessages(writes); err != nil {
			return skipped, err
		}
	}
	return skipped, nil
}

// replayConversations writes journaled conversation documents again (a
// document older than the stored one changes nothing, as ever), and counts
// the records it could not read.
func (x *Index) replayConversations(records [][]byte) (skipped int, err error) {
	for page := range slices.Chunk(records, rebuildPage) {
		writes := make([]conversationWrite, 0, len(page))
		for _, raw := range page {
			var c chat.ConversationSummary
			if err := json.Unmarshal(raw, &c); err != nil {
				skipped++
				continue
			}
			writes = append(writes, conversationWrite{summary: c, record: raw})
		}
		if err := x.applyConversations(writes); err != nil {
			return skipped, err
		}
	}
	return skipped, nil
}

// OpenInMemory returns indexes that live only in memory (tests, benchmarks).
func OpenInMemory() (*Index, error) {
	messages, err := bleve.NewMemOnly(messageMapping())
	if err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	conversations, err := bleve.NewMemOnly(conversationMapping())
	if err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	kb, err := bleve.NewMemOnly(knowledgeMapping())
	if err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	return assemble(messages, conversations, kb)
}

func assemble(messages, conversations, kb bleve.Index) (*Index, error) {
	k, err := openKnowledge(kb)
	if err != nil {
		_ = errors.Join(messages.Close(), conversations.Close(), kb.Close())
		return nil, err
	}
	floor, err := changesFloor(conversations, time.Now().UTC().Truncate(time.Microsecond))
	if err != nil {
		_ = errors.Join(messages.Close(), conversations.Close(), kb.Close())
		return nil, err
	}
	x := &Index{messages: messages, conversations: conversations, knowledge: k, changes: newRecentChanges(floor)}
	x.messageWriter = newWriter(x.writeMessages)
	x.conversationWriter = newWriter(x.writeConversations)
	x.knowledgeWriter = newWriter(x.writeKnowledge)
	return x, nil
}

// mapDocument turns data into the document idx stores under id; callers
// map their own documents, so the writers only collect them.
func mapDocument(idx bleve.Index, id string, data any) (*document.Document, error) {
	doc := document.NewDocument(id)
	if err := idx.Mapping().MapDocument(doc, data); err != nil {
		return nil, err
	}
	return doc, nil
}

// openOrCreate opens the index at path with the runtime configuration
// config (nil: Bleve's defaults), creating it with m on first use.
func openOrCreate(path string, m mapping.IndexMapping, config map[string]any) (bleve.Index, error) {
	idx, err := bleve.OpenUsing(path, config)
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		idx, err = create(path, m, config)
	}
	if err != nil {
		return nil, fmt.Errorf("bleve: open %s: %w", path, err)
	}
	return idx, nil
}

// create makes the index at path with Bleve's defaults, so that its
// mapping is on disk before anything else (a batch taken into memory
// would not yet have persisted it), and opens it with config.
func create(path string, m mapping.IndexMapping, config map[string]any) (bleve.Index, error) {
	idx, err := bleve.New(path, m)
	if err != nil || config == nil {
		return idx, err
	}
	if err := idx.Close(); err != nil {
		return nil, err
	}
	return bleve.OpenUsing(path, config)
}

// openConversations opens the conversation documents' index. An index
// made before the documents had an indexed_at field (which the change feed
// follows) is rebuilt from its own stored documents, each stamped now.
func openConversations(path string) (bleve.Index, error) {
	x, m := &Index{}, conversationMapping()
	return openRebuilt(path, m, fieldIndexedAt, func(raw string) (*document.Document, error) {
		var c chat.ConversationSummary
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, err
		}
		c.IndexedAt = x.nextIndexedAt()
		return conversationDocument(m, c)
	})
}

// openMessages opens the messages' index. An index made before messages
// had a template_id field (which the template send counts read) is rebuilt
// from its own stored documents.
func openMessages(path string) (bleve.Index, error) {
	m := messageMapping()
	return openRebuilt(path, m, fieldTemplateID, func(raw string) (*document.Document, error) {
		var msg search.Message
		if err := json.Unmarshal([]byte(raw), &msg); err != nil {
			return nil, err
		}
		return messageDocument(m, msg)
	})
}

// rebuildPage is how many stored documents one step of a rebuild reads.
const rebuildPage = 1000

// openRebuilt opens the index at path, creating it with m on first use. An
// index whose mapping lacks field was made by an earlier version: it is
// rebuilt with m into a new directory from its own stored documents (the
// whole document as JSON in fieldDoc, mapped again by remap), page by page,
// which then replaces it.
func openRebuilt(path string, m mapping.IndexMapping, field string, remap func(raw string) (*document.Document, error)) (bleve.Index, error) {
	old, err := openOrCreate(path, m, journaled())
	if err != nil {
		return nil, err
	}
	if hasField(old.Mapping(), field) {
		return old, nil
	}
	next := path + ".rebuild"
	if err := os.RemoveAll(next); err != nil {
		_ = old.Close()
		return nil, fmt.Errorf("bleve: clear %s: %w", next, err)
	}
	fresh, err := bleve.New(next, m)
	if err != nil {
		_ = old.Close()
		return nil, fmt.Errorf("bleve: rebuild %s: %w", path, err)
	}
	fail := func(err error) (bleve.Index, error) {
		_ = errors.Join(old.Close(), fresh.Close(), os.RemoveAll(next))
		return nil, fmt.Errorf("bleve: rebuild %s: %w", path, err)
	}
	for from := 0; ; from += rebuildPage {
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), rebuildPage, from, false)
		req.Fields = []string{fieldDoc}
		req.SortBy([]string{"_id"})
		res, err := old.Search(req)
		if err != nil {
			return fail(err)
		}
		batch := fresh.NewBatch()
		for _, hit := range res.Hits {
			raw, ok := hit.Fields[fieldDoc].(string)
			if !ok {
				continue
			}
			doc, err := remap(raw)
			if err != nil {
				continue // a document this version cannot read is left out
			}
			if err := batch.IndexAdvanced(doc); err != nil {
				return fail(err)
			}
		}
		if err := fresh.Batch(batch); err != nil {
			return fail(err)
		}
		if len(res.Hits) < rebuildPage {
			break
		}
	}
	if err := errors.Join(old.Close(), fresh.Close()); err != nil {
		return fail(err)
	}
	if err := os.RemoveAll(path); err != nil {
		return nil, fmt.Errorf("bleve: replace %s: %w", path, err)
	}
	if err := os.Rename(next, path); err != nil {
		return nil, fmt.Errorf("bleve: replace %s with its rebuild: %w", path, err)
	}
	idx, err := bleve.OpenUsing(path, journaled())
	if err != nil {
		return nil, fmt.Errorf("bleve: open %s after its rebuild: %w", path, err)
	}
	return idx, nil
}

// hasField tells whether the default document mapping of m maps field.
func hasField(m mapping.IndexMapping, field string) bool {
	impl, ok := m.(*mapping.IndexMappingImpl)
	if !ok || impl.DefaultMapping == nil {
		return false
	}
	_, ok = impl.DefaultMapping.Properties[field]
	return ok
}

func storedOnly() *mapping.FieldMapping {
	f := bleve.NewTextFieldMapping()
	f.Index = false
	f.Store = true
	f.IncludeInAll = false
	f.DocValues = false
	return f
}

func keywordField() *mapping.FieldMapping {
	f := bleve.NewTextFieldMapping()
	f.Analyzer = keyword.Name
	f.Store = false
	f.IncludeInAll = false
	return f
}

func boolField() *mapping.FieldMapping {
	f := bleve.NewBooleanFieldMapping()
	f.Store = false
	f.IncludeInAll = false
	return f
}

func dateField() *mapping.FieldMapping {
	f := bleve.NewDateTimeFieldMapping()
	f.Store = false
	f.IncludeInAll = false
	return f
}

func messageMapping() mapping.IndexMapping {
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldDoc, storedOnly())
	doc.AddFieldMappingsAt(fieldConversationID, keywordField())
	text := bleve.NewTextFieldMapping()
	text.Analyzer = TextAnalyzer
	text.Store = true
	text.IncludeTermVectors = true
	text.IncludeInAll = false
	doc.AddFieldMappingsAt(fieldText, text)
	doc.AddFieldMappingsAt(fieldSentAt, dateField())
	doc.AddFieldMappingsAt(fieldSender, keywordField())
	doc.AddFieldMappingsAt(fieldAIEntryID, keywordField())
	doc.AddFieldMappingsAt(fieldAIReason, keywordField())
	doc.AddFieldMappingsAt(fieldTemplateID, keywordField())
	for _, f := range []string{fieldAIDeclined, fieldAIAnswered, fieldAIHelped, fieldAIAskedHuman} {
		doc.AddFieldMappingsAt(f, boolField())
	}
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = TextAnalyzer
	return m
}

func conversationMapping() mapping.IndexMapping {
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldDoc, storedOnly())
	name := bleve.NewTextFieldMapping()
	name.Analyzer = NameAnalyzer
	name.Store = false
	name.IncludeInAll = false
	doc.AddFieldMappingsAt(fieldName, name)
	doc.AddFieldMappingsAt(fieldStaffDeadline, dateField())
	doc.AddFieldMappingsAt(fieldLastMessageAt, dateField())
	doc.AddFieldMappingsAt(fieldAgentAt, dateField())
	doc.AddFieldMappingsAt(fieldIndexedAt, dateField())
	agent := bleve.NewNumericFieldMapping()
	agent.Store = false
	agent.IncludeInAll = false
	doc.AddFieldMappingsAt(fieldAgentRequested, agent)
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	return m
}

// IndexMessages stores msgs, in one batch with whatever else is being
// written at the time; a stored Key is replaced.
func (x *Index) IndexMessages(ctx context.Context, msgs []search.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	writes := make([]messageWrite, 0, len(msgs))
	for _, m := range msgs {
		if m.ID == "" || m.ConversationID == "" {
			return fmt.Errorf("bleve: message needs an ID and a conversation ID: %+v", m)
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("bleve: encode message %s: %w", m.ID, err)
		}
		doc, err := messageDocumentOf(x.messages.Mapping(), m, raw)
		if err != nil {
			return err
		}
		writes = append(writes, messageWrite{doc: doc, record: raw})
	}
	if err := x.messageWriter.write(ctx, writes...); err != nil {
		return fmt.Errorf("bleve: write %d messages: %w", len(msgs), err)
	}
	return nil
}

// messageWrite is a message waiting for its batch: its document, and its
// JSON for the journal.
type messageWrite struct {
	doc    *document.Document
	record []byte
}

// messageDocument maps m as the messages' index stores it.
func messageDocument(m mapping.IndexMapping, msg search.Message) (*document.Document, error) {
	raw, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("bleve: encode message %s: %w", msg.ID, err)
	}
	return messageDocumentOf(m, msg, raw)
}

// messageDocumentOf is messageDocument given msg's JSON.
func messageDocumentOf(m mapping.IndexMapping, msg search.Message, raw []byte) (*document.Document, error) {
	doc := document.NewDocument(msg.Key())
	err := m.MapDocument(doc, messageDoc{
		Doc: string(raw), ConversationID: msg.ConversationID, Text: msg.Text, SentAt: msg.SentAt, Sender: msg.Sender,
		AIEntryID: msg.AIEntryID, AIDeclined: msg.AIDeclined, AIReason: msg.AIReason,
		AIAnswered: msg.AIEntryID != "" && !msg.AIDeclined, AIHelped: msg.AIHelped, AIAskedForHuman: msg.AIAskedForHuman,
		TemplateID: msg.TemplateID,
	})
	if err != nil {
		return nil, fmt.Errorf("bleve: index message %s: %w", msg.ID, err)
	}
	return doc, nil
}

// writeMessages is the messages' writer: the batch goes to the journal,
// then to the index; a later document of a Key replaces an earlier one.
func (x *Index) writeMessages(writes []messageWrite) error {
	return throughJournal(x.messageJournal, writes, func(w messageWrite) []byte { return w.record }, x.applyMessages)
}

func (x *Index) applyMessages(writes []messageWrite) error {
	batch := x.messages.NewBatch()
	for _, w := range writes {
		if err := batch.IndexAdvanced(w.doc); err != nil {
			return fmt.Errorf("bleve: batch message %s: %w", w.doc.ID(), err)
		}
	}
	if err := x.messages.Batch(batch); err != nil {
		return fmt.Errorf("bleve: apply a batch of %d messages: %w", batch.Size(), err)
	}
	return nil
}

// throughJournal appends the records of writes to j (when there is one),
// applies the writes to the index, then tells j they are applied.
func throughJournal[T any](j *journal, writes []T, record func(T) []byte, apply func([]T) error) error {
	if j == nil {
		return apply(writes)
	}
	records := make([][]byte, len(writes))
	for i, w := range writes {
		records[i] = record(w)
	}
	if err := j.append(records); err != nil {
		return err
	}
	if err := apply(writes); err != nil {
		return err
	}
	j.applied()
	return nil
}

// conversationWrite is a conversation document waiting for its batch,
// with its JSON for the journal.
type conversationWrite struct {
	summary chat.ConversationSummary
	record  []byte
}

// UpsertConversation stores c unless a document with a later UpdatedAt is stored.
func (x *Index) UpsertConversation(ctx context.Context, c chat.ConversationSummary) error {
	if c.ID == "" {
		return errors.New("bleve: conversation needs an ID")
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("bleve: encode conversation %s: %w", c.ID, err)
	}
	if err := x.conversationWriter.write(ctx, conversationWrite{summary: c, record: raw}); err != nil {
		return fmt.Errorf("bleve: write conversation %s: %w", c.ID, err)
	}
	return nil
}

// conversationDocument maps a conversation document stamped with the
// moment it is stored.
func (x *Index) conversationDocument(c chat.ConversationSummary) (*document.Document, error) {
	return conversationDocument(x.conversations.Mapping(), c)
}

// conversationDocument maps c as the conversations' index (of mapping m)
// stores it.
func conversationDocument(m mapping.IndexMapping, c chat.ConversationSummary) (*document.Document, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("bleve: encode conversation %s: %w", c.ID, err)
	}
	data := conversationDoc{
		Doc: string(raw), CustomerName: c.CustomerName, StaffDeadline: c.StaffDeadline,
		LastMessageAt: c.LastMessageAt, AgentAt: c.AgentRequestedAt, IndexedAt: c.IndexedAt,
	}
	if c.AgentRequestedAt != nil {
		data.AgentRequested = 1
	}
	doc := document.NewDocument(c.ID)
	if err := m.MapDocument(doc, data); err != nil {
		return nil, fmt.Errorf("bleve: index conversation %s: %w", c.ID, err)
	}
	return doc, nil
}

// nextIndexedAt is the IndexedAt stamp of the next conversation document
// written: now, but always later than the previous one's, so the change
// feed sees the documents in the order they were written, each stamp once.
func (x *Index) nextIndexedAt() time.Time {
	now := time.Now().UTC().Truncate(time.Microsecond)
	if !now.After(x.lastIndexedAt) {
		now = x.lastIndexedAt.Add(time.Microsecond)
	}
	x.lastIndexedAt = now
	return now
}

// writeConversations is the conversations' writer: the batch goes to the
// journal, then to the index.
func (x *Index) writeConversations(writes []conversationWrite) error {
	return throughJournal(x.conversationJournal, writes, func(w conversationWrite) []byte { return w.record }, x.applyConversations)
}

// applyConversations writes, of the writes of one conversation, the one
// with the latest UpdatedAt (the last queued of equals), unless the stored
// document is later still. Every document written gets an IndexedAt stamp
// of its own (nextIndexedAt).
func (x *Index) applyConversations(writes []conversationWrite) error {
	latest := map[string]conversationWrite{}
	var ids []string // in the order first written
	for _, w := range writes {
		prev, ok := latest[w.summary.ID]
		if !ok {
			ids = append(ids, w.summary.ID)
		}
		if !ok || !prev.summary.UpdatedAt.After(w.summary.UpdatedAt) {
			latest[w.summary.ID] = w
		}
	}
	stored, err := readStored[chat.ConversationSummary](x.conversations, ids)
	if err != nil {
		return err
	}
	batch := x.conversations.NewBatch()
	var stamped []chat.ConversationSummary
	for _, id := range ids {
		w := latest[id]
		if s, ok := stored[id]; ok && s.UpdatedAt.After(w.summary.UpdatedAt) {
			continue
		}
		// A stamp of its own: the change feed pages by stamp, and could
		// not page past more equal stamps than it reads at once.
		w.summary.IndexedAt = x.nextIndexedAt()
		doc, err := x.conversationDocument(w.summary)
		if err != nil {
			return err
		}
		if err := batch.IndexAdvanced(doc); err != nil {
			return fmt.Errorf("bleve: batch conversation %s: %w", id, err)
		}
		stamped = append(stamped, w.summary)
	}
	if batch.Size() == 0 {
		return nil
	}
	if err := x.conversations.Batch(batch); err != nil {
		return fmt.Errorf("bleve: apply a batch of %d conversations: %w", batch.Size(), err)
	}
	x.changes.add(stamped)
	return nil
}

// ConversationsChangedSince returns the conversation documents stored at
// or after since, in the order they were stored: from the recent changes
// this process stored when they reach back that far, else by a search.
func (x *Index) ConversationsChangedSince(ctx context.Context, since time.Time, limit int) ([]chat.ConversationSummary, error) {
	if docs, ok := x.changes.since(since, search.ChangedLimit(limit)); ok {
		return docs, nil
	}
	return x.searchChangedSince(ctx, since, limit)
}

// searchChangedSince is ConversationsChangedSince by a search of the index.
func (x *Index) searchChangedSince(_ context.Context, since time.Time, limit int) ([]chat.ConversationSummary, error) {
	req := stampedSince(since, search.ChangedLimit(limit), false)
	req.SortByCustom(append(req.Sort, &bsearch.SortDocID{}))
	res, err := x.conversations.Search(req)
	if err != nil {
		return nil, fmt.Errorf("bleve: conversations changed since %s: %w", since.Format(time.RFC3339Nano), err)
	}
	return decodeConversations(res)
}

// changesFloor is where recentChanges starts, for an index opened at now:
// now, or the latest stamp stored later than now if the clock of an
// earlier process ran ahead. Documents stored before are only in idx.
func changesFloor(idx bleve.Index, now time.Time) (time.Time, error) {
	res, err := idx.Search(stampedSince(now, 1, true))
	if err != nil {
		return time.Time{}, fmt.Errorf("bleve: conversations stamped after %s: %w", now.Format(time.RFC3339Nano), err)
	}
	docs, err := decodeConversations(res)
	if err != nil {
		return time.Time{}, err
	}
	if len(docs) > 0 && docs[0].IndexedAt.After(now) {
		return docs[0].IndexedAt, nil
	}
	return now, nil
}

// stampedSince asks for up to size conversation documents stamped at or
// after since, by stamp: the oldest first, or the newest.
func stampedSince(since time.Time, size int, newestFirst bool) *bleve.SearchRequest {
	inclusive := true
	r := bleve.NewDateRangeInclusiveQuery(since, time.Time{}, &inclusive, nil)
	r.SetField(fieldIndexedAt)
	req := bleve.NewSearchRequestOptions(r, size, 0, false)
	req.Fields = []string{fieldDoc}
	req.SortByCustom(bsearch.SortOrder{&bsearch.SortField{Field: fieldIndexedAt, Type: bsearch.SortFieldAsDate, Desc: newestFirst}})
	return req
}

// readStored returns the stored documents of ids (those found), decoded,
// by ID. A stored document that cannot be decoded is left out, and so
// replaced by the write that asked: failing the write instead would fail
// every write sharing its batch, again at every retry.
func readStored[T any](idx bleve.Index, ids []string) (map[string]T, error) {
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = []string{fieldDoc}
	res, err := idx.Search(req)
	if err != nil {
		return nil, fmt.Errorf("bleve: read %d stored documents: %w", len(ids), err)
	}
	out := make(map[string]T, len(res.Hits))
	for _, hit := range res.Hits {
		var d T
		if err := decodeStored(hit, &d); err != nil {
			slog.Warn("search index: replacing a stored document that cannot be read", "id", hit.ID, "error", err)
			continue
		}
		out[hit.ID] = d
	}
	return out, nil
}

func decodeStored(hit *bsearch.DocumentMatch, into any) error {
	raw, ok := hit.Fields[fieldDoc].(string)
	if !ok {
		return fmt.Errorf("bleve: document %s has no stored source", hit.ID)
	}
	if err := json.Unmarshal([]byte(raw), into); err != nil {
		return fmt.Errorf("bleve: decode document %s: %w", hit.ID, err)
	}
	return nil
}

// SearchMessages finds messages of one conversation containing every word of
// the query (in any of its word forms).
func (x *Index) SearchMessages(_ context.Context, q search.MessageQuery) (search.MessageResults, error) {
	if q.ConversationID == "" {
		return search.MessageResults{}, errors.New("search needs a conversation ID")
	}
	size, from := q.Window()
	conv := bleve.NewTermQuery(q.ConversationID)
	conv.SetField(fieldConversationID)
	text := bleve.NewMatchQuery(q.Text)
	text.SetField(fieldText)
	text.Analyzer = TextAnalyzer
	text.SetOperator(query.MatchQueryOperatorAnd)
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(conv, text), size, from, false)
	req.Fields = []string{fieldDoc}
	req.Highlight = bleve.NewHighlightWithStyle("html")
	req.Highlight.AddField(fieldText)
	if q.Sort == search.SortRelevance {
		req.SortBy([]string{"-_score", "-" + fieldSentAt})
	} else {
		req.SortBy([]string{"-" + fieldSentAt, "-_score"})
	}
	res, err := x.messages.Search(req)
	if err != nil {
		return search.MessageResults{}, fmt.Errorf("bleve: search messages: %w", err)
	}
	out := search.MessageResults{Total: int(res.Total), Hits: make([]search.MessageHit, 0, len(res.Hits))}
	for _, hit := range res.Hits {
		var m search.Message
		if err := decodeStored(hit, &m); err != nil {
			return search.MessageResults{}, err
		}
		highlights := hit.Fragments[fieldText]
		if len(highlights) == 0 {
			highlights = []string{html.EscapeString(m.Text)}
		}
		out.Hits = append(out.Hits, search.MessageHit{Message: m, Highlights: highlights, Score: hit.Score})
	}
	return out, nil
}

// SearchConversations lists conversations, agent requests first.
func (x *Index) SearchConversations(_ context.Context, q search.ConversationQuery) ([]chat.ConversationSummary, error) {
	size := q.Limit()
	var must []query.Query
	for _, word := range AnalyzeName(q.Name) {
		p := bleve.NewPrefixQuery(word)
		p.SetField(fieldName)
		must = append(must, p)
	}
	if !q.OpenAt.IsZero() {
		inclusive := false
		r := bleve.NewDateRangeInclusiveQuery(q.OpenAt, time.Time{}, &inclusive, nil)
		r.SetField(fieldStaffDeadline)
		must = append(must, r)
	}
	var qq query.Query = bleve.NewMatchAllQuery()
	if len(must) > 0 {
		qq = bleve.NewConjunctionQuery(must...)
	}
	req := bleve.NewSearchRequestOptions(qq, size, 0, false)
	req.Fields = []string{fieldDoc}
	req.SortByCustom(bsearch.SortOrder{
		&bsearch.SortField{Field: fieldAgentRequested, Desc: true, Type: bsearch.SortFieldAsNumber, Missing: bsearch.SortFieldMissingLast},
		&bsearch.SortField{Field: fieldAgentAt, Type: bsearch.SortFieldAsDate, Missing: bsearch.SortFieldMissingLast},
		&bsearch.SortField{Field: fieldLastMessageAt, Desc: true, Type: bsearch.SortFieldAsDate, Missing: bsearch.SortFieldMissingLast},
		&bsearch.SortDocID{},
	})
	res, err := x.conversations.Search(req)
	if err != nil {
		return nil, fmt.Errorf("bleve: search conversations: %w", err)
	}
	return decodeConversations(res)
}

// DeclinedQuestions lists the customer messages the AI declined, except
// small talk and requests for a human, newest first.
func (x *Index) DeclinedQuestions(_ context.Context, q search.DeclinedQuery) ([]search.Message, error) {
	declined := bleve.NewBoolFieldQuery(true)
	declined.SetField(fieldAIDeclined)
	customer := bleve.NewTermQuery("customer")
	customer.SetField(fieldSender)
	must := []query.Query{declined, customer}
	if !q.Since.IsZero() {
		inclusive := true
		r := bleve.NewDateRangeInclusiveQuery(q.Since, time.Time{}, &inclusive, nil)
		r.SetField(fieldSentAt)
		must = append(must, r)
	}
	var not []query.Query
	for _, reason := range []string{search.ReasonSmallTalk, search.ReasonHumanRequest} {
		t := bleve.NewTermQuery(reason)
		t.SetField(fieldAIReason)
		not = append(not, t)
	}
	bq := bleve.NewBooleanQuery()
	bq.AddMust(must...)
	bq.AddMustNot(not...)
	req := bleve.NewSearchRequestOptions(bq, q.Limit(), 0, false)
	req.Fields = []string{fieldDoc}
	req.SortByCustom(bsearch.SortOrder{
		&bsearch.SortField{Field: fieldSentAt, Desc: true, Type: bsearch.SortFieldAsDate, Missing: bsearch.SortFieldMissingLast},
		&bsearch.SortDocID{},
	})
	res, err := x.messages.Search(req)
	if err != nil {
		return nil, fmt.Errorf("bleve: search declined questions: %w", err)
	}
	out := make([]search.Message, 0, len(res.Hits))
	for _, hit := range res.Hits {
		var m search.Message
		if err := decodeStored(hit, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// EntryStats counts each entry's answers with a facet on the entry ID over
// the answered messages, then over those marked helped and those after
// which the customer asked for a human.
func (x *Index) EntryStats(_ context.Context) ([]search.EntryStats, error) {
	counts := func(extra string) (map[string]int, error) {
		answered := bleve.NewBoolFieldQuery(true)
		answered.SetField(fieldAIAnswered)
		var qq query.Query = answered
		if extra != "" {
			flag := bleve.NewBoolFieldQuery(true)
			flag.SetField(extra)
			qq = bleve.NewConjunctionQuery(answered, flag)
		}
		req := bleve.NewSearchRequestOptions(qq, 0, 0, false)
		req.AddFacet("entries", bleve.NewFacetRequest(fieldAIEntryID, search.MaxStatsEntries))
		res, err := x.messages.Search(req)
		if err != nil {
			return nil, fmt.Errorf("bleve: count entry answers: %w", err)
		}
		out := map[string]int{}
		if f := res.Facets["entries"]; f != nil && f.Terms != nil {
			for _, t := range f.Terms.Terms() {
				out[t.Term] = t.Count
			}
		}
		return out, nil
	}
	answered, err := counts("")
	if err != nil {
		return nil, err
	}
	helped, err := counts(fieldAIHelped)
	if err != nil {
		return nil, err
	}
	asked, err := counts(fieldAIAskedHuman)
	if err != nil {
		return nil, err
	}
	out := make([]search.EntryStats, 0, len(answered))
	for id, n := range answered {
		out = append(out, search.EntryStats{EntryID: id, Answered: n, Helped: helped[id], AskedForHuman: asked[id]})
	}
	slices.SortFunc(out, func(a, b search.EntryStats) int { return strings.Compare(a.EntryID, b.EntryID) })
	return out, nil
}

// TemplateSends counts the staff messages made from each template, with a
// facet on the template ID.
func (x *Index) TemplateSends(_ context.Context) ([]search.TemplateSends, error) {
	staff := bleve.NewTermQuery("staff")
	staff.SetField(fieldSender)
	req := bleve.NewSearchRequestOptions(staff, 0, 0, false)
	req.AddFacet("templates", bleve.NewFacetRequest(fieldTemplateID, search.MaxStatsEntries))
	res, err := x.messages.Search(req)
	if err != nil {
		return nil, fmt.Errorf("bleve: count template sends: %w", err)
	}
	out := []search.TemplateSends{}
	if f := res.Facets["templates"]; f != nil && f.Terms != nil {
		for _, t := range f.Terms.Terms() {
			if t.Term != "" { // a message typed by hand maps an empty template ID
				out = append(out, search.TemplateSends{TemplateID: t.Term, Sent: t.Count})
			}
		}
	}
	slices.SortFunc(out, func(a, b search.TemplateSends) int { return strings.Compare(a.TemplateID, b.TemplateID) })
	return out, nil
}

// Close waits for the writes under way, refuses later ones, closes the
// indexes and then gives up the directory.
func (x *Index) Close() error {
	x.messageWriter.close()
	x.conversationWriter.close()
	x.knowledgeWriter.close()
	for _, j := range []*journal{x.messageJournal, x.conversationJournal} {
		if j != nil {
			j.awaitPersisted(closeFlushWait)
			j.close()
		}
	}
	err := errors.Join(x.messages.Close(), x.conversations.Close(), x.knowledge.index.Close())
	return errors.Join(err, x.lock.Release())
}

// closeFlushWait bounds how long Close waits for Bleve to persist the
// journaled writes; what it has not persisted by then is in the journal,
// which the next Open writes again.
const closeFlushWait = 5 * time.Second

// decodeConversations decodes the conversation documents of a search.
func decodeConversations(res *bleve.SearchResult) ([]chat.ConversationSummary, error) {
	out := make([]chat.ConversationSummary, 0, len(res.Hits))
	for _, hit := range res.Hits {
		var c chat.ConversationSummary
		if err := decodeStored(hit, &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
