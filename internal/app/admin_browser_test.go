package app_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/handoff-chat/handoff/internal/app"
)

// logInAs logs name in with dashboardPassword at base.
func logInAs(t *testing.T, ctx context.Context, base, name string) {
	t.Helper()
	run(t, ctx, "log in as "+name,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#name`, name, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, dashboardPassword, chromedp.ByQuery),
		chromedp.Click(`#login-submit`, chromedp.ByQuery),
		chromedp.WaitReady(`#conversations`, chromedp.ByQuery),
	)
}

// agentIsRefused logs out, logs the agent maria in, and checks that the
// administration page at path is not linked from the header and answers
// 403 with the page that says it is for admins.
func agentIsRefused(t *testing.T, ctx context.Context, base, path string) {
	t.Helper()
	run(t, ctx, "log out", chromedp.Click(`.logout button`, chromedp.ByQuery), chromedp.WaitReady(`#login-form`, chromedp.ByQuery))
	logInAs(t, ctx, base, "maria")
	var status int
	run(t, ctx, "agent opens "+path,
		waitFor(`!document.querySelector('header a[href=`+jsString(path)+`]')`),
		chromedp.Evaluate(`fetch(`+jsString(path)+`).then(r => r.status)`, &status, awaitPromise),
		chromedp.Navigate(base+path),
		chromedp.WaitReady(`#forbidden`, chromedp.ByQuery),
	)
	if status != http.StatusForbidden {
		t.Errorf("an agent opening %s got %d, want 403", path, status)
	}
}

// reloadUntil opens url, again every 2 seconds for up to 30, until the
// JavaScript expression is true: for what a page reads once when it loads.
func reloadUntil(url, expr string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		deadline := time.Now().Add(30 * time.Second)
		for {
			var ok bool
			if err := chromedp.Run(ctx, chromedp.Navigate(url), chromedp.Sleep(time.Second), chromedp.Evaluate(expr, &ok)); err != nil {
				return err
			}
			if ok {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("after 30 s of reloading %s, still not %s", url, expr)
			}
			time.Sleep(time.Second)
		}
	})
}

// setValue replaces the value of the form field selector.
func setValue(selector, value string) chromedp.Action {
	return chromedp.Evaluate(`(() => { const e = document.querySelector(`+jsString(selector)+`); e.value = `+jsString(value)+`; e.dispatchEvent(new Event("input")); })()`, nil)
}

// The settings page: a bad value is refused with the API's message, a good
// one is saved and recorded, and a reset makes it follow config.yaml
// again. An agent cannot open it.
func TestSettingsPageInTheBrowser(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Auth.Users = dashboardUsers(t)
	a := startApp(t, cfg, app.RoleAll)
	base := "http://" + a.HTTPAddr()
	ctx := browser(t)

	logInAs(t, ctx, base, "ivan")
	timeout := `document.querySelector("#s-inactivity_timeout")`
	resetButton := `document.querySelector('[data-reset="inactivity_timeout"]')`
	run(t, ctx, "open the settings",
		waitFor(`document.querySelector("#nav-settings").getAttribute("href") === "/dashboard/settings"`),
		chromedp.Navigate(base+"/dashboard/settings"),
		waitFor(timeout+`.value === "1h"`),
		waitFor(`document.querySelector("#s-bot_reply-en").value.includes("Thanks for your message")`),
		waitFor(`document.querySelector("#s-agent_phrases").value.split("\n").includes("оператор")`),
	)
	run(t, ctx, "save a bad timeout",
		setValue(`#s-inactivity_timeout`, "30s"),
		click(`#settings-save`),
		waitFor(`!document.querySelector("#settings-error").hidden && document.querySelector("#settings-error").textContent.includes("inactivity_timeout must be between 1m and 24h, got 30s")`),
	)
	run(t, ctx, "save a good timeout",
		setValue(`#s-inactivity_timeout`, "45m"),
		click(`#settings-save`),
		waitFor(`document.querySelector("#settings-error").hidden && document.querySelector("#settings-status").textContent !== ""`),
		waitFor(`!!`+resetButton),
		waitFor(`[...document.querySelectorAll("#settings-changes .change")].some(e => e.textContent === "inactivity_timeout: (default) → 45m")`),
		waitFor(`[...document.querySelectorAll("#settings-changes .who")].some(e => e.textContent === "ivan")`),
	)
	c := newAPI(t, a)
	if got := c.expect(http.StatusOK, "GET", "/api/v1/settings", nil, true)["settings"].(map[string]any)["inactivity_timeout"]; got != "45m" {
		t.Errorf("the API says the timeout is %v after the page saved 45m", got)
	}
	run(t, ctx, "reset the timeout",
		click(`[data-reset="inactivity_timeout"]`),
		waitFor(`!`+resetButton+` && `+timeout+`.value === "1h"`),
		waitFor(`[...document.querySelectorAll("#settings-changes .change")].some(e => e.textContent === "inactivity_timeout: 45m → (default)")`),
	)
	if got := c.expect(http.StatusOK, "GET", "/api/v1/settings", nil, true)["overridden"].([]any); len(got) != 0 {
		t.Errorf("after the reset the API lists %v as overridden", got)
	}

	// An agent sees no link to it and is refused the page.
	agentIsRefused(t, ctx, base, "/dashboard/settings")
	run(t, ctx, "no settings for the agent", waitFor(`!document.querySelector("#settings-form")`))
}

// The flows page shows every block with its previews; a broken file, on
// reload, shows its error with file and line while the flows in force stay;
// the fixed file reloads cleanly.
func TestFlowsPageInTheBrowser(t *testing.T) {
	original, err := os.ReadFile(shopFlows(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "flows.yaml")
	if err := os.WriteFile(path, original, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t.TempDir())
	cfg.Auth.Users = dashboardUsers(t)
	cfg.Bot.Flows = path
	cfg.Bot.FlowsCheckInterval = time.Hour // reloaded by the button only
	a := startApp(t, cfg, app.RoleAll)
	base := "http://" + a.HTTPAddr()
	ctx := browser(t)

	logInAs(t, ctx, base, "ivan")
	welcome := `document.querySelector('#flows-blocks tr[data-block="welcome"]')`
	run(t, ctx, "open the flows",
		chromedp.Navigate(base+"/dashboard/flows"),
		waitFor(`document.querySelector("#flows-path").textContent === `+jsString(path)),
		waitFor(`!!`+welcome+` && `+welcome+`.querySelector(".tags").textContent.includes("start")`),
		waitFor(welcome+`.querySelector(".block-preview").textContent.includes("Здравейте!") && `+welcome+`.querySelector(".block-preview").textContent.includes("Hello!")`),
		waitFor(`document.querySelector("#flows-error").hidden`),
	)
	broken := strings.Replace(string(original), "goto: delivery", "goto: nowhere_at_all", 1)
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "reload the broken file",
		click(`#flows-reload`),
		waitFor(`!document.querySelector("#flows-error").hidden && document.querySelector("#flows-error-text").textContent.includes("nowhere_at_all")`),
		waitFor(`/line \d+|:\d+/.test(document.querySelector("#flows-error-text").textContent)`),
		waitFor(`document.querySelector("#flows-message").textContent.includes("unchanged") && !!`+welcome),
	)
	if err := os.WriteFile(path, original, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "reload the fixed file",
		click(`#flows-reload`),
		waitFor(`document.querySelector("#flows-error").hidden && document.querySelector("#flows-message").textContent !== ""`),
	)

	agentIsRefused(t, ctx, base, "/dashboard/flows")
}

// The knowledge-base page: a question the AI declined is listed among the
// unanswered; answered there as a new entry, the AI answers the next
// customer who asks it in other words. The entry's counter counts that
// answer. A staff reply saved from a conversation arrives pre-filled.
func TestKnowledgePageInTheBrowser(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Auth.Users = dashboardUsers(t)
	cfg.Bot.Flows = shopFlows(t)
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	c.expect(http.StatusOK, "POST", "/api/v1/knowledge/import", []byte(`[
  {"id": "delivery-price", "lang": "en", "question": "How much does delivery cost?", "answer": "Delivery is free for orders over 50 EUR."}
]`), true)
	base := "http://" + a.HTTPAddr()
	ctx := browser(t)

	const asked = "Може ли да платя с биткойн?"
	const answer = "Да, приемаме биткойн чрез партньора ни за плащания."
	first := greeted(c)
	c.say(first, map[string]any{"id": "q1", "text": asked})
	msgs := c.waitTranscript(first, func(m []message) bool { _, ok := botTextAfter(m, "q1"); return ok })
	if text, _ := botTextAfter(msgs, "q1"); text == answer || !strings.Contains(text, "not sure") && !strings.Contains(text, "сигур") {
		t.Fatalf("before it was taught the bot answered %q; want the AI's decline", text)
	}

	logInAs(t, ctx, base, "ivan")
	group := `document.querySelector('#kb-unanswered li.group[data-question=` + jsString(asked) + `]')`
	run(t, ctx, "answer the unanswered question",
		reloadUntil(base+"/dashboard/knowledge", `!!document.querySelector('#kb-entries tr[data-id="delivery-price"]') && !!`+group),
		chromedp.Evaluate(group+`.querySelector("button.answer-new").click()`, nil),
		waitFor(`!document.querySelector("#kb-form").hidden && document.querySelector("#kb-question").value === `+jsString(asked)),
		setValue(`#kb-id`, "pay-bitcoin"),
		setValue(`#kb-answer`, answer),
		click(`#kb-save`),
		waitFor(`document.querySelector("#kb-form").hidden && !!document.querySelector('#kb-entries tr[data-id="pay-bitcoin"]')`),
	)

	// Another customer asks in other words; the AI answers from the new
	// entry (it re-reads the knowledge base within seconds).
	second := greeted(c)
	tries := 0
	waitUntil(t, 40*time.Second, "the new entry to answer another phrasing", func() (bool, error) {
		tries++
		id := fmt.Sprintf("ask-%d", tries)
		c.say(second, map[string]any{"id": id, "text": "Приемате ли плащане с биткойни?"})
		msgs := c.waitTranscript(second, func(m []message) bool { _, ok := botTextAfter(m, id); return ok })
		if text, _ := botTextAfter(msgs, id); text != answer {
			time.Sleep(2 * time.Second)
			return false, fmt.Errorf("the bot answered %q", text)
		}
		return true, nil
	})
	run(t, ctx, "see the entry's counter",
		reloadUntil(base+"/dashboard/knowledge", `Number((document.querySelector('#kb-entries tr[data-id="pay-bitcoin"] .answered') || {}).textContent) === 1`),
	)

	// Save a staff reply from a conversation: the form opens pre-filled
	// with the customer's question and the reply.
	c.expect(http.StatusCreated, "POST", conversationPath(first)+"/messages", map[string]any{"id": "s1", "text": "We ship to Greece in 3 days."}, true)
	run(t, ctx, "save a staff reply as an entry",
		chromedp.Navigate(base+"/dashboard/conversations/webchat/"+first),
		waitFor(`!!document.querySelector(".message.staff button.save-entry")`),
		// Clicked after the evaluation returns: the click leaves the page.
		chromedp.Evaluate(`setTimeout(() => document.querySelector(".message.staff button.save-entry").click(), 0)`, nil),
	)
	run(t, ctx, "see the pre-filled entry",
		chromedp.WaitReady(`#kb-form`, chromedp.ByQuery),
		waitFor(`!document.querySelector("#kb-form").hidden && document.querySelector("#kb-question").value === `+jsString(asked)+
			` && document.querySelector("#kb-answer").value === "We ship to Greece in 3 days."`),
	)

	agentIsRefused(t, ctx, base, "/dashboard/knowledge")
}
