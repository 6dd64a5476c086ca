package api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/handoff-chat/handoff/internal/staff"
)

// testSessions signs like the handler of sessionAPI.
var testSessions = sessions{key: []byte("0123456789abcdef0123456789abcdef"), ttl: time.Hour}

func sessionAPI(t *testing.T) (*testAPI, *staff.Directory) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	directory, err := staff.NewDirectory([]staff.User{
		{Name: "maria", DisplayName: "Maria", Role: staff.Agent, PasswordHash: string(hash)},
		{Name: "audrey", Role: staff.Auditor, PasswordHash: string(hash)},
	}, []staff.Token{
		{Secret: "agent-token-012345", Member: staff.Member{Name: "bot-agent", Role: staff.Agent}},
		{Secret: "auditor-token-0123", Member: staff.Member{Name: "audit-bot", Role: staff.Auditor}},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, closing := apiWith(t, nil, func(d *Deps) {
		d.Staff, d.SessionKey, d.SessionTTL, d.PublicURL = directory, testSessions.key, testSessions.ttl, "https://chat.example.com"
	})
	close(closing)
	return a, directory
}

func (a *testAPI) loginAs(t *testing.T, name, password, addr string) *http.Response {
	t.Helper()
	form := url.Values{"name": {name}, "password": {password}, "next": {"/dashboard/conversations/webchat/x"}}
	req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec.Result()
}

func TestLoginSetsASecureSessionAndGoesWhereAsked(t *testing.T) {
	a, _ := sessionAPI(t)
	resp := a.loginAs(t, "Maria", "correct horse battery", "192.0.2.1:1234")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard/conversations/webchat/x" {
		t.Fatalf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode || cookie.MaxAge != 3600 {
		t.Fatalf("session cookie %+v, want HttpOnly, Secure (https public URL), SameSite=Lax, an hour", cookie)
	}
	get := func(path string, c *http.Cookie, header ...string) testResponse {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(c)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		return a.serve(req)
	}
	if r := get("/api/v1/me", cookie); r.status != http.StatusOK || r.body["name"] != "maria" || r.body["role"] != "agent" {
		t.Errorf("me: %d %s", r.status, r.raw)
	}
	if r := get("/api/v1/settings", cookie); r.status != http.StatusForbidden || !strings.Contains(r.errorText(), "for admins and auditors") {
		t.Errorf("an agent reading settings: %d %s, want 403", r.status, r.raw)
	}
	tampered := *cookie
	tampered.Value = strings.Replace(cookie.Value, cookie.Value[:4], "AAAA", 1)
	if r := get("/api/v1/me", &tampered); r.status != http.StatusUnauthorized {
		t.Errorf("a tampered cookie: %d, want 401", r.status)
	}
	// A change needs the CSRF token and the dashboard's own origin.
	post := func(c *http.Cookie, header ...string) testResponse {
		req := httptest.NewRequest("POST", "/api/v1/conversations/webchat/"+testVisitor+"/live-chat", strings.NewReader(`{"on":true}`))
		req.AddCookie(c)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		return a.serve(req)
	}
	if r := post(cookie); r.status != http.StatusForbidden || !strings.Contains(r.errorText(), "CSRF") {
		t.Errorf("a change without the CSRF token: %d %s", r.status, r.raw)
	}
	claims, err := testSessions.parse(cookie.Value, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	token := testSessions.csrfToken(claims)
	if r := post(cookie, csrfHeader, token, "Origin", "https://evil.example.com"); r.status != http.StatusForbidden || !strings.Contains(r.errorText(), "evil.example.com") {
		t.Errorf("a change from another origin: %d %s", r.status, r.raw)
	}
	if r := post(cookie, csrfHeader, token, "Origin", "https://chat.example.com"); r.status == http.StatusForbidden || r.status == http.StatusUnauthorized {
		t.Errorf("a change with the token from the dashboard's origin: %d %s", r.status, r.raw)
	}
	if _, err := testSessions.parse(cookie.Value, time.Now().Add(2*time.Hour)); err == nil {
		t.Error("a session is accepted after its lifetime")
	}
}

func TestRolesOfTokens(t *testing.T) {
	a, _ := sessionAPI(t)
	for _, tc := range []struct {
		token, method, path, body string
		status                    int
	}{
		{"agent-token-012345", "PATCH", "/api/v1/settings", `{"inactivity_timeout":"5m"}`, http.StatusForbidden},
		{"agent-token-012345", "PUT", "/api/v1/knowledge/x", `{}`, http.StatusForbidden},
		{"agent-token-012345", "POST", "/api/v1/flows/reload", ``, http.StatusForbidden},
		{"auditor-token-0123", "POST", "/api/v1/conversations/webchat/" + testVisitor + "/messages", `{"text":"hi"}`, http.StatusForbidden},
		{"auditor-token-0123", "PATCH", "/api/v1/settings", `{"inactivity_timeout":"5m"}`, http.StatusForbidden},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+tc.token)
		if r := a.serve(req); r.status != tc.status {
			t.Errorf("%s %s with %s: %d %s, want %d", tc.method, tc.path, tc.token, r.status, r.raw, tc.status)
		}
	}
}

func TestFailedLoginsAreSlowedDownPerAccountAndAddress(t *testing.T) {
	a, _ := sessionAPI(t)
	for i := range loginFreeFailures {
		if resp := a.loginAs(t, "maria", "wrong password", "192.0.2.7:1"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := a.loginAs(t, "maria", "correct horse battery", "198.51.100.1:1")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("the right password right after %d failures, from another address: %d, want 429 with Retry-After (the account is throttled)", loginFreeFailures, resp.StatusCode)
	}
	resp = a.loginAs(t, "audrey", "correct horse battery", "192.0.2.7:1")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("another account from the throttled address: %d, want 429", resp.StatusCode)
	}
	resp = a.loginAs(t, "audrey", "correct horse battery", "203.0.113.9:1")
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another account from another address: %d, want the login to work", resp.StatusCode)
	}
}

func TestLoginNeverRedirectsElsewhere(t *testing.T) {
	for _, next := range []string{"https://evil.example.com/", "//evil.example.com/dashboard/", "/dashboard/\\evil", "/api/v1/settings"} {
		if got := safeNext(next); got != "/dashboard/" {
			t.Errorf("safeNext(%q) = %q, want /dashboard/", next, got)
		}
	}
	if got := safeNext("/dashboard/conversations/webchat/v1"); got != "/dashboard/conversations/webchat/v1" {
		t.Errorf("a dashboard path: %q", got)
	}
}
