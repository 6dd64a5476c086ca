package app_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/handoff-chat/handoff/internal/app"
)

// shareToken is the secret between the index owner and the api process it
// shares its index with.
const shareToken = "a-token-shared-by-both-processes"

// The roles run apart without Elasticsearch: an all-in-one process owns the
// embedded index and shares it, and a second, separate api process uses it.
// A customer who writes through either process appears within moments on
// the dashboards of both, without a reload: each process's change feed
// follows the one index.
func TestDashboardListFollowsASecondAPIProcess(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Auth.Users = dashboardUsers(t)
	cfg.Search.Bleve.ServeAddr = "127.0.0.1:0"
	cfg.Search.Remote.Token = shareToken
	// Browsers keep cookies per host, not per port: the two processes'
	// dashboards share the session cookie, as api processes behind one
	// address do, so they share the secret that signs it.
	cfg.Auth.SessionSecret = "a-session-secret-both-processes-share"
	owner := startApp(t, cfg, app.RoleAll)

	dir := t.TempDir()
	second, httpAddr, _ := startChildOnFreePorts(t, dir, []string{
		"HANDOFF_E2E_CHILD=api",
		"HANDOFF_DATA_DIR=" + dir,
		"HANDOFF_TEMPORAL_ADDRESS=" + owner.FrontendAddr(),
		"HANDOFF_SEARCH_BACKEND=remote",
		"HANDOFF_SEARCH_REMOTE_URL=http://" + owner.SearchShareAddr(),
		"HANDOFF_SEARCH_REMOTE_TOKEN=" + shareToken,
		"HANDOFF_AUTH_TOKENS=alice:" + staffToken,
		"HANDOFF_AUTH_USERS=" + strings.Join(cfg.Auth.Users, " "),
		"HANDOFF_AUTH_SESSION_SECRET=" + cfg.Auth.SessionSecret,
		"HANDOFF_WEBCHAT_SECRET=a-web-chat-secret-for-the-second-process",
	})
	defer second.stop(t)
	viaOwner := newAPI(t, owner)
	viaSecond := &api{t: t, base: "http://" + httpAddr, token: staffToken, visitorTokens: map[string]string{}}

	ownerTab := browser(t)
	logInAs(t, ownerTab, viaOwner.base, "maria")
	// A second tab of the same browser (which the first run started),
	// already logged in: the session is good at either process.
	secondTab, cancel := chromedp.NewContext(ownerTab)
	defer cancel()
	run(t, secondTab, "open the second process's dashboard",
		chromedp.Navigate(viaSecond.base+"/dashboard/"),
		chromedp.WaitReady(`#conversations`, chromedp.ByQuery),
	)
	listed := func(visitor, name string) chromedp.Action {
		return waitFor(`(() => { const a = document.querySelector('a.open[href$="/` + visitor + `"]');
			return !!a && a.querySelector(".name").textContent.includes(` + jsString(name) + `); })()`)
	}

	// Through the second process: on both lists.
	first := viaSecond.newVisitor()
	viaSecond.say(first, map[string]any{"id": "m1", "text": "hello from the second process", "name": "Second Door"})
	run(t, ownerTab, "see the second process's customer at the owner", listed(first, "Second Door"))
	run(t, secondTab, "see the second process's customer at the second process", listed(first, "Second Door"))

	// Through the owner: on the second process's list, and its asking for
	// a human flags it there.
	other := viaOwner.newVisitor()
	viaOwner.say(other, map[string]any{"id": "m1", "text": "hello from the owner", "name": "Owner Door"})
	run(t, secondTab, "see the owner's customer at the second process", listed(other, "Owner Door"))
	viaOwner.expect(202, "POST", "/webchat/v1/visitors/"+other+"/agent-request", map[string]any{"id": "ask-1"}, false)
	run(t, secondTab, "see the agent request at the second process",
		waitFor(`document.querySelector("#conversations li:first-child a.open").getAttribute("href").endsWith("/`+other+`")`),
		waitFor(`document.querySelector("#conversations li:first-child").classList.contains("asked")`),
	)

	// A staff reply sent through the second process shows in the owner's
	// conversation view.
	run(t, ownerTab, "open the conversation at the owner",
		chromedp.Navigate(viaOwner.base+"/dashboard/conversations/webchat/"+first),
		waitFor(`document.querySelectorAll(".message.customer").length === 1`),
	)
	viaSecond.expect(201, "POST", conversationPath(first)+"/messages", map[string]any{"id": "s1", "text": "answered from the second process"}, true)
	run(t, ownerTab, "see the reply at the owner",
		waitFor(`[...document.querySelectorAll(".message.staff .text")].some(e => e.textContent.includes("answered from the second process"))`))
}
