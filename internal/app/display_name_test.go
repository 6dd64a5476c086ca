package app_test

import (
	"net/http"
	"testing"

	"github.com/handoff-chat/handoff/internal/app"
)

// Customers see staff by their display name, never by the token's name;
// staff and auditors see who wrote.
func TestCustomersSeeTheStaffDisplayName(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Auth.Tokens = []string{"alice:" + staffToken, "bob:" + staffToken + "-bob"}
	cfg.Auth.DisplayNames = map[string]string{"alice": "Alice from Support"}
	a := startApp(t, cfg, app.RoleAll)
	alice := newAPI(t, a)
	bob := newAPI(t, a)
	bob.token = staffToken + "-bob"
	visitor := alice.newVisitor()
	alice.say(visitor, map[string]any{"id": "dn-1", "text": "hello"})
	alice.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"id": "dn-a", "text": "Hi, Alice here"}, true)
	bob.expect(http.StatusCreated, "POST", conversationPath(visitor)+"/messages", map[string]any{"id": "dn-b", "text": "And Bob"}, true)

	r := alice.do("GET", "/webchat/v1/visitors/"+visitor+"/messages", nil, false)
	body := r.json(t)
	shown := map[string]map[string]any{}
	for _, m := range body["messages"].([]any) {
		msg := m.(map[string]any)
		shown[msg["id"].(string)] = msg
	}
	for id, want := range map[string]string{"dn-a": "Alice from Support", "dn-b": "Support"} {
		msg := shown[id]
		if msg == nil || msg["display_name"] != want || msg["author"] != nil {
			t.Errorf("the visitor sees %s as %v, want display_name %q and no author", id, msg, want)
		}
	}
	staffView := alice.expect(http.StatusOK, "GET", conversationPath(visitor), nil, true)
	authors := map[string]any{}
	for _, m := range staffView["messages"].([]any) {
		msg := m.(map[string]any)
		authors[msg["id"].(string)] = msg["author"]
	}
	if authors["dn-a"] != "alice" || authors["dn-b"] != "bob" {
		t.Errorf("staff see the authors %v, want alice and bob", authors)
	}
}
