// Package reindex rebuilds the search index from Temporal, the source of
// truth: every message and conversation document the conversation
// workflows wrote over all their runs, and every knowledge-base entry. It
// replays each run's history against the workflow code and writes what the
// code asked the search activities to write (see Replay), with the
// activities' own mapping, so a rebuilt document has the ID and content the
// original write gave it. Writes replace documents of the same ID, an older
// conversation document never replaces a newer one and an older entry
// revision never a newer one, so a rebuild can run again without
// duplicating anything, and beside the running system without rolling a
// document or an entry back. (A message is written as it stands: one whose
// AI marker changes between the rebuild's read and its write keeps the
// marker the rebuild read, until the next change.)
//
// Templates are not in the index: they live in the TemplateLibrary
// workflow, and their send counts come from the indexed staff messages that
// carry a template ID, which the messages bring back.
package reindex

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	historypb "go.temporal.io/api/history/v1"

	"github.com/handoff-chat/handoff/activities"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/workflows"
)

// Part is one kind of document a rebuild writes.
type Part string

const (
	// Messages are the customer and staff messages of every conversation.
	Messages Part = "messages"
	// Conversations are the per-conversation documents (staff list, name
	// search, change feed).
	Conversations Part = "conversations"
	// Knowledge is the knowledge base the AI answers from.
	Knowledge Part = "knowledge"
)

// AllParts is every part, in the order a rebuild writes them: the
// knowledge base first, which takes seconds and lets the AI answer again.
var AllParts = []Part{Knowledge, Messages, Conversations}

// ParseParts reads a comma-separated list of parts; empty is all.
func ParseParts(list string) ([]Part, error) {
	if strings.TrimSpace(list) == "" {
		return slices.Clone(AllParts), nil
	}
	var parts []Part
	for name := range strings.SplitSeq(list, ",") {
		p := Part(strings.TrimSpace(name))
		switch {
		case p == "templates":
			return nil, errors.New("templates are not in the search index: they live in the TemplateLibrary workflow, and their send counts come back with the messages (--only messages)")
		case !slices.Contains(AllParts, p):
			return nil, fmt.Errorf("unknown part %q: use messages, conversations or knowledge", name)
		case !slices.Contains(parts, p):
			parts = append(parts, p)
		}
	}
	return parts, nil
}

// Options tune a rebuild; the zero value rebuilds everything.
type Options struct {
	// Parts are what to write; nil is AllParts.
	Parts []Part
	// DryRun reads and replays everything and writes nothing: a check that
	// every history replays, and the counts a rebuild would write.
	DryRun bool
	// Concurrency is how many workflows are read and replayed at once
	// (default 4).
	Concurrency int
	// Progress receives a line of counts and rate every ProgressEvery
	// (default 5 s) while the rebuild runs; nil prints none.
	Progress      io.Writer
	ProgressEvery time.Duration
	// Attempts is how often a read or write is tried before its workflow is
	// reported as failed (default 5), waiting RetryWait (default 1 s),
	// doubled after each failure, in between.
	Attempts  int
	RetryWait time.Duration
	// Logger receives a warning for every retry and failure (default: none).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Parts == nil {
		o.Parts = AllParts
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 5 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.RetryWait <= 0 {
		o.RetryWait = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Summary is what a rebuild did. In a dry run the counts are what it would
// have written.
type Summary struct {
	DryRun bool `json:"dry_run,omitempty"`
	// Conversations counts the conversations (workflow IDs) read and Runs
	// their runs replayed; Gone counts runs listed whose history was
	// deleted (retention) before it was read.
	Conversations int `json:"conversations"`
	Runs          int `json:"runs"`
	Gone          int `json:"gone,omitempty"`
	// Messages and Documents count the messages and conversation documents
	// written; Carried counts the messages among them that came from the
	// state a run carried over from runs no longer in Temporal.
	Messages  int `json:"messages"`
	Documents int `json:"documents"`
	Carried   int `json:"carried,omitempty"`
	// Knowledge counts the entries written, Deleted the tombstones among
	// them.
	Knowledge int `json:"knowledge"`
	Deleted   int `json:"deleted,omitempty"`
	// Retries counts the reads and writes that failed and were tried again.
	Retries int `json:"retries,omitempty"`
	// Failures are the workflows not (or not completely) rebuilt.
	Failures []Failure     `json:"failures,omitempty"`
	Elapsed  time.Duration `json:"elapsed"`
}

// Failure is a workflow whose documents were not all written, and why.
type Failure struct {
	WorkflowID string `json:"workflow_id"`
	Reason     string `json:"reason"`
	Err        error  `json:"-"`
}

func (f Failure) Error() string { return f.WorkflowID + ": " + f.Reason }

// String is the summary's line for people.
func (s Summary) String() string {
	var b strings.Builder
	verb := "wrote"
	if s.DryRun {
		verb = "dry run, nothing written; would write"
	}
	fmt.Fprintf(&b, "%s %d messages and %d conversation documents of %d conversations (%d runs",
		verb, s.Messages, s.Documents, s.Conversations, s.Runs)
	if s.Gone > 0 {
		fmt.Fprintf(&b, ", %d gone before they were read", s.Gone)
	}
	b.WriteString(")")
	if s.Carried > 0 {
		fmt.Fprintf(&b, ", %d of the messages from the state runs carried over from runs that are gone", s.Carried)
	}
	fmt.Fprintf(&b, ", %d knowledge entries (%d of them deleted) in %s", s.Knowledge, s.Deleted, s.Elapsed.Round(time.Millisecond))
	if s.Retries > 0 {
		fmt.Fprintf(&b, "; %d reads or writes retried", s.Retries)
	}
	fmt.Fprintf(&b, "; %d failed", len(s.Failures))
	return b.String()
}

// ErrIncomplete is matched by Run's error when some workflows were not
// rebuilt; the summary lists them.
var ErrIncomplete = errors.New("rebuild incomplete")

// Run rebuilds the parts of idx (nil in a dry run) from the workflows in
// t. It returns an error matching ErrIncomplete when some workflows failed
// (the rest are written), and another error when the runs could not be
// listed or ctx ended.
func Run(ctx context.Context, t Temporal, idx search.Index, opts Options) (Summary, error) {
	opts = opts.withDefaults()
	if idx == nil && !opts.DryRun {
		return Summary{}, errors.New("reindex: no search index to write to")
	}
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &rebuild{t: t, idx: idx, opts: opts, started: time.Now(), stop: cancel}
	r.sum.DryRun = opts.DryRun
	stopProgress := r.reportProgress()
	err := r.run(ctx)
	stopProgress()
	if cause := context.Cause(ctx); err != nil && parent.Err() == nil && cause != nil {
		err = cause // stopped by the rebuild itself, saying why
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sum.Elapsed = time.Since(r.started)
	if err == nil && len(r.sum.Failures) > 0 {
		err = fmt.Errorf("%w: %d workflows failed, first %s", ErrIncomplete, len(r.sum.Failures), r.sum.Failures[0])
	}
	return r.sum, err
}

type rebuild struct {
	t       Temporal
	idx     search.Index
	opts    Options
	started time.Time
	// stop ends the rebuild early with its reason.
	stop context.CancelCauseFunc

	mu  sync.Mutex
	sum Summary
	// What the progress line reports: the phase, whether its workflows
	// are being listed, how many there are and how many are done.
	phase       string
	listing     bool
	total, done int
	phaseStart  time.Time
}

func (r *rebuild) has(p Part) bool { return slices.Contains(r.opts.Parts, p) }

func (r *rebuild) run(ctx context.Context) error {
	if r.has(Knowledge) {
		runs, err := r.list(ctx, "knowledge entries", knowledgeRuns)
		if err != nil {
			return err
		}
		r.each(ctx, "knowledge entries", byWorkflow(runs), r.entry)
	}
	if r.has(Messages) || r.has(Conversations) {
		runs, err := r.list(ctx, "conversations", conversationRuns)
		if err != nil {
			return err
		}
		w := r.startWriter(ctx)
		r.each(ctx, "conversations", byWorkflow(runs), func(ctx context.Context, runs []run) { r.conversation(ctx, runs, w) })
		w.close()
	}
	return ctx.Err()
}

// list reads the runs of a query, retried like every read.
func (r *rebuild) list(ctx context.Context, what, query string) ([]run, error) {
	r.mu.Lock()
	r.phase, r.listing = what, true
	r.mu.Unlock()
	var runs []run
	err := r.try(ctx, "list "+query, func(ctx context.Context) error {
		var err error
		runs, err = listRuns(ctx, r.t, query)
		return err
	})
	return runs, err
}

// each rebuilds every workflow with do, Concurrency at a time.
func (r *rebuild) each(ctx context.Context, phase string, workflows [][]run, do func(context.Context, []run)) {
	r.mu.Lock()
	r.phase, r.listing, r.total, r.done, r.phaseStart = phase, false, len(workflows), 0, time.Now()
	r.mu.Unlock()
	next := make(chan []run)
	var wg sync.WaitGroup
	for range r.opts.Concurrency {
		wg.Go(func() {
			for runs := range next {
				do(ctx, runs)
				r.mu.Lock()
				r.done++
				r.mu.Unlock()
			}
		})
	}
	for _, runs := range workflows {
		if ctx.Err() != nil {
			break
		}
		next <- runs
	}
	close(next)
	wg.Wait()
}

// conversation replays every run of one conversation, oldest first, and
// hands what they indexed to w.
func (r *rebuild) conversation(ctx context.Context, runs []run, w *writer) {
	c := NewConversation(runs[0].WorkflowID)
	var failed []error
	replayed := map[string]bool{}
	for _, run := range runs {
		h, err := r.history(ctx, run)
		if errors.Is(err, errGone) {
			r.count(func(s *Summary) { s.Gone++ })
			continue
		}
		if err == nil {
			err = r.carry(c, h, replayed)
		}
		if err != nil {
			failed = append(failed, err)
			continue
		}
		writes, err := Replay(h, run.WorkflowID, run.RunID)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		replayed[run.RunID] = true
		for _, req := range writes.Conversations {
			c.Add(req)
		}
	}
	if ctx.Err() != nil {
		return // the rebuild is stopping, and Run says why
	}
	r.count(func(s *Summary) {
		s.Conversations++
		s.Runs += len(replayed)
	})
	if len(failed) > 0 {
		r.fail(c.ID, errors.Join(failed...))
	}
	w.add(c) // what the other runs wrote, even when one failed
}

// carry adds the messages a run carried over from the run it continued
// (continue-as-new) when that run was not replayed: gone after the
// retention, or failed.
func (r *rebuild) carry(c *Conversation, h *historypb.History, replayed map[string]bool) error {
	previous := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
	if previous == "" || replayed[previous] {
		return nil
	}
	var start workflows.ConversationStart
	if err := startInput(h, &start); err != nil {
		return fmt.Errorf("%s: %w", c.ID, err)
	}
	c.Carry(start.State)
	return nil
}

// entry writes one knowledge entry as its workflow's running run holds it:
// the entry the run started with (carried over by continue-as-new) or the
// latest the run wrote since, whichever has the higher revision.
func (r *rebuild) entry(ctx context.Context, runs []run) {
	run := runs[len(runs)-1]
	h, err := r.history(ctx, run)
	if errors.Is(err, errGone) {
		r.count(func(s *Summary) { s.Gone++ })
		return
	}
	if err != nil {
		r.fail(run.WorkflowID, err)
		return
	}
	var state workflows.KnowledgeState
	if err := startInput(h, &state); err != nil {
		r.fail(run.WorkflowID, fmt.Errorf("%s: %w", run, err))
		return
	}
	writes, err := Replay(h, run.WorkflowID, run.RunID)
	if err != nil {
		r.fail(run.WorkflowID, err)
		return
	}
	latest := activities.KnowledgeIndexRequest{ID: state.ID, Entry: state.Entry, Revision: state.Revision}
	for _, req := range writes.Knowledge {
		if req.Revision >= latest.Revision {
			latest = req
		}
	}
	if latest.Revision == 0 {
		return // the workflow never had an entry (its first put was refused)
	}
	doc := latest.Doc()
	err = r.write(ctx, fmt.Sprintf("write knowledge entry %s revision %d", latest.ID, latest.Revision), func(ctx context.Context) error {
		return r.idx.UpsertKnowledge(ctx, doc)
	})
	if err != nil {
		r.fail(run.WorkflowID, err)
		return
	}
	r.count(func(s *Summary) {
		s.Knowledge++
		if doc.Deleted {
			s.Deleted++
		}
	})
}

// history reads a run's history, retried; errGone is not retried.
func (r *rebuild) history(ctx context.Context, run run) (*historypb.History, error) {
	var h *historypb.History
	err := r.try(ctx, "read "+run.String(), func(ctx context.Context) error {
		var err error
		h, err = history(ctx, r.t, run)
		return err
	})
	return h, err
}

// write runs one write to the index, retried; a dry run writes nothing.
func (r *rebuild) write(ctx context.Context, what string, do func(context.Context) error) error {
	if r.opts.DryRun {
		return nil
	}
	return r.try(ctx, what, do)
}

// try calls do until it succeeds, Attempts times at most, waiting longer
// after each failure. A history that is gone is not tried again.
func (r *rebuild) try(ctx context.Context, what string, do func(context.Context) error) error {
	wait := r.opts.RetryWait
	for attempt := 1; ; attempt++ {
		err := do(ctx)
		if err == nil || errors.Is(err, errGone) || ctx.Err() != nil {
			return err
		}
		if attempt >= r.opts.Attempts {
			return fmt.Errorf("%s: gave up after %d attempts: %w", what, attempt, err)
		}
		r.opts.Logger.Warn("reindex: retrying", "what", what, "attempt", attempt, "in", wait, "error", err)
		r.count(func(s *Summary) { s.Retries++ })
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// fail reports a workflow not (or not completely) rebuilt; a second
// failure of the same workflow joins the first.
func (r *rebuild) fail(workflowID string, err error) {
	r.opts.Logger.Error("reindex: not rebuilt", "workflow", workflowID, "error", err)
	r.count(func(s *Summary) {
		if i := slices.IndexFunc(s.Failures, func(f Failure) bool { return f.WorkflowID == workflowID }); i >= 0 {
			err = errors.Join(s.Failures[i].Err, err)
			s.Failures[i] = Failure{WorkflowID: workflowID, Reason: err.Error(), Err: err}
			return
		}
		s.Failures = append(s.Failures, Failure{WorkflowID: workflowID, Reason: err.Error(), Err: err})
	})
}

func (r *rebuild) count(change func(*Summary)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	change(&r.sum)
}
