package chat

import (
	"strings"
	"unicode"
)

// ReplyLanguage decides the language to answer a customer in, as a
// lower-case primary language code ("bg", "en"), from the text of the
// customer's message, the locale the channel reports ("bg-BG", "bg_BG",
// "en"; may be empty) and the language the conversation already knows (such
// as that of the customer's last navigation choice; may be empty). In order:
//
//  1. text with Cyrillic letters is Bulgarian: "bg";
//  2. the known language;
//  3. the locale's language;
//  4. text with other letters is taken as English: "en";
//  5. otherwise "", nothing is known.
//
// The known language and the locale count only when PrimaryLanguage finds a
// language in them. The result may be a language the caller does not
// offer; mapping it to one it has is the caller's choice.
func ReplyLanguage(text, locale, known string) string {
	if hasCyrillic(text) {
		return "bg"
	}
	if lang := PrimaryLanguage(known); lang != "" {
		return lang
	}
	if lang := PrimaryLanguage(locale); lang != "" {
		return lang
	}
	if hasLetter(text) {
		return "en"
	}
	return ""
}

// PrimaryLanguage is the language of a locale or language code: its primary
// subtag in lower case, so "bg-BG", "bg_BG", "BG" and " bg " are all "bg".
// It is "" when the locale is empty or its primary subtag is not two or three
// ASCII letters ("", "-bg", "b", "bg.UTF-8", "1234").
func PrimaryLanguage(locale string) string {
	primary, _, _ := strings.Cut(strings.TrimSpace(locale), "-")
	primary, _, _ = strings.Cut(primary, "_")
	if len(primary) < 2 || len(primary) > 3 {
		return ""
	}
	for _, r := range primary {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) {
			return ""
		}
	}
	return strings.ToLower(primary)
}

func hasCyrillic(text string) bool {
	for _, r := range text {
		if unicode.Is(unicode.Cyrillic, r) && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func hasLetter(text string) bool {
	for _, r := range text {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
