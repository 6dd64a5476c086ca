package api

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/staff"
	"github.com/handoff-chat/handoff/search"
	"github.com/handoff-chat/handoff/workflows"
)

// The staff dashboard: server-rendered pages (html/template) with small
// scripts, all embedded in the binary. The pages call the staff REST API
// with the session cookie and its CSRF token, so they get the same
// validation and messages as any other client, and follow the change feed
// over Server-Sent Events.

//go:embed dashboard/templates/*.html
var dashboardTemplates embed.FS

//go:embed dashboard/static
var dashboardStatic embed.FS

var pages = template.Must(template.New("").ParseFS(dashboardTemplates, "dashboard/templates/*.html"))

// contentSecurityPolicy allows only the dashboard's own scripts, styles
// and connections: no inline script runs, whatever a customer wrote.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

// pageData is what every page template gets.
type pageData struct {
	Lang   string
	T      map[string]string
	Member staff.Member
	// Administers is set for the roles that see the administration pages
	// (admins, and auditors read-only).
	Administers bool
	CSRF        string
	Title       string
	Next        string
	Error       string
	LoggedIn    bool
	// The conversation page's conversation.
	Channel, Customer string
	// TemporalUI links auditors to a conversation's history.
	TemporalUI string
	// Strings is the page's messages as JSON, for its script.
	Strings string
}

func (s *server) dashboardRoutes(r *gin.Engine) {
	static, _ := fs.Sub(dashboardStatic, "dashboard/static")
	fileServer := http.StripPrefix("/dashboard/static/", http.FileServer(http.FS(static)))
	r.GET("/dashboard/static/*file", func(c *gin.Context) {
		c.Header("Cache-Control", "no-cache")
		c.Header("X-Content-Type-Options", "nosniff")
		fileServer.ServeHTTP(c.Writer, c.Request)
	})
	r.GET("/", func(c *gin.Context) {
		if _, _, ok := s.sessionMember(c); ok {
			c.Redirect(http.StatusSeeOther, "/dashboard/")
			return
		}
		c.Redirect(http.StatusSeeOther, "/login")
	})
	r.GET("/login", s.loginPage)
	r.POST("/login", s.loginSubmit)
	r.POST("/logout", s.logout)
	pagesGroup := r.Group("/dashboard", s.requirePageSession)
	pagesGroup.GET("/", s.listPage)
	pagesGroup.GET("/conversations/:channel/:customer", s.conversationPage)
	pagesGroup.GET("/settings", s.adminPage("settings.html", "settings"))
	pagesGroup.GET("/flows", s.adminPage("flows.html", "flows"))
	pagesGroup.GET("/knowledge", s.adminPage("knowledge.html", "knowledge"))
	pagesGroup.GET("/templates", s.adminPage("templates.html", "templates"))
	staffAPI := r.Group("/api/v1", s.guard(s.requireStaff))
	staffAPI.GET("/events", s.handleStream(s.listEvents))
	staffAPI.GET("/conversations/:channel/:customer/events", s.handleStream(s.conversationEvents))
}

// secureHeaders sets the headers of every dashboard page.
func secureHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// requirePageSession sends a browser without a session to the login page,
// to come back here after.
func (s *server) requirePageSession(c *gin.Context) {
	member, claims, ok := s.sessionMember(c)
	if !ok {
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		c.Abort()
		return
	}
	c.Set(staffKey, member)
	c.Set(sessionKey, claims)
}

const sessionKey = "handoff.session"

func (s *server) render(c *gin.Context, status int, name string, data pageData) {
	secureHeaders(c)
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(c.Writer, name, data); err != nil {
		s.requestLogger(c).Error("dashboard page not rendered", "page", name, "error", err)
	}
}

// page fills the data every page of a logged-in member has.
func (s *server) page(c *gin.Context, title string) pageData {
	lang := uiLanguage(c)
	claims, _ := c.Get(sessionKey)
	sc, _ := claims.(sessionClaims)
	m := member(c)
	return pageData{
		Lang: lang, T: uiStrings[lang], Member: m, CSRF: s.sessions.csrfToken(sc),
		Title: uiStrings[lang][title], LoggedIn: true, Strings: scriptStrings(lang),
		Administers: m.Role == staff.Admin || m.Role == staff.Auditor,
	}
}

func (s *server) loginPage(c *gin.Context) {
	if _, _, ok := s.sessionMember(c); ok {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return
	}
	lang := uiLanguage(c)
	s.render(c, http.StatusOK, "login.html", pageData{Lang: lang, T: uiStrings[lang], Title: uiStrings[lang]["login"], Next: safeNext(c.Query("next"))})
}

func (s *server) loginSubmit(c *gin.Context) {
	lang := uiLanguage(c)
	next := safeNext(c.PostForm("next"))
	fail := func(status int, message string) {
		s.render(c, status, "login.html", pageData{Lang: lang, T: uiStrings[lang], Title: uiStrings[lang]["login"], Next: next, Error: message})
	}
	if origin := c.GetHeader("Origin"); origin != "" && !s.sameOrigin(c, origin) {
		fail(http.StatusForbidden, uiStrings[lang]["login_other_origin"])
		return
	}
	name, password := c.PostForm("name"), c.PostForm("password")
	if len(name) > chat.MaxNameRunes*4 || len(password) > 1024 {
		fail(http.StatusBadRequest, uiStrings[lang]["login_wrong"])
		return
	}
	m, err := s.login(c, name, password)
	var throttled errLoginThrottled
	switch {
	case errors.As(err, &throttled):
		seconds := strconv.Itoa(throttled.seconds())
		c.Header("Retry-After", seconds)
		fail(http.StatusTooManyRequests, strings.Replace(uiStrings[lang]["login_throttled"], "{s}", seconds, 1))
		return
	case err != nil:
		fail(http.StatusUnauthorized, uiStrings[lang]["login_wrong"])
		return
	}
	value, _, err := s.sessions.issue(m, time.Now())
	if err != nil {
		s.requestLogger(c).Error("session not issued", "error", err)
		fail(http.StatusInternalServerError, uiStrings[lang]["login_failed"])
		return
	}
	s.setSessionCookie(c, value, int(s.sessions.ttl.Seconds()))
	s.requestLogger(c).Info("staff logged in", "staff", m.Name, "role", m.Role)
	c.Redirect(http.StatusSeeOther, next)
}

func (s *server) logout(c *gin.Context) {
	if _, claims, ok := s.sessionMember(c); ok {
		if err := s.checkCSRF(c, claims); err != nil {
			s.writeErr(c, err)
			return
		}
	}
	s.setSessionCookie(c, "", -1)
	c.Redirect(http.StatusSeeOther, "/login")
}

// safeNext is where to go after the login: a dashboard path of this
// site, never another site.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/dashboard/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return "/dashboard/"
}

func (s *server) listPage(c *gin.Context) {
	s.render(c, http.StatusOK, "list.html", s.page(c, "conversations"))
}

func (s *server) conversationPage(c *gin.Context) {
	channel, customer, err := conversationKey(c)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	data := s.page(c, "conversation")
	data.Channel, data.Customer = channel, customer
	if data.Member.Role == staff.Auditor && s.TemporalUI != "" {
		data.TemporalUI = strings.TrimSuffix(s.TemporalUI, "/") + "/namespaces/" + url.PathEscape(s.TemporalNamespace) +
			"/workflows/" + url.PathEscape(workflows.ConversationWorkflowID(channel, customer))
	}
	s.render(c, http.StatusOK, "conversation.html", data)
}

// adminPage serves an administration page to admins, and read-only to
// auditors; an agent gets 403 with a page that says so.
func (s *server) adminPage(template, title string) gin.HandlerFunc {
	return func(c *gin.Context) {
		data := s.page(c, title)
		if r := data.Member.Role; r != staff.Admin && r != staff.Auditor {
			data.Title = data.T["forbidden"]
			s.render(c, http.StatusForbidden, "forbidden.html", data)
			return
		}
		s.render(c, http.StatusOK, template, data)
	}
}

// me is who the caller is.
func (s *server) me(c *gin.Context) error {
	m := member(c)
	c.JSON(http.StatusOK, gin.H{"name": m.Name, "display_name": m.DisplayName, "role": m.Role})
	return nil
}

// listEvents streams the conversation list: a "snapshot" event with every
// open conversation (also after every reconnect, so nothing is missed),
// then a "conversation" event for every change.
func (s *server) listEvents(c *gin.Context) error {
	if s.Feed == nil || s.Search == nil {
		return newAPIError(http.StatusServiceUnavailable, "event streams are not available in this process")
	}
	list := s.Feed.SubscribeList()
	defer list.Close()
	ctx := c.Request.Context()
	snapshot, err := s.Search.SearchConversations(ctx, search.ConversationQuery{OpenAt: time.Now(), Size: 1000})
	if err != nil {
		return err
	}
	beginStream(c)
	rows := make([]conversationRow, 0, len(snapshot))
	for _, conv := range snapshot {
		rows = append(rows, rowOf(conv))
	}
	if writeSSE(c, 0, "snapshot", gin.H{"conversations": rows, "now": time.Now()}) != nil {
		return nil
	}
	s.follow(c, list.Changed, func() bool {
		changes, lagged := list.Take()
		if lagged {
			return false // the browser reconnects and gets a new snapshot
		}
		for _, conv := range changes {
			if writeSSE(c, 0, "conversation", rowOf(conv)) != nil {
				return false
			}
		}
		return true
	})
	return nil
}

// conversationEvents streams one conversation for staff: its customer and
// staff messages after Last-Event-ID (or ?after) as "message" events, and
// its document's changes (state, countdowns) as "conversation" events.
func (s *server) conversationEvents(c *gin.Context) error {
	channel, customer, err := conversationKey(c)
	if err != nil {
		return err
	}
	after, err := streamCursor(c)
	if err != nil {
		return err
	}
	return s.streamConversation(c, channel, customer, after, func(m chat.Message) any {
		if m.Sender == chat.SenderBot {
			return nil
		}
		return m
	}, func(sum chat.ConversationSummary) any {
		return rowOf(sum)
	})
}
