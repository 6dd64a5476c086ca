package config

import (
	"strings"
	"testing"

	"github.com/handoff-chat/handoff/internal/staff"
)

const testHash = "$2a$04$C3vYzOXFyLk6Y8o7GZ4JUe0jMnKQ8y1o3p3WwG8XhkzZb4UQ8pW1e"

func TestTokenRolesAndUsers(t *testing.T) {
	hash, err := staff.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := load(t, "auth:\n  display_names: {maria: Maria from Support}\n", map[string]string{
		"HANDOFF_AUTH_TOKENS": "alice:" + secretA + " audit:" + secretB + ":auditor bob:with:colons:in:secret",
		"HANDOFF_AUTH_USERS":  "maria:agent:" + hash + " ivan:admin:" + hash,
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	roles := map[string]staff.Role{}
	secrets := map[string]string{}
	for _, tok := range cfg.StaffTokens() {
		roles[tok.Member.Name] = tok.Member.Role
		secrets[tok.Member.Name] = tok.Secret
	}
	if roles["alice"] != staff.Admin || roles["audit"] != staff.Auditor || roles["bob"] != staff.Admin {
		t.Errorf("token roles = %v, want alice and bob admin (no role given), audit auditor", roles)
	}
	if secrets["audit"] != secretB || secrets["bob"] != "with:colons:in:secret" {
		t.Errorf("token secrets = %v: a role is cut off the secret, other colons stay", secrets)
	}
	users := cfg.StaffUsers()
	if len(users) != 2 || users[0].Name != "maria" || users[0].Role != staff.Agent || users[1].Role != staff.Admin {
		t.Fatalf("users = %+v", users)
	}
	if users[0].DisplayName != "Maria from Support" || users[1].DisplayName != "Support" {
		t.Errorf("display names = %q, %q; want auth.display_names, else auth.display_name", users[0].DisplayName, users[1].DisplayName)
	}
}

func TestBadUsersAreRefusedWithTheReason(t *testing.T) {
	for _, tc := range []struct{ users, want string }{
		{"maria", "must be name:role:hash"},
		{"maria:boss:" + testHash, `role "boss" is none of agent, admin, auditor`},
		{"maria:agent:plaintext", "not a bcrypt hash; make one with handoff passwd"},
		{"maria:agent:" + testHash + " Maria:admin:" + testHash, `user "Maria" is listed twice`},
	} {
		_, err := load(t, "", map[string]string{"HANDOFF_AUTH_USERS": tc.users})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "auth.users") {
			t.Errorf("auth.users %q: error %v, want it to name auth.users and say %q", tc.users, err, tc.want)
		}
	}
	if _, err := load(t, "", map[string]string{"HANDOFF_AUTH_SESSION_SECRET": "short"}); err == nil || !strings.Contains(err.Error(), "auth.session_secret") {
		t.Errorf("a short session secret: error %v", err)
	}
}
