package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// The dashboard speaks Bulgarian and English: the language of the
// handoff_lang cookie (set by the switch in the header, ?lang=), else the
// browser's first of the two in Accept-Language, else English.
const langCookie = "handoff_lang"

func uiLanguage(c *gin.Context) string {
	if lang := c.Query("lang"); lang == "bg" || lang == "en" {
		http.SetCookie(c.Writer, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
		return lang
	}
	if ck, err := c.Cookie(langCookie); err == nil && (ck == "bg" || ck == "en") {
		return ck
	}
	for _, part := range strings.Split(c.GetHeader("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "bg"):
			return "bg"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "en"
}

// scriptStrings are the messages the page scripts show, as JSON.
func scriptStrings(lang string) string {
	out := map[string]string{}
	for k, v := range uiStrings[lang] {
		if strings.HasPrefix(k, "js_") {
			out[strings.TrimPrefix(k, "js_")] = v
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

var uiStrings = map[string]map[string]string{
	"en": {
		"login": "Log in", "name": "Name", "password": "Password", "logout": "Log out",
		"login_wrong": "The name or the password is wrong.", "login_throttled": "Too many failed logins. Try again in {s} seconds.",
		"login_failed": "The login could not be completed; try again.", "login_other_origin": "The login form was sent from another site.",
		"conversations": "Conversations", "conversation": "Conversation", "search_names": "Search customers by name",
		"back": "All conversations", "live_chat": "Live chat", "send": "Send", "composer": "Reply to the customer",
		"composer_hint": "Enter sends, Shift+Enter starts a new line", "search_messages": "Search this conversation",
		"notify": "Sound and notification when a customer asks for a human", "history": "Workflow history in the Temporal UI",
		"language": "Language", "role": "Role", "link_title": "Button text", "link_url": "Button link (https://…)",
		"add_link": "Add a link button", "image_upload": "Image (JPEG, PNG, GIF, WebP)", "blocks": "Send a block of the bot's flows", "preview": "Preview",
		"send_block": "Send this block", "read_only": "You can read this conversation; as an auditor you cannot change it.",
		"js_waiting": "waiting {t}", "js_closes": "window closes in {t}", "js_closed": "window closed",
		"js_human_agent": "HUMAN_AGENT until {t}", "js_live_ends": "live chat ends in {t}", "js_state_bot": "bot",
		"js_state_agent_requested": "asked for a human", "js_state_live_chat": "live chat", "js_unread": "unread",
		"js_empty": "No customer wrote within the messaging window.", "js_on": "On", "js_off": "Off",
		"js_sent": "delivered", "js_pending": "sending…", "js_failed": "not delivered: {r}", "js_ai": "answered by the AI ({e})",
		"js_ai_declined": "the AI did not answer", "js_offline": "Reconnecting…", "js_send_failed": "Not sent: {r}",
		"js_no_hits": "No message matches.", "js_title_waiting": "({n} waiting)", "js_asks_human": "{n} asks for a human",
		"js_customer": "Customer", "js_staff": "Staff", "js_image": "[image]",
	},
	"bg": {
		"login": "Вход", "name": "Име", "password": "Парола", "logout": "Изход",
		"login_wrong": "Името или паролата не са верни.", "login_throttled": "Твърде много неуспешни опити. Опитайте отново след {s} секунди.",
		"login_failed": "Входът не завърши; опитайте отново.", "login_other_origin": "Формата за вход е изпратена от друг сайт.",
		"conversations": "Разговори", "conversation": "Разговор", "search_names": "Търсене на клиент по име",
		"back": "Всички разговори", "live_chat": "Чат на живо", "send": "Изпрати", "composer": "Отговор на клиента",
		"composer_hint": "Enter изпраща, Shift+Enter започва нов ред", "search_messages": "Търсене в разговора",
		"notify": "Звук и известие, когато клиент иска човек", "history": "История на процеса в Temporal UI",
		"language": "Език", "role": "Роля", "link_title": "Текст на бутона", "link_url": "Връзка на бутона (https://…)",
		"add_link": "Добави бутон с връзка", "image_upload": "Изображение (JPEG, PNG, GIF, WebP)", "blocks": "Изпрати блок от потоците на бота", "preview": "Преглед",
		"send_block": "Изпрати блока", "read_only": "Можете да четете разговора; като одитор не можете да го променяте.",
		"js_waiting": "чака {t}", "js_closes": "прозорецът се затваря след {t}", "js_closed": "прозорецът е затворен",
		"js_human_agent": "HUMAN_AGENT до {t}", "js_live_ends": "чатът на живо приключва след {t}", "js_state_bot": "бот",
		"js_state_agent_requested": "иска човек", "js_state_live_chat": "чат на живо", "js_unread": "непрочетено",
		"js_empty": "Няма клиенти, писали в прозореца за съобщения.", "js_on": "Вкл.", "js_off": "Изкл.",
		"js_sent": "доставено", "js_pending": "изпраща се…", "js_failed": "не е доставено: {r}", "js_ai": "отговор от AI ({e})",
		"js_ai_declined": "AI не отговори", "js_offline": "Свързване отново…", "js_send_failed": "Не е изпратено: {r}",
		"js_no_hits": "Няма съвпадения.", "js_title_waiting": "({n} чакат)", "js_asks_human": "{n} иска човек",
		"js_customer": "Клиент", "js_staff": "Екип", "js_image": "[изображение]",
	},
}
