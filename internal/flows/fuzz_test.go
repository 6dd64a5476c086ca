package flows_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/flows"
)

// FuzzParse feeds Parse arbitrary files. Nothing may panic; a file Parse
// refuses gets errors that name it; a file Parse accepts is a whole, valid
// flow: its start and fallback blocks exist, every block renders in every
// language, and what it renders passes the checks of a staff message (so
// staff can send any block) with every button leading somewhere.
func FuzzParse(f *testing.F) {
	f.Add([]byte(head))
	f.Fuzz(func(t *testing.T, data []byte) {
		flow, err := flows.Parse("fuzz.yaml", data)
		if err != nil {
			if flow != nil {
				t.Fatalf("Parse returned a flow and the error %v", err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml:") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
			return
		}
		checkWholeFlow(t, flow)
	})
}

func checkWholeFlow(t *testing.T, flow *flows.Flow) {
	t.Helper()
	langs := flow.Languages()
	if len(langs) == 0 || !slices.Contains(langs, flow.DefaultLanguage()) {
		t.Fatalf("languages %v, default %q: want the default among at least one", langs, flow.DefaultLanguage())
	}
	if !flow.Has(flow.Start()) || !flow.Has(flow.Fallback()) {
		t.Fatalf("start %q or fallback %q is not a block", flow.Start(), flow.Fallback())
	}
	for _, block := range flow.Blocks() {
		for _, lang := range langs {
			content, err := flow.Render(block.ID, lang)
			if err != nil {
				t.Fatalf("block %q in %s does not render: %v", block.ID, lang, err)
			}
			if err := content.Validate(); err != nil {
				t.Fatalf("block %q in %s cannot be sent by staff: %v (%+v)", block.ID, lang, err, content)
			}
			for _, b := range content.Buttons {
				if l, id, ok := flows.ParseNavigationPayload(b.Payload); ok && (l != lang || !flow.Has(id)) {
					t.Fatalf("block %q in %s: button %q leads to %q in %q", block.ID, lang, b.Title, id, l)
				}
			}
		}
	}
}
