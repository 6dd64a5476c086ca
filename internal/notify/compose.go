package notify

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Alert is what the business is told when a customer asks for a human.
type Alert struct {
	// ConversationID identifies the conversation, e.g.
	// "conversation/messenger/12345".
	ConversationID string
	// Channel is the channel the customer writes on: "messenger" or
	// "webchat".
	Channel string
	// CustomerID is the customer's ID on that channel.
	CustomerID string
	// CustomerName may be empty: the customer is then named by channel and
	// ID ("Messenger customer 12345").
	CustomerName string
	// RequestedAt is when the customer asked for a human.
	RequestedAt time.Time
	// Recent holds the last few customer messages, oldest first. It may be
	// empty.
	Recent []Quote
	// Link is the URL of the conversation in the staff dashboard.
	Link string
}

// Quote is one customer message quoted in an alert.
type Quote struct {
	Text   string
	SentAt time.Time
}

const (
	// maxQuoteRunes is where a quoted message is cut in the email body.
	maxQuoteRunes = 500
	// maxSubjectNameRunes is where the customer's name is cut in the email
	// subject.
	maxSubjectNameRunes = 100
	// maxSMSRunes is the longest text SMSText returns (unless the link
	// alone is longer, see SMSText).
	maxSMSRunes = 300
	// minSMSQuoteRunes is the shortest cut of the last message worth
	// putting in an SMS; with less room the quote is left out.
	minSMSQuoteRunes = 20
	// timeLayout is how times are shown: RFC 1123 in UTC.
	timeLayout = "Mon, 02 Jan 2006 15:04:05 MST"
)

// EmailSubject returns the subject of the alert email, for example
// "Customer asks for a human: Ivan Petrov (Messenger)". It is always a single
// line: control characters (CR and LF included) in the name become spaces.
func EmailSubject(a Alert) string {
	name := singleLine(a.CustomerName)
	if name == "" {
		return "Customer asks for a human: " + fallbackName(a)
	}
	return fmt.Sprintf("Customer asks for a human: %s (%s)",
		truncateRunes(name, maxSubjectNameRunes, "…"), channelLabel(a.Channel))
}

// EmailBody returns the plain-text body of the alert email: who asked (name,
// channel, customer ID), when (in UTC), the recent customer messages quoted
// with "> " and each with its time (messages longer than 500 characters are
// cut and end with "…"), the link to the conversation, and a closing line
// saying the customer was told that staff were alerted.
func EmailBody(a Alert) string {
	var b strings.Builder
	b.WriteString("A customer asked to talk to a person.\n\n")

	name := singleLine(a.CustomerName)
	if name == "" {
		name = "(no name given)"
	}
	fmt.Fprintf(&b, "Customer:     %s\n", name)
	fmt.Fprintf(&b, "Channel:      %s\n", channelLabel(a.Channel))
	if id := singleLine(a.CustomerID); id != "" {
		fmt.Fprintf(&b, "Customer ID:  %s\n", id)
	}
	if id := singleLine(a.ConversationID); id != "" {
		fmt.Fprintf(&b, "Conversation: %s\n", id)
	}
	fmt.Fprintf(&b, "Asked at:     %s\n\n", formatTime(a.RequestedAt))

	if len(a.Recent) == 0 {
		b.WriteString("There are no recent customer messages to show.\n\n")
	} else {
		b.WriteString("Recent messages from the customer (oldest first):\n\n")
		for i, q := range a.Recent {
			if i > 0 {
				b.WriteString(">\n")
			}
			fmt.Fprintf(&b, "> [%s]\n", formatTime(q.SentAt))
			text := truncateRunes(cleanMultiline(q.Text), maxQuoteRunes, "…")
			if text == "" {
				text = "(empty message)"
			}
			for line := range strings.SplitSeq(text, "\n") {
				if line == "" {
					b.WriteString(">\n")
					continue
				}
				b.WriteString("> " + line + "\n")
			}
		}
		b.WriteString("\n")
	}

	if link := cleanLink(a.Link); link != "" {
		fmt.Fprintf(&b, "Open the conversation to reply:\n%s\n\n", link)
	} else {
		b.WriteString("Open the staff dashboard to reply.\n\n")
	}
	b.WriteString("The customer was told that staff have been alerted.\n")
	return b.String()
}

// SMSText returns a short SMS for the alert: who asked on which channel, the
// last customer message (quoted, on one line, cut to fit) and the link to the
// conversation, always complete, at the end. The result is at most 300
// characters (runes) — unless the link alone is longer than that, in which
// case the link is returned on its own rather than cut.
//
// Cuts are marked with "..." rather than "…" so that a text which is
// otherwise GSM-7 stays GSM-7 (cheaper, 160 characters per SMS part instead
// of 70).
func SMSText(a Alert) string {
	link := cleanLink(a.Link)
	tail := ""
	if link != "" {
		tail = "\n" + link
	}
	budget := maxSMSRunes - utf8.RuneCountInString(tail)
	if budget <= 0 {
		return link
	}

	var head string
	if name := singleLine(a.CustomerName); name != "" {
		head = fmt.Sprintf("%s (%s) asks for a human.", name, channelLabel(a.Channel))
	} else {
		head = fallbackName(a) + " asks for a human."
	}
	head = truncateRunes(head, budget, "...")

	if n := len(a.Recent); n > 0 {
		last := singleLine(a.Recent[n-1].Text)
		const prefix, suffix = ` Last message: "`, `"`
		room := budget - utf8.RuneCountInString(head) -
			utf8.RuneCountInString(prefix) - utf8.RuneCountInString(suffix)
		if last != "" && room >= min(minSMSQuoteRunes, utf8.RuneCountInString(last)) {
			head += prefix + truncateRunes(last, room, "...") + suffix
		}
	}
	return head + tail
}

// channelLabel names a channel for people: "Messenger", "Web chat".
func channelLabel(channel string) string {
	c := singleLine(channel)
	switch strings.ToLower(c) {
	case "messenger":
		return "Messenger"
	case "webchat", "web chat", "web-chat":
		return "Web chat"
	case "":
		return "Unknown channel"
	}
	r, size := utf8.DecodeRuneInString(c)
	return string(unicode.ToUpper(r)) + c[size:]
}

// fallbackName names a customer who has no name: "Messenger customer 12345".
func fallbackName(a Alert) string {
	id := truncateRunes(singleLine(a.CustomerID), 64, "…")
	if singleLine(a.Channel) == "" {
		if id == "" {
			return "Unnamed customer"
		}
		return "Customer " + id
	}
	channel := channelLabel(a.Channel)
	if id == "" {
		return "Unnamed " + channel + " customer"
	}
	return channel + " customer " + id
}

// formatTime shows t in UTC as RFC 1123, or "unknown time" for the zero
// time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "unknown time"
	}
	return t.UTC().Format(timeLayout)
}

// singleLine turns s into one trimmed line: every control or line/paragraph
// separator character becomes a space and runs of white space collapse to
// one space. Invalid UTF-8 becomes U+FFFD.
func singleLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// cleanMultiline normalises line breaks to "\n", drops other control
// characters (tabs become spaces), trims trailing spaces from lines and
// leading/trailing blank lines.
func cleanMultiline(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// cleanLink removes all white space and control characters from a URL so it
// stays one clickable token.
func cleanLink(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// truncateRunes cuts s to at most limit runes, ending with ellipsis when it
// was cut (the ellipsis counts towards the limit).
func truncateRunes(s string, limit int, ellipsis string) string {
	if limit <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	keep := limit - utf8.RuneCountInString(ellipsis)
	if keep <= 0 {
		return string([]rune(ellipsis)[:limit])
	}
	r := []rune(s)[:keep]
	return strings.TrimRightFunc(string(r), unicode.IsSpace) + ellipsis
}
