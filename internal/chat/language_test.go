package chat_test

import (
	"testing"

	"github.com/handoff-chat/handoff/internal/chat"
)

func TestReplyLanguage(t *testing.T) {
	for _, tc := range []struct {
		name                string
		text, locale, known string
		want                string
	}{
		// Cyrillic text is Bulgarian, whatever else is known.
		{"Cyrillic text", "Къде е пратката ми?", "", "", "bg"},
		{"Latin text with Cyrillic", "Hello, където е поръчката?", "", "", "bg"},
		{"Cyrillic text over the locale", "Къде е пратката ми?", "en-GB", "", "bg"},
		{"Cyrillic text over the known language", "Къде е пратката ми?", "en", "en", "bg"},

		// Text without Cyrillic leaves the choice to what else is known.
		{"Latin text defers to the locale", "Where is my parcel?", "de", "", "de"},
		{"no letters defer to the locale", "12345 !?", "de", "", "de"},
		{"no text defers to the locale", "", "de", "", "de"},

		// Text with other letters is English when nothing else is known.
		{"Latin text", "Where is my parcel?", "", "", "en"},
		{"letters of another script", "Γεια σας", "", "", "en"},
		{"no letters", "12345 !?", "", "", ""},
		{"an emoji", "👍", "", "", ""},

		// The locale's primary language, whatever the separator and case.
		{"locale with a hyphen", "Where is my parcel?", "bg-BG", "", "bg"},
		{"locale with an underscore", "Where is my parcel?", "bg_BG", "", "bg"},
		{"upper-case locale", "", "BG", "", "bg"},
		{"mixed-case locale", "", "En-gB", "", "en"},
		{"POSIX locale", "", "bg_BG.UTF-8", "", "bg"},
		{"locale with spaces", "", " bg ", "", "bg"},
		{"three-letter locale", "", "fil-PH", "", "fil"},
		{"locale the flows may not have over Latin text", "Wo ist mein Paket?", "de-DE", "", "de"},

		// A locale that names no language counts for nothing.
		{"junk locale, Latin text", "Where is my parcel?", "bg.UTF-8", "", "en"},
		{"junk locale, no text", "", "-bg", "", ""},
		{"one-letter locale", "", "b", "", ""},
		{"too long locale", "", "bgxx-BG", "", ""},
		{"digits as locale", "", "1234", "", ""},
		{"Cyrillic locale", "", "бг", "", ""},
		{"blank locale", "", "  ", "", ""},

		// The language the conversation knows, e.g. from a choice "FLOW:en:delivery".
		{"known language", "", "", "en", "en"},
		{"known language over the locale", "Delivery", "bg-BG", "en", "en"},
		{"known language over Latin text", "Econt", "", "bg", "bg"},
		{"known language in upper case", "", "", "BG", "bg"},
		{"junk known language", "Where is my parcel?", "bg-BG", "b1", "bg"},

		{"nothing known", "", "", "", ""},
	} {
		if got := chat.ReplyLanguage(tc.text, tc.locale, tc.known); got != tc.want {
			t.Errorf("%s: ReplyLanguage(%q, %q, %q) = %q, want %q", tc.name, tc.text, tc.locale, tc.known, got, tc.want)
		}
	}
}

func TestPrimaryLanguage(t *testing.T) {
	for locale, want := range map[string]string{
		"bg": "bg", "bg-BG": "bg", "bg_BG": "bg", "BG": "bg", " bg ": "bg", "bg_BG.UTF-8": "bg",
		"en-GB": "en", "EN": "en", "en-Latn-GB": "en", "fil": "fil",
		"": "", "-bg": "", "_bg": "", "b": "", "bgxx": "", "bg.UTF-8": "", "bg1": "", "1234": "", "бг": "", "*": "",
	} {
		if got := chat.PrimaryLanguage(locale); got != want {
			t.Errorf("PrimaryLanguage(%q) = %q, want %q", locale, got, want)
		}
	}
}
