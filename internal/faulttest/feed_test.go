package faulttest

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/handoffapi"
)

// listRow is a conversation as the dashboard's list stream sends it.
type listRow struct {
	ID      string `json:"id"`
	State   string `json:"state"`
	LastSeq int64  `json:"last_seq"`
}

// listStream is a staff member's open dashboard list on one api process
// (GET /api/v1/events): a "snapshot" of the open conversations at every
// (re)connect, then a "conversation" event for each change. The stream
// passes on each conversation's latest document, so changes that follow
// each other quickly may arrive as one: what it must deliver is every
// conversation's latest state.
type listStream struct {
	api *handoffapi.Client
	who string

	mu        sync.Mutex
	latest    map[string]listRow
	states    map[string][]string // the states seen, in order, without repeats
	snapshots int
	events    int
}

func newListStream(api *handoffapi.Client, who string) *listStream {
	return &listStream{api: api, who: who, latest: map[string]listRow{}, states: map[string][]string{}}
}

func (l *listStream) take(row listRow) {
	if old, ok := l.latest[row.ID]; ok && old.LastSeq > row.LastSeq {
		return // an older document of a snapshot taken before the event
	}
	l.latest[row.ID] = row
	if s := l.states[row.ID]; len(s) == 0 || s[len(s)-1] != row.State {
		l.states[row.ID] = append(s, row.State)
	}
}

func (l *listStream) onEvent(e handoffapi.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e.Name {
	case "snapshot":
		var snap struct {
			Conversations []listRow `json:"conversations"`
		}
		if json.Unmarshal(e.Data, &snap) == nil {
			l.snapshots++
			for _, row := range snap.Conversations {
				l.take(row)
			}
		}
	case "conversation":
		var row listRow
		if json.Unmarshal(e.Data, &row) == nil {
			l.events++
			l.take(row)
		}
	}
}

// follow keeps the list open on its api process, reconnecting as the
// dashboard does (to the same process, once it is back).
func (l *listStream) follow(ctx context.Context, stats *counter) {
	for ctx.Err() == nil {
		body, err := l.api.OpenStream(ctx, "/api/v1/events", l.api.StaffToken, 0)
		if err == nil {
			stats.add("dashboard list streams opened", 1)
			_ = handoffapi.ReadEvents(body, l.onEvent)
			body.Close()
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (l *listStream) row(id string) (listRow, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.latest[id], append([]string(nil), l.states[id]...)
}

func (l *listStream) counts() (snapshots, events int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snapshots, l.events
}
