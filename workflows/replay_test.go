package workflows_test

import (
	"log/slog"
	"path/filepath"
	"slices"
	"testing"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/handoff-chat/handoff/workflows"
)

// TestReplayRecordedHistories replays histories recorded from real runs (see
// internal/app/history_test.go) against the current workflow code. It fails
// when a change would break conversations that are already running.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, baseline := range []string{"conversation-webchat.json", "conversation-messenger.json",
		"conversation-continued-as-new.json", "conversation-after-continue-as-new.json", "conversation-ai.json",
		"knowledge-entry.json", "settings.json"} {
		if !slices.Contains(files, filepath.Join("testdata", baseline)) {
			t.Errorf("testdata has no %s; record it with TestRecordHistories in internal/app", baseline)
		}
	}
	logger := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			workflows.Register(replayer)
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(logger, file); err != nil {
				t.Fatalf("replaying %s: %v", file, err)
			}
		})
	}
}
