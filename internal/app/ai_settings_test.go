package app_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// The AI's confidence threshold is a setting like the others: validated,
// audited, and in force for every process.
func TestAIConfidenceThresholdIsASetting(t *testing.T) {
	c := newAPI(t, shared)
	got := c.expect(http.StatusOK, "PATCH", "/api/v1/settings", map[string]any{"ai_confidence_threshold": 0.6, "request_id": "ai-threshold-1"}, true)
	settings := got["settings"].(map[string]any)
	overridden := got["overridden"].([]any)
	if settings["ai_confidence_threshold"] != 0.6 || !slices.Contains(overridden, any("ai_confidence_threshold")) {
		t.Errorf("after the change: %v", got)
	}
	if defaults := got["defaults"].(map[string]any); defaults["ai_confidence_threshold"] != 0.45 {
		t.Errorf("defaults %v, want the configured 0.45", defaults)
	}
	r := c.do("PATCH", "/api/v1/settings", map[string]any{"ai_confidence_threshold": 1.5}, true)
	if r.status != http.StatusBadRequest || !strings.Contains(r.errorMessage(t), "ai_confidence_threshold must be between 0.01 and 1") {
		t.Errorf("a threshold of 1.5: %d %s", r.status, r.body)
	}
	changes := c.expect(http.StatusOK, "GET", "/api/v1/settings/changes", nil, true)["changes"].([]any)
	found := false
	for _, ch := range changes {
		change := ch.(map[string]any)
		if change["request_id"] == "ai-threshold-1" {
			to := change["changes"].(map[string]any)["ai_confidence_threshold"].(map[string]any)["to"]
			found = to == "0.6"
		}
	}
	if !found {
		t.Errorf("the audit trail %v has no change of ai_confidence_threshold to 0.6", changes)
	}
	c.expect(http.StatusOK, "PATCH", "/api/v1/settings", map[string]any{"ai_confidence_threshold": 0.45}, true)
}
