package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/handoff-chat/handoff/internal/app"
)

// browser starts headless Chromium for one test. Chromium comes from the
// system (Debian's chromium package; .ci/run installs it).
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("HANDOFF_CHROMIUM")
	if path == "" {
		for _, candidate := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(candidate); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		t.Fatal("browser tests need Chromium: apt-get install -y chromium (or set HANDOFF_CHROMIUM to its path)")
	}
	// Not t.TempDir: Chromium's helper processes can still be writing to
	// the profile for a moment after the browser exits, and t.TempDir's
	// removal fails the test then.
	profile, err := os.MkdirTemp("", "handoff-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("the browser profile %s is left behind", profile)
	})
	return ctx
}

func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// waitFor waits until the JavaScript expression is true in the page.
func waitFor(expr string) chromedp.Action {
	return chromedp.Poll(expr, nil, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))
}

func TestWebChatWidgetInTheBrowser(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Bot.Flows = shopFlows(t)
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	ctx := browser(t)
	count := countOf

	// The demo page opens the widget, which greets with the flow's start
	// block before the visitor writes; the visitor writes and the bot answers
	// with the flow's quick replies.
	run(t, ctx, "open /chat",
		chromedp.Navigate(c.base+"/chat"),
		waitFor(panelOpen),
		waitFor(count(`.hc-message[data-welcome]`)+` === 1 && `+count(`.hc-quick-reply`)+` > 0`),
	)
	var welcomeChoices int
	run(t, ctx, "read the welcome", chromedp.Evaluate(count(`.hc-quick-reply`), &welcomeChoices))
	if welcomeChoices == 0 {
		t.Fatal("the welcome block offers no choices")
	}
	run(t, ctx, "write to the bot",
		chromedp.Focus(`textarea.hc-input`, chromedp.ByQuery),
		chromedp.KeyEvent("Здравейте"),
		click(`.hc-send`),
		waitFor(count(`.hc-message[data-sender="customer"][data-seq]`)+` === 1`),
	)
	run(t, ctx, "get the bot's reply",
		waitFor(count(`.hc-message[data-sender="bot"][data-seq]`)+` >= 1 && `+count(`.hc-quick-reply`)+` > 0`),
	)
	var choice, firstBot string
	run(t, ctx, "read the bot's reply",
		chromedp.Evaluate(`document.querySelector(".hc-quick-reply").textContent`, &choice),
		chromedp.Evaluate(`document.querySelector('.hc-message[data-sender="bot"][data-seq] .hc-text').textContent`, &firstBot),
	)
	if !strings.ContainsAny(firstBot, "абвгдежзийклмнопрстуфхцчшщъьюя") {
		t.Errorf("bot answered %q to a Bulgarian greeting, want Bulgarian", firstBot)
	}

	// Choosing a quick reply navigates to its block.
	run(t, ctx, "choose "+choice,
		click(`.hc-quick-reply`),
		waitFor(count(`.hc-message[data-sender="bot"][data-seq]`)+` >= 2`),
		waitFor(count(`.hc-message[data-sender="customer"][data-seq]`)+` === 2`),
	)

	// Staff answer with an image and a link; it arrives without a reload.
	var stored string
	run(t, ctx, "read the visitor", chromedp.Evaluate(`localStorage.getItem("handoff-chat:" + location.origin)`, &stored))
	var identity struct {
		VisitorID string `json:"visitor_id"`
	}
	if err := json.Unmarshal([]byte(stored), &identity); err != nil || identity.VisitorID == "" {
		t.Fatalf("widget storage %q has no visitor", stored)
	}
	c.expect(http.StatusCreated, "POST", conversationPath(identity.VisitorID)+"/messages", map[string]any{
		"text":        "Ето нашия каталог",
		"attachments": []map[string]any{{"url": c.base + "/chat"}},
		"buttons":     []map[string]any{{"title": "Каталог", "url": "https://example.com/catalogue"}},
	}, true)
	run(t, ctx, "see the staff message",
		waitFor(count(`.hc-message[data-sender="staff"] .hc-image`)+` === 1`),
		waitFor(count(`.hc-message[data-sender="staff"] a.hc-link-button[href="https://example.com/catalogue"]`)+` === 1`),
	)

	// After a reload the same visitor sees the same conversation.
	var before int
	run(t, ctx, "count messages", chromedp.Evaluate(count(`.hc-message[data-seq]`), &before))
	run(t, ctx, "reload",
		chromedp.Reload(),
		waitFor(panelOpen),
		waitFor(count(`.hc-message[data-seq]`)+` === `+jsNumber(before)),
	)
	var welcomes int
	run(t, ctx, "no welcome over a conversation", chromedp.Evaluate(count(`.hc-message[data-welcome]`), &welcomes))
	if welcomes != 0 {
		t.Errorf("the reloaded conversation shows %d welcome blocks, want none", welcomes)
	}
}

// panelOpen is true once the widget's chat panel shows.
const panelOpen = `(() => { const p = document.querySelector(".hc-panel"); return !!p && getComputedStyle(p).display !== "none"; })()`

// click clicks the first element matching selector, as a user would.
func click(selector string) chromedp.Action {
	return chromedp.Evaluate(`document.querySelector(`+jsString(selector)+`).click()`, nil)
}

// countOf is the JavaScript expression counting the elements matching selector.
func countOf(selector string) string {
	return `document.querySelectorAll(` + jsString(selector) + `).length`
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func jsNumber(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
