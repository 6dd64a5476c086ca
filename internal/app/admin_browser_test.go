package app_test

import (
	"context"
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
	run(t, ctx, "log out", chromedp.Click(`.logout button`, chromedp.ByQuery), chromedp.WaitReady(`#login-form`, chromedp.ByQuery))
	logInAs(t, ctx, base, "maria")
	run(t, ctx, "agent opens the settings",
		waitFor(`!document.querySelector("#nav-settings")`),
		chromedp.Navigate(base+"/dashboard/settings"),
		chromedp.WaitReady(`#forbidden`, chromedp.ByQuery),
		waitFor(`!document.querySelector("#settings-form")`),
	)
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

	run(t, ctx, "log out", chromedp.Click(`.logout button`, chromedp.ByQuery), chromedp.WaitReady(`#login-form`, chromedp.ByQuery))
	logInAs(t, ctx, base, "maria")
	run(t, ctx, "agent opens the flows",
		chromedp.Navigate(base+"/dashboard/flows"),
		chromedp.WaitReady(`#forbidden`, chromedp.ByQuery),
	)
}
