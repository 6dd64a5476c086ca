package chat

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of what customers, staff and channels put into a conversation.
// Every string that reaches a conversation's workflow state is checked
// against one of them.
const (
	// MaxTextRunes bounds a message's text. Messenger itself sends at most
	// 2000 characters.
	MaxTextRunes = 4000
	// MaxNameRunes bounds a customer's or staff member's name.
	MaxNameRunes = 200
	// MaxLocaleBytes bounds a locale: the length of BCP 47 tag every
	// implementation must support (RFC 5646, 4.4.1).
	MaxLocaleBytes = 35
	// MaxPayloadBytes bounds a button's payload, as Messenger does.
	MaxPayloadBytes = 1000
	// MaxTitleRunes bounds a button's title. Messenger shows 20.
	MaxTitleRunes = 80
	// MaxURLBytes bounds an attachment's or a link button's URL.
	MaxURLBytes = 2048
	// MaxAttachments bounds the images of a staff message.
	MaxAttachments = 10
	// MaxCustomerAttachments bounds the files of a customer message.
	MaxCustomerAttachments = 30
	// MaxButtons bounds the buttons of a message (Messenger's quick replies).
	MaxButtons = 13
	// MaxMessageIDBytes bounds an ID a client chooses for its message.
	MaxMessageIDBytes = 128
	// MaxChannelMessageIDBytes bounds an ID a channel gave a message
	// (Messenger's mid).
	MaxChannelMessageIDBytes = 256
	// MaxMessengerIDDigits bounds a Messenger page-scoped user ID or page ID.
	MaxMessengerIDDigits = 32
	// MaxAttachmentTypeBytes bounds an attachment's type ("image", "file").
	MaxAttachmentTypeBytes = 32
	// MaxSearchRunes bounds the words of a search.
	MaxSearchRunes = 200
	// MaxEmailBytes bounds an email address (RFC 5321's path limit).
	MaxEmailBytes = 254
)

var (
	// visitorIDPattern is a web chat visitor ID as handoff issues them: 128
	// random bits in URL-safe base64 (22 characters), with room to grow.
	visitorIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22,64}$`)
	messageIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	localePattern    = regexp.MustCompile(`^[A-Za-z]{2,8}([_-][A-Za-z0-9]{1,8})*$`)
	attachmentType   = regexp.MustCompile(`^[a-z_]{1,32}$`)
	messengerID      = regexp.MustCompile(`^[0-9]{1,32}$`)
	// templateIDPattern is a library template's ID.
	templateIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// FieldError says which field of an input is wrong, and how.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return e.Field + " " + e.Problem }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// CheckText checks a message text: valid UTF-8 of at most MaxTextRunes
// characters, no control characters but newline and tab, and not only white
// space or zero-width characters.
func CheckText(field, s string) error {
	if err := checkString(field, s, MaxTextRunes); err != nil {
		return err
	}
	if i, r, ok := findControl(s, "\n\t"); ok {
		return invalid(field, "contains the control character %U at character %d; only newline and tab are allowed", r, i+1)
	}
	return checkNotBlank(field, s)
}

// CheckName checks a person's name: one line of at most MaxNameRunes
// characters without control characters, not blank.
func CheckName(field, s string) error {
	if err := checkString(field, s, MaxNameRunes); err != nil {
		return err
	}
	if i, r, ok := findControl(s, ""); ok {
		return invalid(field, "contains the control character %U at character %d; a name is one line of text", r, i+1)
	}
	return checkNotBlank(field, s)
}

// CheckTitle checks a button's title: one line of at most MaxTitleRunes
// characters, not blank.
func CheckTitle(field, s string) error {
	if err := checkString(field, s, MaxTitleRunes); err != nil {
		return err
	}
	if i, r, ok := findControl(s, ""); ok {
		return invalid(field, "contains the control character %U at character %d; a title is one line of text", r, i+1)
	}
	return checkNotBlank(field, s)
}

// CheckPayload checks a button's payload: at most MaxPayloadBytes bytes of
// UTF-8 without control characters, not blank.
func CheckPayload(field, s string) error {
	switch {
	case s == "":
		return invalid(field, "is empty")
	case len(s) > MaxPayloadBytes:
		return invalid(field, "is %d bytes long; at most %d are allowed", len(s), MaxPayloadBytes)
	case !utf8.ValidString(s):
		return invalid(field, "is not valid UTF-8")
	}
	if i, r, ok := findControl(s, ""); ok {
		return invalid(field, "contains the control character %U at character %d", r, i+1)
	}
	return checkNotBlank(field, s)
}

// CheckLocale checks a locale: a BCP 47 language tag such as "bg", "en-GB"
// or "zh-Hant-TW" ("_" is accepted for "-", as in "bg_BG") of at most
// MaxLocaleBytes characters.
func CheckLocale(field, s string) error {
	switch {
	case s == "":
		return invalid(field, "is empty")
	case len(s) > MaxLocaleBytes:
		return invalid(field, "is %d characters long; a language tag has at most %d", len(s), MaxLocaleBytes)
	case !localePattern.MatchString(s):
		return invalid(field, "must be a language tag like bg or en-GB, got %s", Quote(s))
	}
	return nil
}

// CheckURL checks the URL of an image or a link: an absolute http:// or
// https:// URL with a host, of at most MaxURLBytes bytes, without spaces or
// control characters.
func CheckURL(field, s string) error {
	if len(s) > MaxURLBytes {
		return invalid(field, "is %d bytes long; at most %d are allowed", len(s), MaxURLBytes)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) || !utf8.ValidString(s) {
		return invalid(field, "must not contain spaces or control characters, got %s", Quote(s))
	}
	if !IsWebURL(s) {
		return invalid(field, "must start with http:// or https://, got %s", Quote(s))
	}
	if u, err := url.Parse(s); err != nil || u.Host == "" {
		return invalid(field, "is not an absolute URL with a host, got %s", Quote(s))
	}
	return nil
}

// CheckAttachmentType checks an attachment's type: 1 to
// MaxAttachmentTypeBytes lower-case letters or _, such as "image".
func CheckAttachmentType(field, s string) error {
	if !attachmentType.MatchString(s) {
		return invalid(field, "must be a type like image or file (lower-case letters and _, at most %d), got %s", MaxAttachmentTypeBytes, Quote(s))
	}
	return nil
}

// CheckMessageID checks an ID a client chose for its message or request: 1
// to MaxMessageIDBytes letters, digits or . _ : -.
func CheckMessageID(field, s string) error {
	if !messageIDPattern.MatchString(s) {
		return invalid(field, "must be 1-%d letters, digits or . _ : -, got %s", MaxMessageIDBytes, Quote(s))
	}
	return nil
}

// CheckChannelMessageID checks an ID a channel gave a message: 1 to
// MaxChannelMessageIDBytes printable ASCII characters without spaces.
func CheckChannelMessageID(field, s string) error {
	if s == "" || len(s) > MaxChannelMessageIDBytes || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return invalid(field, "must be 1-%d printable ASCII characters without spaces, got %s", MaxChannelMessageIDBytes, Quote(s))
	}
	return nil
}

// CheckCustomerID checks a customer's ID on a channel: a web chat visitor
// ID as handoff issues them (visitorIDPattern), or a Messenger page-scoped
// user ID of 1 to MaxMessengerIDDigits digits.
func CheckCustomerID(field, channel, id string) error {
	switch channel {
	case ChannelWebChat:
		if !visitorIDPattern.MatchString(id) {
			return invalid(field, "%s must be 22-64 letters, digits, _ or -, as issued by POST /webchat/v1/visitors", Quote(id))
		}
	case ChannelMessenger:
		if !messengerID.MatchString(id) {
			return invalid(field, "%s must be a Messenger page-scoped ID of 1-%d digits", Quote(id), MaxMessengerIDDigits)
		}
	default:
		return invalid(field, "is on unknown channel %s; channels are %s and %s", Quote(channel), ChannelWebChat, ChannelMessenger)
	}
	return nil
}

// CheckPageID checks a Messenger page ID: 1 to MaxMessengerIDDigits digits.
func CheckPageID(field, id string) error {
	if !messengerID.MatchString(id) {
		return invalid(field, "%s must be the numeric ID of a Facebook page, 1-%d digits", Quote(id), MaxMessengerIDDigits)
	}
	return nil
}

// Quote quotes s for an error message, cut to its first 40 characters so a
// huge bad value is not echoed whole.
func Quote(s string) string {
	const keep = 40
	if utf8.RuneCountInString(s) <= keep {
		return strconv.Quote(s)
	}
	return strconv.Quote(string([]rune(s)[:keep])) + "…"
}

// checkString checks that s is non-empty valid UTF-8 of at most limit
// characters.
func checkString(field, s string, limit int) error {
	switch {
	case s == "":
		return invalid(field, "is empty")
	case len(s) > limit*utf8.UTFMax:
		return invalid(field, "is longer than %d characters", limit)
	case !utf8.ValidString(s):
		return invalid(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return invalid(field, "is %d characters long; at most %d are allowed", n, limit)
	}
	return nil
}

// findControl returns the first control character of s that is not in
// allowed, and its position in characters.
func findControl(s, allowed string) (int, rune, bool) {
	i := 0
	for _, r := range s {
		if unicode.IsControl(r) && !strings.ContainsRune(allowed, r) {
			return i, r, true
		}
		i++
	}
	return 0, 0, false
}

func checkNotBlank(field, s string) error {
	if strings.TrimFunc(s, IsBlank) == "" {
		return invalid(field, "is blank: it has only white space or zero-width characters")
	}
	return nil
}

// IsBlank reports whether r shows as nothing: white space or a zero-width
// character (U+200B..U+200D, U+2060, U+FEFF).
func IsBlank(r rune) bool {
	switch r {
	case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF':
		return true
	}
	return unicode.IsSpace(r)
}
