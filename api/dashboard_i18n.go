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
		"sections": "Sections", "settings": "Settings", "save": "Save", "forbidden": "Not for your role",
		"forbidden_text":            "This page is for admins (and auditors, who read it). Ask an admin if you need a change here.",
		"settings_read_only":        "You can read the settings; as an auditor you cannot change them.",
		"s_inactivity_timeout":      "Live chat ends after this long without a staff message",
		"s_inactivity_timeout_hint": "A duration from 1m to 24h, like 30m or 1h30m.", "s_alerts": "Alerts when a customer asks for a human",
		"s_notification_email": "Email address", "s_notification_phone": "Phone number for SMS (international form)",
		"s_notification_cooldown": "Alert once per customer within (0s alerts every time)",
		"s_messenger_human_agent": "Answer Messenger customers for 7 days with the HUMAN_AGENT tag", "s_ai": "Conversational AI",
		"s_ai_enabled": "The AI answers questions from the knowledge base", "s_ai_confidence_threshold": "Confidence at which the AI answers (0.01 to 1)",
		"s_bot_texts": "The bot's texts", "s_bot_reply": "Reply to every message when there are no flows, per language",
		"s_agent_requested_reply": "Reply when a customer asks for a human, per language",
		"s_agent_phrases":         "Phrases that ask for a human, one per line", "s_agent_phrases_hint": "Case, punctuation and word endings do not matter. Empty: only buttons ask for a human.",
		"s_changes": "Changes", "s_when": "When", "s_who": "Who", "s_what": "What",
		"js_changed_default": "Changed; the default from config.yaml is: {v}", "js_follows_config": "Follows config.yaml.",
		"flows": "Flows", "f_file": "File", "f_loaded": "In force since", "f_version": "Version (SHA-256)",
		"f_last_error": "The file's current content is not in force", "f_reload": "Reload the flows file", "f_blocks": "Blocks", "f_block": "Block",
		"js_f_start": "start block", "js_f_fallback": "fallback block", "js_f_line": "line {n}", "js_f_reloaded": "The flows file was loaded.",
		"knowledge": "Knowledge base", "k_read_only": "You can read the knowledge base; as an auditor you cannot change it.",
		"k_search": "Search entries", "k_new": "New entry", "k_import": "Import (JSON)", "k_export": "Export (JSON)", "k_id": "Entry ID",
		"k_question": "Question", "k_alternates": "Other phrasings of the question, one per line", "k_answer": "Answer",
		"k_links": "Links, one per line: title | https://…", "k_translations": "Translations (JSON, optional)", "cancel": "Cancel",
		"k_entries": "Entries", "k_answered": "Answered", "k_helped": "Helped", "k_asked_human": "Asked for a human after",
		"k_unanswered": "Questions the AI could not answer", "k_unanswered_hint": "Most asked first. Answer one as a new entry, or add it as another phrasing of an entry; the AI answers it from then on.",
		"js_k_edit": "Edit entry {id}", "js_k_create": "New entry", "js_k_edit_button": "Edit", "js_k_delete": "Delete", "js_k_delete_named": "Delete entry {id}",
		"js_k_confirm_delete": "Delete entry {id}?", "js_k_deleted": "Entry {id} deleted.", "js_k_saved": "Entry {id}: {o}.",
		"js_k_need_id": "The entry needs an ID.", "js_k_bad_translations": "Translations are not valid JSON: {r}",
		"js_k_imported": "Imported {n} entries: {c} new, {e} changed, {u} unchanged.", "js_k_asked_times": "asked {n}×",
		"js_k_answer_new": "Answer as a new entry", "js_k_phrasing_of": "Entry to add the question to", "js_k_add_phrasing": "Add as a phrasing of this entry",
		"js_k_added_phrasings": "{n} phrasings added to {id}.", "js_save_entry": "Save as a knowledge-base entry",
		"templates": "Templates", "t_hint": "Replies staff insert with one click, or by typing / and a few letters in the composer. {name} becomes the customer's first name. The count is how many times each was sent to customers.",
		"t_search": "Search templates", "t_sort": "Sort by", "t_sort_sent": "Most sent", "t_sort_title": "Title", "t_sort_updated": "Recently changed",
		"t_new": "New template", "t_kind": "Kind", "t_kind_text": "Text", "t_kind_link": "Text with a link button", "t_kind_image": "Gallery image",
		"t_title": "Title", "t_text": "Text", "t_sent": "Sent", "t_insert": "Insert a template (or type / in the reply)",
		"js_t_kind_text": "text", "js_t_kind_link": "text + link button", "js_t_kind_image": "image", "js_t_edit": "Edit {n}", "js_t_create": "New template",
		"js_t_saved": "Template {n} saved.", "js_t_confirm_delete": "Delete the template {n}?", "js_template_chosen": "Template: {n}",
		"js_reset": "Reset to default", "js_reset_named": "Reset {n} to the default", "js_saved": "Saved.", "js_nothing_changed": "Nothing changed.",
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
		"sections": "Раздели", "settings": "Настройки", "save": "Запази", "forbidden": "Не е за вашата роля",
		"forbidden_text":            "Тази страница е за администратори (и одитори, които я четат). Обърнете се към администратор, ако е нужна промяна.",
		"settings_read_only":        "Можете да четете настройките; като одитор не можете да ги променяте.",
		"s_inactivity_timeout":      "Чатът на живо приключва след толкова време без съобщение от екипа",
		"s_inactivity_timeout_hint": "Продължителност от 1m до 24h, например 30m или 1h30m.", "s_alerts": "Известия, когато клиент иска човек",
		"s_notification_email": "Имейл адрес", "s_notification_phone": "Телефон за SMS (в международен формат)",
		"s_notification_cooldown": "Едно известие на клиент в рамките на (0s известява всеки път)",
		"s_messenger_human_agent": "Отговори на клиенти в Messenger до 7 дни с етикета HUMAN_AGENT", "s_ai": "Разговорен AI",
		"s_ai_enabled": "AI отговаря на въпроси от базата знания", "s_ai_confidence_threshold": "Увереност, при която AI отговаря (0.01 до 1)",
		"s_bot_texts": "Текстовете на бота", "s_bot_reply": "Отговор на всяко съобщение, когато няма потоци, по език",
		"s_agent_requested_reply": "Отговор, когато клиент иска човек, по език",
		"s_agent_phrases":         "Фрази, с които клиент иска човек, по една на ред", "s_agent_phrases_hint": "Главните букви, пунктуацията и окончанията нямат значение. Празно: само бутоните искат човек.",
		"s_changes": "Промени", "s_when": "Кога", "s_who": "Кой", "s_what": "Какво",
		"js_changed_default": "Променено; стойността от config.yaml е: {v}", "js_follows_config": "Следва config.yaml.",
		"flows": "Потоци", "f_file": "Файл", "f_loaded": "В сила от", "f_version": "Версия (SHA-256)",
		"f_last_error": "Текущото съдържание на файла не е в сила", "f_reload": "Зареди файла с потоците отново", "f_blocks": "Блокове", "f_block": "Блок",
		"js_f_start": "начален блок", "js_f_fallback": "резервен блок", "js_f_line": "ред {n}", "js_f_reloaded": "Файлът с потоците е зареден.",
		"knowledge": "База знания", "k_read_only": "Можете да четете базата знания; като одитор не можете да я променяте.",
		"k_search": "Търсене в записите", "k_new": "Нов запис", "k_import": "Внасяне (JSON)", "k_export": "Изнасяне (JSON)", "k_id": "ID на записа",
		"k_question": "Въпрос", "k_alternates": "Други формулировки на въпроса, по една на ред", "k_answer": "Отговор",
		"k_links": "Връзки, по една на ред: заглавие | https://…", "k_translations": "Преводи (JSON, по избор)", "cancel": "Отказ",
		"k_entries": "Записи", "k_answered": "Отговорени", "k_helped": "Помогнали", "k_asked_human": "Поискали човек след това",
		"k_unanswered": "Въпроси, на които AI не отговори", "k_unanswered_hint": "Най-често задаваните първи. Отговорете с нов запис или добавете въпроса като формулировка на запис; оттук нататък AI отговаря.",
		"js_k_edit": "Редакция на запис {id}", "js_k_create": "Нов запис", "js_k_edit_button": "Редактирай", "js_k_delete": "Изтрий", "js_k_delete_named": "Изтрий запис {id}",
		"js_k_confirm_delete": "Да се изтрие ли запис {id}?", "js_k_deleted": "Запис {id} е изтрит.", "js_k_saved": "Запис {id}: {o}.",
		"js_k_need_id": "Записът има нужда от ID.", "js_k_bad_translations": "Преводите не са валиден JSON: {r}",
		"js_k_imported": "Внесени {n} записа: {c} нови, {e} променени, {u} без промяна.", "js_k_asked_times": "питан {n}×",
		"js_k_answer_new": "Отговори с нов запис", "js_k_phrasing_of": "Запис, към който да се добави въпросът", "js_k_add_phrasing": "Добави като формулировка на записа",
		"js_k_added_phrasings": "{n} формулировки добавени към {id}.", "js_save_entry": "Запази като запис в базата знания",
		"templates": "Шаблони", "t_hint": "Отговори, които екипът вмъква с едно щракване или като напише / и няколко букви в отговора. {name} става малкото име на клиента. Броят показва колко пъти всеки е изпратен на клиенти.",
		"t_search": "Търсене в шаблоните", "t_sort": "Подреди по", "t_sort_sent": "Най-изпращани", "t_sort_title": "Заглавие", "t_sort_updated": "Последно променени",
		"t_new": "Нов шаблон", "t_kind": "Вид", "t_kind_text": "Текст", "t_kind_link": "Текст с бутон за връзка", "t_kind_image": "Изображение от галерията",
		"t_title": "Заглавие", "t_text": "Текст", "t_sent": "Изпратен", "t_insert": "Вмъкни шаблон (или напишете / в отговора)",
		"js_t_kind_text": "текст", "js_t_kind_link": "текст + бутон", "js_t_kind_image": "изображение", "js_t_edit": "Редакция на {n}", "js_t_create": "Нов шаблон",
		"js_t_saved": "Шаблонът {n} е запазен.", "js_t_confirm_delete": "Да се изтрие ли шаблонът {n}?", "js_template_chosen": "Шаблон: {n}",
		"js_reset": "Върни стойността по подразбиране", "js_reset_named": "Върни {n} по подразбиране", "js_saved": "Запазено.", "js_nothing_changed": "Нищо не е променено.",
	},
}
