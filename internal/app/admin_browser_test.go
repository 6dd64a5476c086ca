package app_test

import (
	"context"
	"net/http"
	"testing"

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
