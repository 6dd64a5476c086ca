package knowledge_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/knowledge"
)

// TestExampleShopKnowledgeBase checks the repository's example knowledge
// base (knowledge/shop.json, loaded on the first start): it decodes, every
// entry is in Bulgarian and English, and its links and figures are the ones
// of the shop's flows (flows/shop.yaml), so the bot and the AI say the same.
func TestExampleShopKnowledgeBase(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "knowledge", "shop.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := knowledge.Decode(f)
	if err != nil {
		t.Fatalf("knowledge/shop.json: %v", err)
	}
	if n := len(entries); n < 12 || n > 20 {
		t.Errorf("%d entries, want 12-20", n)
	}
	flow, err := os.ReadFile(filepath.Join("..", "..", "flows", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	flowText := string(flow)
	figure := regexp.MustCompile(`[0-9]+(?:[,.:][0-9]+)?`)
	for _, e := range entries {
		other := map[string]string{"bg": "en", "en": "bg"}[e.Lang]
		tr, ok := e.Translations[other]
		if other == "" || !ok || len(e.Translations) != 1 {
			t.Errorf("entry %s (%s): translations %v, want one, in the other of bg and en", e.ID, e.Lang, e.Translations)
		}
		if e.Lang == "bg" && !regexp.MustCompile(`\p{Cyrillic}`).MatchString(e.Answer) {
			t.Errorf("entry %s: a Bulgarian answer without Cyrillic", e.ID)
		}
		for _, l := range e.Links {
			if !strings.Contains(flowText, "url: "+l.URL+"\n") {
				t.Errorf("entry %s: link %s is not one of flows/shop.yaml's", e.ID, l.URL)
			}
		}
		for _, text := range []string{e.Answer, tr.Answer} {
			for _, n := range figure.FindAllString(text, -1) {
				if !strings.Contains(flowText, n) {
					t.Errorf("entry %s: the figure %s of %q is not in flows/shop.yaml", e.ID, n, text)
				}
			}
		}
	}
}
