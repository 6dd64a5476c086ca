package app_test

import (
	"fmt"
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

// The bot's fixed texts and the phrases that ask for a human are settings:
// a change applies to the next customer message, and a reset makes a
// setting follow config.yaml again, recorded in the audit trail.
func TestBotTextsAndAgentPhrasesAreSettingsAndReset(t *testing.T) {
	c := newAPI(t, shared)
	got := c.expect(http.StatusOK, "PATCH", "/api/v1/settings", map[string]any{
		"bot_reply":             map[string]any{"en": "  Hello from the settings page  "},
		"agent_requested_reply": map[string]any{"en": "A colleague is on the way"},
		"agent_phrases":         []any{"need a manager", "  "},
	}, true)
	settings := got["settings"].(map[string]any)
	if fmt.Sprint(settings["bot_reply"]) != "map[en:Hello from the settings page]" || fmt.Sprint(settings["agent_phrases"]) != "[need a manager]" {
		t.Fatalf("after the change (trimmed, empty phrases dropped): %v", settings)
	}
	visitor := c.newVisitor()
	c.say(visitor, map[string]any{"id": "m1", "text": "hello there"})
	msgs := c.waitTranscript(visitor, func(m []message) bool { return len(m) == 2 })
	if msgs[1].Text != "Hello from the settings page" {
		t.Errorf("the bot answered %q, want the bot_reply setting", msgs[1].Text)
	}
	// "need a manager" asks for a human now; "operator", from config.yaml's
	// list, does not.
	c.say(visitor, map[string]any{"id": "m2", "text": "I need a manager please"})
	msgs = c.waitTranscript(visitor, func(m []message) bool { return len(m) == 4 })
	if msgs[3].Text != "A colleague is on the way" {
		t.Errorf("after the new phrase the bot said %q, want the agent_requested_reply setting", msgs[3].Text)
	}
	if conv := c.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true); conv["state"] != "agent_requested" {
		t.Errorf("the new phrase left the conversation %v", conv["state"])
	}

	// Bad values are refused with what is wrong.
	for body, want := range map[string]map[string]any{
		"bot_reply needs a language":       {"bot_reply": map[string]any{}},
		"bot_reply language code":          {"bot_reply": map[string]any{"English": "hi"}},
		"agent_phrases needs letters":      {"agent_phrases": []any{"?!"}},
		"reset of no setting":              {"reset": []any{"colour"}},
		"agent_phrases both set and reset": {"agent_phrases": []any{"x"}, "reset": []any{"agent_phrases"}},
	} {
		r := c.do("PATCH", "/api/v1/settings", want, true)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", body, r.status, r.body)
		}
	}

	reset := c.expect(http.StatusOK, "PATCH", "/api/v1/settings", map[string]any{
		"reset": []any{"bot_reply", "agent_requested_reply", "agent_phrases"}, "request_id": "reset-texts-1",
	}, true)
	if overridden := reset["overridden"].([]any); slices.Contains(overridden, any("bot_reply")) || slices.Contains(overridden, any("agent_phrases")) {
		t.Errorf("after the reset, overridden %v", overridden)
	}
	if s, d := reset["settings"].(map[string]any), reset["defaults"].(map[string]any); fmt.Sprint(s["bot_reply"]) != fmt.Sprint(d["bot_reply"]) || fmt.Sprint(s["agent_phrases"]) != fmt.Sprint(d["agent_phrases"]) {
		t.Errorf("after the reset the settings %v are not the defaults %v", s, d)
	}
	changes := c.expect(http.StatusOK, "GET", "/api/v1/settings/changes", nil, true)["changes"].([]any)
	last := changes[len(changes)-1].(map[string]any)
	if ch, _ := last["changes"].(map[string]any)["bot_reply"].(map[string]any); last["request_id"] != "reset-texts-1" || ch["from"] != "en: Hello from the settings page" || ch["to"] != "(default)" {
		t.Errorf("the reset is recorded as %v", last)
	}
	other := c.newVisitor()
	c.say(other, map[string]any{"id": "m1", "text": "hello again"})
	if msgs := c.waitTranscript(other, func(m []message) bool { return len(m) == 2 }); !strings.Contains(msgs[1].Text, "Thanks for your message") {
		t.Errorf("after the reset the bot answered %q, want config.yaml's bot.reply", msgs[1].Text)
	}
}
