package app_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/handoff-chat/handoff/internal/app"
	"github.com/handoff-chat/handoff/internal/graphapi/graphapitest"
)

// The template library: a text + link template and a gallery image are
// made on the library page (a button title over Messenger's limit is
// refused), inserted into replies to a Messenger customer with "/" and the
// picker, and each counts exactly one send, also when Meta failed the
// first delivery and the activity was retried.
func TestTemplateLibraryInTheBrowser(t *testing.T) {
	const page, pageToken = "1000000002", "EAAB-test-page-token-2"
	graph := graphapitest.NewServer(t, map[string]string{page: pageToken})
	cfg := testConfig(t.TempDir())
	cfg.Auth.Users = dashboardUsers(t)
	cfg.Messenger.AppSecret = appSecret
	cfg.Messenger.VerifyToken = verifyToken
	cfg.Messenger.Pages = []string{page + ":" + pageToken}
	cfg.Messenger.GraphURL = graph.URL
	cfg.HTTP.Addr = freeAddr(t)
	cfg.HTTP.PublicURL = "http://" + cfg.HTTP.Addr
	a := startApp(t, cfg, app.RoleAll)
	c := newAPI(t, a)
	base := c.base
	psid := fmt.Sprintf("4%015d", time.Now().UnixNano()%1e15)
	graph.SetProfile(psid, "Мария", "Петрова")
	deliver(t, base, messengerEvent(page, psid, `{"mid":"m_in_1","text":"Здравейте"}`))
	c.waitListed("/api/v1/conversations", psid, func(row map[string]any) bool { return row["customer_name"] == "Мария Петрова" })

	ctx := browser(t)
	logInAs(t, ctx, base, "ivan")
	row := func(title string) string {
		return `[...document.querySelectorAll("#tpl-list tr.template")].find(r => r.querySelector(".title").textContent === ` + jsString(title) + `)`
	}
	run(t, ctx, "open the library",
		chromedp.Navigate(base+"/dashboard/templates"),
		chromedp.WaitReady(`#tpl-list`, chromedp.ByQuery),
		click(`#tpl-new`),
		chromedp.SetValue(`#tpl-kind`, "link", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("#tpl-kind").dispatchEvent(new Event("change"))`, nil),
		setValue(`#tpl-title`, "Track your order"),
		setValue(`#tpl-text`, "Hello {name}, follow your parcel here:"),
		setValue(`#tpl-button-title`, "Follow the parcel right now"),
		setValue(`#tpl-button-url`, "https://shop.example/track"),
		click(`#tpl-save`),
		waitFor(`!document.querySelector("#tpl-error").hidden && document.querySelector("#tpl-error").textContent.includes("button.title")`),
		setValue(`#tpl-button-title`, "Track"),
		click(`#tpl-save`),
		waitFor(`document.querySelector("#tpl-form").hidden && !!`+row("Track your order")),
		waitFor(row("Track your order")+`.querySelector(".sent").textContent === "0"`),
	)
	imageFile := filepath.Join(t.TempDir(), "catalogue.png")
	if err := os.WriteFile(imageFile, testPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "add a gallery image",
		click(`#tpl-new`),
		chromedp.SetValue(`#tpl-kind`, "image", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("#tpl-kind").dispatchEvent(new Event("change"))`, nil),
		setValue(`#tpl-title`, "Catalogue"),
		chromedp.SetUploadFiles(`#tpl-image`, []string{imageFile}, chromedp.ByQuery),
		waitFor(`!document.querySelector("#tpl-image-preview").hidden && document.querySelector("#tpl-image-preview").naturalWidth > 0`),
		click(`#tpl-save`),
		waitFor(`document.querySelector("#tpl-form").hidden && !!`+row("Catalogue")+` && `+row("Catalogue")+`.querySelector("img.thumb").naturalWidth > 0`),
	)

	// Meta fails the first delivery of the next message: the activity is
	// retried, and the message is still one send.
	graph.FailNext(500, 2, 0, "Service temporarily unavailable")
	before := len(graph.Requests())
	run(t, ctx, "send the link template with /",
		chromedp.Navigate(base+"/dashboard/conversations/messenger/"+psid),
		chromedp.WaitReady(`#composer-text`, chromedp.ByQuery),
		waitFor(`document.querySelector("#customer-name").textContent === "Мария Петрова"`),
		chromedp.Click(`#composer-text`, chromedp.ByQuery),
		chromedp.SendKeys(`#composer-text`, "/trac", chromedp.ByQuery),
		waitFor(`!document.querySelector("#template-options").hidden && document.querySelector("#template-options .template-option.active .title").textContent === "Track your order"`),
	)
	// (The DevTools protocol's Enter also types a line break, which a real
	// keyboard's does not once the page handled the key; replies are
	// trimmed.)
	run(t, ctx, "insert",
		chromedp.KeyEvent(kb.Enter),
		waitFor(`document.querySelector("#composer-text").value.trim() === "Hello Мария, follow your parcel here:" && document.querySelector("#link-url").value === "https://shop.example/track"`),
	)
	run(t, ctx, "send",
		chromedp.KeyEvent(kb.Enter),
		waitFor(`[...document.querySelectorAll(".message.staff")].some(m => m.querySelector(".text") && m.querySelector(".text").textContent === "Hello Мария, follow your parcel here:" && m.querySelector(".delivery.sent"))`),
	)
	var sentButton bool
	for _, r := range graph.Requests()[before:] {
		sentButton = sentButton || strings.Contains(string(r.RawBody), "https://shop.example/track")
	}
	if !sentButton {
		t.Errorf("the Send API never got the template's link button: %+v", graph.Requests()[before:])
	}
	run(t, ctx, "send the image with the picker",
		chromedp.Click(`#template-search`, chromedp.ByQuery),
		chromedp.SendKeys(`#template-search`, "catal", chromedp.ByQuery),
		waitFor(`!document.querySelector("#template-options").hidden`),
		chromedp.KeyEvent(kb.Enter),
		waitFor(`document.querySelector("#template-chosen").textContent.includes("Catalogue")`),
		click(`#send`),
		waitFor(`document.querySelectorAll(".message.staff img.attachment").length === 1`),
	)

	// Each counts one send, on the page and in the API; the library sorts
	// by it.
	run(t, ctx, "see the counts",
		reloadUntil(base+"/dashboard/templates", row("Track your order")+`.querySelector(".sent").textContent === "1" && `+
			row("Catalogue")+`.querySelector(".sent").textContent === "1"`),
	)
	got := c.expect(http.StatusOK, "GET", "/api/v1/templates?sort=sent", nil, true)
	for _, tpl := range got["templates"].([]any) {
		if tpl := tpl.(map[string]any); tpl["sent"] != 1.0 {
			t.Errorf("template %v was sent %v times, want exactly 1", tpl["title"], tpl["sent"])
		}
	}

	// A message naming no template of the library is refused: every send
	// counted names one.
	r := c.do("POST", "/api/v1/conversations/messenger/"+psid+"/messages", map[string]any{"text": "hi", "template_id": "no-such-template"}, true)
	if r.status != http.StatusBadRequest || !strings.Contains(r.errorMessage(t), "names no template") {
		t.Errorf("a staff message with an unknown template_id: %d %s, want 400", r.status, r.body)
	}

	agentIsRefused(t, ctx, base, "/dashboard/templates")
}
