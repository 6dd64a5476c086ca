package api

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/handoff-chat/handoff/internal/flows"
)

func TestWelcomeIsTheStartBlockInTheVisitorsLanguage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.yaml")
	flowsFile := `languages: [bg, en]
start: welcome
blocks:
  - id: welcome
    text: {bg: "Здравейте!", en: "Hello!"}
    buttons:
      - title: {bg: "Доставка", en: "Delivery"}
        goto: welcome
`
	if err := os.WriteFile(path, []byte(flowsFile), 0o600); err != nil {
		t.Fatal(err)
	}
	reg, err := flows.NewRegistry(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	withFlows, _ := apiWith(t, nil, func(d *Deps) { d.Flows = reg })
	cases := []struct{ locale, text string }{{"en-GB", "Hello!"}, {"bg_BG", "Здравейте!"}, {"", "Здравейте!"}, {"fr", "Здравейте!"}}
	for _, c := range cases {
		r := withFlows.serve(httptest.NewRequest("GET", "/webchat/v1/welcome?locale="+c.locale, nil))
		msg, _ := r.body["message"].(map[string]any)
		buttons, _ := msg["buttons"].([]any)
		if r.status != 200 || msg["text"] != c.text || msg["block"] != "welcome" || len(buttons) != 1 {
			t.Errorf("welcome for locale %q: %d %s, want the start block saying %q with its button", c.locale, r.status, r.raw, c.text)
		}
	}
	if r := withFlows.serve(httptest.NewRequest("GET", "/webchat/v1/welcome?locale=%00", nil)); r.status != 400 || r.errorText() == "" {
		t.Errorf("welcome for a bad locale: %d %s, want 400 naming the locale", r.status, r.raw)
	}

	noFlows, _ := apiWith(t, nil, func(*Deps) {})
	r := noFlows.serve(httptest.NewRequest("GET", "/webchat/v1/welcome", nil))
	if v, ok := r.body["message"]; r.status != 200 || !ok || v != nil {
		t.Errorf("welcome without flows: %d %s, want a null message", r.status, r.raw)
	}
}
