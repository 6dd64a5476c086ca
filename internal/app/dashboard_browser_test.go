package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"golang.org/x/crypto/bcrypt"

	"github.com/handoff-chat/handoff/internal/app"
)

const dashboardPassword = "correct horse battery"

// dashboardUsers are an agent, an admin and an auditor, all with
// dashboardPassword (hashed at bcrypt's lowest cost, to keep tests fast).
func dashboardUsers(t *testing.T) []string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(dashboardPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return []string{"maria:agent:" + string(hash), "ivan:admin:" + string(hash), "audrey:auditor:" + string(hash)}
}

// fetchStatus is the status the page's own fetch of path gets (the
// session cookie and CSRF token go with it, as the pages send them).
func fetchStatus(method, path, body string) string {
	return fmt.Sprintf(`fetch(%s, {method: %s, headers: {"X-CSRF-Token": document.body.dataset.csrf, "Content-Type": "application/json"}%s}).then(r => r.status)`,
		jsString(path), jsString(method), map[bool]string{true: ", body: " + jsString(body), false: ""}[body != ""])
}

func TestDashboardInTheBrowser(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Auth.Users = dashboardUsers(t)
	cfg.Bot.Flows = shopFlows(t)
	// Uploaded images are linked under the public URL: make it this
	// process's own address.
	cfg.HTTP.Addr = freeAddr(t)
	cfg.HTTP.PublicURL = "http://" + cfg.HTTP.Addr
	// Auditors' links into the Temporal UI (the embedded UI is off here).
	cfg.Temporal.UI.URL = "https://temporal-ui.example"
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	ctx := browser(t)
	base := c.base
	count := countOf
	row := func(visitor string) string {
		return `document.querySelector('a.open[href$="/` + visitor + `"]')`
	}

	// A browser without a session is sent to the login page; a wrong
	// password is refused with a message that does not say which was wrong.
	run(t, ctx, "open the dashboard logged out",
		chromedp.Navigate(base+"/dashboard/"),
		waitFor(`location.pathname === "/login"`),
		chromedp.SendKeys(`#name`, "maria", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, "wrong password", chromedp.ByQuery),
		chromedp.Click(`#login-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#login-error`, chromedp.ByQuery),
	)
	run(t, ctx, "log in as maria",
		chromedp.SendKeys(`#name`, "maria", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, dashboardPassword, chromedp.ByQuery),
		chromedp.Click(`#login-submit`, chromedp.ByQuery),
		chromedp.WaitReady(`#conversations`, chromedp.ByQuery),
	)

	// A new web chat customer appears in the list with a countdown,
	// without a reload; their name and message, full of markup, are text.
	hostile := `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">`
	first := c.newVisitor()
	c.say(first, map[string]any{"id": "m1", "text": "Hello " + hostile, "name": "Eve " + hostile})
	run(t, ctx, "see the new customer",
		waitFor(`!!`+row(first)),
		waitFor(row(first)+`.querySelector(".window").textContent.includes(":")`),
		waitFor(row(first)+`.querySelector(".name").textContent.includes("<script>")`),
	)

	// Another customer asks for a human: flagged, listed first, waiting.
	second := c.newVisitor()
	c.say(second, map[string]any{"id": "m1", "text": "I need help", "name": "Петър"})
	run(t, ctx, "see the second customer", waitFor(`!!`+row(second)))
	// The opt-in alert: a sound and a browser notification (the browser's
	// own are replaced by recorders; headless Chromium plays and shows
	// nothing).
	run(t, ctx, "opt in to alerts",
		chromedp.Evaluate(`window.__notified = []; window.Notification = function (title) { window.__notified.push(title); };
			window.Notification.permission = "granted"; window.Notification.requestPermission = () => Promise.resolve("granted");
			window.__tones = []; window.AudioContext = function () {
				return { currentTime: 0, destination: {}, createOscillator: () => ({ frequency: {}, connect() {}, start() { window.__tones.push(this.frequency.value); }, stop() {} }) };
			};`, nil),
		click(`#notify-toggle`),
		waitFor(`localStorage.getItem("handoff.notify") === "1"`),
	)
	c.expect(http.StatusAccepted, "POST", "/webchat/v1/visitors/"+second+"/agent-request", map[string]any{"id": "ask-1"}, false)
	run(t, ctx, "get the alert",
		waitFor(`window.__notified.length === 1 && window.__notified[0].includes("Петър")`),
		waitFor(`window.__tones.length === 1 && window.__tones[0] > 0`),
	)
	run(t, ctx, "see the agent request first",
		waitFor(`document.querySelector("#conversations li:first-child a.open").getAttribute("href").endsWith("/`+second+`")`),
		waitFor(`document.querySelector("#conversations li:first-child").classList.contains("asked")`),
		waitFor(`document.querySelector("#conversations li:first-child .waiting").textContent !== ""`),
		waitFor(`document.title.startsWith("(1")`),
	)
	// Name search as you type, Cyrillic and Latin.
	run(t, ctx, "search by name",
		chromedp.SendKeys(`#name-search`, "пет", chromedp.ByQuery),
		waitFor(count(`a.open`)+` === 1 && !!`+row(second)),
		chromedp.Evaluate(`(() => { const e = document.querySelector("#name-search"); e.value = ""; e.dispatchEvent(new Event("input")); })()`, nil),
		waitFor(count(`a.open`)+` === 2`),
	)
	saveScreenshot(t, ctx, "dashboard-list.png")

	// Bulgarian on request, kept for the next pages; then English again.
	run(t, ctx, "switch to Bulgarian",
		chromedp.Navigate(base+"/dashboard/?lang=bg"),
		waitFor(`document.querySelector("h1").textContent === "Разговори" && document.documentElement.lang === "bg"`),
		waitFor(row(second)+` && `+row(second)+`.querySelector(".state").textContent === "иска човек"`),
		chromedp.Navigate(base+"/dashboard/"),
		waitFor(`document.querySelector("h1").textContent === "Разговори"`),
		chromedp.Navigate(base+"/dashboard/?lang=en"),
		waitFor(`document.querySelector("h1").textContent === "Conversations" && !!`+row(first)),
	)

	// An agent is refused admin endpoints and pages' data.
	var status int
	run(t, ctx, "agent reads settings", chromedp.Evaluate(fetchStatus("GET", "/api/v1/settings", ""), &status, awaitPromise))
	if status != http.StatusForbidden {
		t.Errorf("an agent reading the settings got %d, want 403", status)
	}
	// A state change without the CSRF token is refused.
	run(t, ctx, "post without the CSRF token", chromedp.Evaluate(`fetch("/api/v1/conversations/webchat/`+first+`/live-chat", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{\"on\":true}"}).then(r => r.status)`, &status, awaitPromise))
	if status != http.StatusForbidden {
		t.Errorf("a change without the CSRF token got %d, want 403", status)
	}

	// Open the first conversation: the hostile text is shown as text, and
	// never ran.
	run(t, ctx, "open the conversation",
		chromedp.Click(`a.open[href$="/`+first+`"]`, chromedp.ByQuery),
		chromedp.WaitReady(`#messages`, chromedp.ByQuery),
		waitFor(count(`.message.customer`)+` === 1`),
		waitFor(`document.querySelector(".message.customer .text").textContent.includes("<img src=x onerror=")`),
	)
	var pwned bool
	run(t, ctx, "check nothing ran", chromedp.Evaluate(`window.pwned !== undefined`, &pwned))
	if pwned {
		t.Fatal("markup a customer wrote ran in the dashboard")
	}

	// Live chat on: the bot stops answering; the staff reply reaches the
	// customer.
	c.expect(http.StatusOK, "PATCH", "/api/v1/settings", map[string]any{"inactivity_timeout": "1m"}, true)
	run(t, ctx, "switch live chat on",
		click(`#live-chat`),
		waitFor(`document.querySelector("#live-chat").checked && document.querySelector("#live-countdown").textContent !== ""`),
	)
	before := len(c.transcript(first, 0))
	c.say(first, map[string]any{"id": "m2", "text": "Are you there?"})
	run(t, ctx, "see the customer's message", waitFor(count(`.message.customer`)+` === 2`))
	run(t, ctx, "reply",
		chromedp.SendKeys(`#composer-text`, "Yes, Maria here.", chromedp.ByQuery),
		chromedp.KeyEvent("\r"),
		waitFor(count(`.message.staff`)+` === 1`),
		waitFor(`document.querySelector("#composer-text").value === ""`),
	)
	msgs := c.waitTranscript(first, func(m []message) bool { return strings.Contains(senders(m), "staff") })
	if got := senders(msgs[before:]); got != "customer,staff" {
		t.Errorf("after live chat on: %s, want the customer's message and the staff reply, no bot", got)
	}
	// A staff reply with an uploaded image reaches the customer, and the
	// image is served from the media folder.
	imageFile := filepath.Join(t.TempDir(), "catalogue.png")
	if err := os.WriteFile(imageFile, testPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "reply with an image",
		chromedp.SetUploadFiles(`#composer-image`, []string{imageFile}, chromedp.ByQuery),
		chromedp.SendKeys(`#composer-text`, "Our catalogue", chromedp.ByQuery),
		chromedp.KeyEvent("\r"),
		waitFor(count(`.message.staff`)+` === 2`),
		waitFor(count(`.message.staff img.attachment`)+` === 1`),
		waitFor(`document.querySelector(".message.staff img.attachment").naturalWidth > 0`),
	)
	imageURL := staffImageURL(t, c, first)
	resp, err := http.Get(imageURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("GET %s: %d %s, want 200 image/png", imageURL, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// A block of the bot's flows, picked with its preview, is sent as a
	// staff message.
	run(t, ctx, "send a flow block",
		waitFor(`!document.querySelector("#blocks").hidden && document.querySelector("#block-select").options.length > 0`),
		chromedp.Evaluate(`document.querySelector("#blocks").open = true`, nil),
		waitFor(`document.querySelector("#block-select").value !== ""`),
		click(`#send-block`),
		waitFor(count(`.message.staff`)+` === 3`),
	)
	saveScreenshot(t, ctx, "dashboard-conversation.png")

	// The inactivity countdown runs out: live chat switches off by itself
	// and the view shows it without a reload.
	run(t, ctx, "wait for live chat to end",
		chromedp.Poll(`!document.querySelector("#live-chat").checked`, nil,
			chromedp.WithPollingInterval(500*time.Millisecond), chromedp.WithPollingTimeout(150*time.Second)),
	)

	// Alt+↑ opens the previous conversation of the list: the customer who
	// asked for a human, listed first.
	run(t, ctx, "move to the previous conversation",
		chromedp.Evaluate(`document.activeElement.blur()`, nil),
		chromedp.KeyEvent(kb.ArrowUp, chromedp.KeyModifiers(input.ModifierAlt)),
		chromedp.WaitReady(`.conversation-page[data-customer="`+second+`"]`, chromedp.ByQuery),
	)

	// The auditor reads but cannot send.
	// Clicked from the page's own script: right after Alt+↑ loaded a new
	// page, chromedp's node IDs of the document can be stale for a moment
	// ("Could not find node with given id").
	run(t, ctx, "log out", chromedp.WaitReady(`.logout button`, chromedp.ByQuery), click(`.logout button`), chromedp.WaitReady(`#login-form`, chromedp.ByQuery))
	run(t, ctx, "log in as audrey",
		chromedp.SendKeys(`#name`, "audrey", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, dashboardPassword, chromedp.ByQuery),
		chromedp.Click(`#login-submit`, chromedp.ByQuery),
		chromedp.WaitReady(`#conversations`, chromedp.ByQuery),
		chromedp.Navigate(base+"/dashboard/conversations/webchat/"+first),
		waitFor(count(`.message.staff`)+` === 3`),
		waitFor(`!document.querySelector("#composer") && document.querySelector("#live-chat").disabled`),
		waitFor(`document.querySelector("#history-link").href === "https://temporal-ui.example/namespaces/default/workflows/"
			+ encodeURIComponent("conversation/webchat/`+first+`")`),
	)
	run(t, ctx, "auditor sends", chromedp.Evaluate(fetchStatus("POST", "/api/v1/conversations/webchat/"+first+"/messages", `{"text":"hi"}`), &status, awaitPromise))
	if status != http.StatusForbidden {
		t.Errorf("an auditor sending got %d, want 403", status)
	}
}

// awaitPromise makes chromedp.Evaluate wait for the promise's value.
func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// saveScreenshot saves the page; with HANDOFF_SCREENSHOTS=dir into dir
// (the README's pictures come from docs/screenshots), else into the test's
// temporary directory.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("HANDOFF_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	var png []byte
	run(t, ctx, "screenshot "+name, chromedp.EmulateViewport(1200, 800), chromedp.FullScreenshot(&png, 100))
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// staffImageURL is the URL of the image in the visitor's latest staff
// message, as the widget gets it.
func staffImageURL(t *testing.T, c *api, visitor string) string {
	t.Helper()
	r := c.do("GET", "/webchat/v1/visitors/"+visitor+"/messages", nil, false)
	var out struct {
		Messages []struct {
			Sender      string `json:"sender"`
			Attachments []struct {
				URL string `json:"url"`
			} `json:"attachments"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatalf("transcript: %v %s", err, r.body)
	}
	for i := len(out.Messages) - 1; i >= 0; i-- {
		if m := out.Messages[i]; m.Sender == "staff" && len(m.Attachments) == 1 {
			return m.Attachments[0].URL
		}
	}
	t.Fatalf("no staff message with an image in %s", r.body)
	return ""
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{B: 255, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
