package notify

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var eet = time.FixedZone("EET", 2*60*60)

func sampleAlert() Alert {
	return Alert{
		ConversationID: "conversation/messenger/12345",
		Channel:        "messenger",
		CustomerID:     "12345",
		CustomerName:   "Ivan Petrov",
		RequestedAt:    time.Date(2026, 3, 5, 14, 30, 0, 0, eet),
		Recent: []Quote{
			{Text: "Hello, my order did not arrive.\nIt was order 778.", SentAt: time.Date(2026, 3, 5, 14, 28, 10, 0, eet)},
			{Text: "Can I talk to a person please?", SentAt: time.Date(2026, 3, 5, 14, 29, 55, 0, eet)},
		},
		Link: "https://dash.example.com/conversations/conversation%2Fmessenger%2F12345",
	}
}

func TestEmailSubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		alter func(*Alert)
		want  string
	}{
		{"named messenger customer", func(*Alert) {}, "Customer asks for a human: Ivan Petrov (Messenger)"},
		{"named webchat customer", func(a *Alert) { a.Channel = "webchat" }, "Customer asks for a human: Ivan Petrov (Web chat)"},
		{"no name falls back to channel and ID", func(a *Alert) { a.CustomerName = "" }, "Customer asks for a human: Messenger customer 12345"},
		{"blank name falls back too", func(a *Alert) { a.CustomerName = " \r\n\t" }, "Customer asks for a human: Messenger customer 12345"},
		{"no name and no ID", func(a *Alert) { a.CustomerName, a.CustomerID = "", "" }, "Customer asks for a human: Unnamed Messenger customer"},
		{"CR and LF are stripped", func(a *Alert) { a.CustomerName = "Ivan\r\nBcc: evil@example.com\r\n" }, "Customer asks for a human: Ivan Bcc: evil@example.com (Messenger)"},
		{"unicode line separators are stripped", func(a *Alert) { a.CustomerName = "Ivan\u2028Petrov\u0085" }, "Customer asks for a human: Ivan Petrov (Messenger)"},
		{"Cyrillic name", func(a *Alert) { a.CustomerName = "Иван Петров" }, "Customer asks for a human: Иван Петров (Messenger)"},
		{"unknown channel is shown as given", func(a *Alert) { a.Channel = "telegram" }, "Customer asks for a human: Ivan Petrov (Telegram)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := sampleAlert()
			tt.alter(&a)
			got := EmailSubject(a)
			if got != tt.want {
				t.Errorf("EmailSubject() = %q, want %q", got, tt.want)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("EmailSubject() = %q contains CR or LF", got)
			}
		})
	}
}

func TestEmailSubjectCutsVeryLongNames(t *testing.T) {
	t.Parallel()
	a := sampleAlert()
	a.CustomerName = strings.Repeat("Иван ", 100)
	got := EmailSubject(a)
	if n := utf8.RuneCountInString(got); n > 150 {
		t.Errorf("EmailSubject() is %d runes long, want at most 150: %q", n, got)
	}
	if !strings.Contains(got, "…") || !strings.HasSuffix(got, "(Messenger)") {
		t.Errorf("EmailSubject() = %q, want a cut name ending in … followed by the channel", got)
	}
}

func TestEmailBody(t *testing.T) {
	t.Parallel()
	body := EmailBody(sampleAlert())
	for _, want := range []string{
		"Customer:     Ivan Petrov\n",
		"Channel:      Messenger\n",
		"Customer ID:  12345\n",
		"conversation/messenger/12345",
		"Asked at:     Thu, 05 Mar 2026 12:30:00 UTC\n",
		"> [Thu, 05 Mar 2026 12:28:10 UTC]\n> Hello, my order did not arrive.\n> It was order 778.\n",
		"> [Thu, 05 Mar 2026 12:29:55 UTC]\n> Can I talk to a person please?\n",
		"\nhttps://dash.example.com/conversations/conversation%2Fmessenger%2F12345\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("EmailBody() does not contain %q; body:\n%s", want, body)
		}
	}
	if first, second := strings.Index(body, "order 778"), strings.Index(body, "talk to a person please"); first > second {
		t.Errorf("quotes are not oldest first; body:\n%s", body)
	}
	const last = "The customer was told that staff have been alerted.\n"
	if !strings.HasSuffix(body, last) {
		t.Errorf("EmailBody() does not end with %q; body:\n%s", last, body)
	}
}

func TestEmailBodyVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		alter   func(*Alert)
		want    []string
		notWant []string
	}{
		{
			name:    "no name",
			alter:   func(a *Alert) { a.CustomerName = ""; a.Channel = "webchat"; a.CustomerID = "v-42" },
			want:    []string{"Customer:     (no name given)\n", "Channel:      Web chat\n", "Customer ID:  v-42\n"},
			notWant: []string{"Ivan"},
		},
		{
			name:  "no recent messages",
			alter: func(a *Alert) { a.Recent = nil },
			want:  []string{"There are no recent customer messages to show."},
		},
		{
			name:    "no link",
			alter:   func(a *Alert) { a.Link = "" },
			want:    []string{"Open the staff dashboard to reply."},
			notWant: []string{"https://"},
		},
		{
			name: "Cyrillic",
			alter: func(a *Alert) {
				a.CustomerName = "Иван Петров"
				a.Recent = []Quote{{Text: "Здравствуйте! Мне нужен оператор.", SentAt: a.RequestedAt}}
			},
			want: []string{"Customer:     Иван Петров\n", "> Здравствуйте! Мне нужен оператор.\n"},
		},
		{
			name: "CRLF and control characters in quotes",
			alter: func(a *Alert) {
				a.Recent = []Quote{{Text: "line one\r\nline\x07 two\r\n\r\nline four", SentAt: a.RequestedAt}}
			},
			want: []string{"> line one\n> line two\n>\n> line four\n"},
		},
		{
			name:  "unknown times",
			alter: func(a *Alert) { a.RequestedAt = time.Time{}; a.Recent = []Quote{{Text: "hi"}} },
			want:  []string{"Asked at:     unknown time\n", "> [unknown time]\n> hi\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := sampleAlert()
			tt.alter(&a)
			body := EmailBody(a)
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("EmailBody() does not contain %q; body:\n%s", w, body)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("EmailBody() contains %q; body:\n%s", w, body)
				}
			}
			if strings.Contains(body, "\r") {
				t.Errorf("EmailBody() contains CR; body:\n%q", body)
			}
		})
	}
}

func TestEmailBodyCutsLongQuotes(t *testing.T) {
	t.Parallel()
	a := sampleAlert()
	long := strings.Repeat("щ", 700)
	a.Recent = []Quote{{Text: long, SentAt: a.RequestedAt}}
	body := EmailBody(a)
	var quoted string
	for line := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(line, "> щ") {
			quoted = strings.TrimPrefix(line, "> ")
		}
	}
	if quoted == "" {
		t.Fatalf("EmailBody() has no quoted line; body:\n%s", body)
	}
	if n := utf8.RuneCountInString(quoted); n != maxQuoteRunes {
		t.Errorf("quoted message is %d runes, want %d", n, maxQuoteRunes)
	}
	if !strings.HasSuffix(quoted, "…") {
		t.Errorf("quoted message does not end with …: %q", quoted[len(quoted)-20:])
	}
}

func TestSMSText(t *testing.T) {
	t.Parallel()
	a := sampleAlert()
	got := SMSText(a)
	want := "Ivan Petrov (Messenger) asks for a human. Last message: \"Can I talk to a person please?\"\n" + a.Link
	if got != want {
		t.Errorf("SMSText() =\n%q\nwant\n%q", got, want)
	}
	if !isGSM7(got) {
		t.Errorf("SMSText() of an ASCII alert is not GSM-7: %q", got)
	}
}

func TestSMSTextVariants(t *testing.T) {
	t.Parallel()
	longLink := "https://dash.example.com/c/" + strings.Repeat("x", 150)
	tests := []struct {
		name     string
		alter    func(*Alert)
		contains []string
		wantCut  bool
	}{
		{
			name:     "no name",
			alter:    func(a *Alert) { a.CustomerName = ""; a.Channel = "webchat"; a.CustomerID = "v-42" },
			contains: []string{"Web chat customer v-42 asks for a human."},
		},
		{
			name: "Cyrillic",
			alter: func(a *Alert) {
				a.CustomerName = "Иван Петров"
				a.Recent = []Quote{{Text: "Мне нужен\nоператор"}}
			},
			contains: []string{"Иван Петров (Messenger) asks for a human.", `"Мне нужен оператор"`},
		},
		{
			name:     "long last message is cut",
			alter:    func(a *Alert) { a.Recent = []Quote{{Text: strings.Repeat("please help me ", 40)}} },
			contains: []string{`Last message: "please help me`, `..."`},
			wantCut:  true,
		},
		{
			name:     "long Cyrillic message is cut",
			alter:    func(a *Alert) { a.Recent = []Quote{{Text: strings.Repeat("помогите ", 60)}} },
			contains: []string{`Last message: "помогите`, `..."`},
			wantCut:  true,
		},
		{
			name:     "long name is cut, long link stays whole",
			alter:    func(a *Alert) { a.CustomerName = strings.Repeat("Ivan ", 80); a.Link = longLink },
			contains: []string{"Ivan Ivan", "..."},
			wantCut:  true,
		},
		{
			name:     "no recent messages",
			alter:    func(a *Alert) { a.Recent = nil },
			contains: []string{"Ivan Petrov (Messenger) asks for a human.\nhttps://"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := sampleAlert()
			tt.alter(&a)
			got := SMSText(a)
			if n := utf8.RuneCountInString(got); n > 300 {
				t.Errorf("SMSText() is %d runes, want at most 300: %q", n, got)
			}
			if tt.wantCut && utf8.RuneCountInString(got) < 250 {
				t.Errorf("SMSText() was cut more than needed (%d runes): %q", utf8.RuneCountInString(got), got)
			}
			if !strings.HasSuffix(got, "\n"+a.Link) {
				t.Errorf("SMSText() does not end with the complete link %q: %q", a.Link, got)
			}
			for _, c := range tt.contains {
				if !strings.Contains(got, c) {
					t.Errorf("SMSText() does not contain %q: %q", c, got)
				}
			}
		})
	}
}

func TestSMSTextWithoutLink(t *testing.T) {
	t.Parallel()
	a := sampleAlert()
	a.Link = ""
	got := SMSText(a)
	if strings.Contains(got, "\n") || !strings.HasSuffix(got, `"Can I talk to a person please?"`) {
		t.Errorf("SMSText() without a link = %q", got)
	}
}

func TestSMSTextNeverCutsTheLink(t *testing.T) {
	t.Parallel()
	a := sampleAlert()
	a.Link = "https://dash.example.com/" + strings.Repeat("y", 400)
	if got := SMSText(a); got != a.Link {
		t.Errorf("SMSText() with a link longer than an SMS = %q, want just the link", got)
	}
}

func TestIsGSM7(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want bool
	}{
		{"Hello, world! 123 @£$¥ äöüß", true},
		{"Brackets {} [] ~ | ^ \\ and €", true},
		{"Greek capitals ΔΦΓΛΩΠΨΣΘΞ", true},
		{"Здравствуйте", false},
		{"ellipsis …", false},
		{"emoji 🙂", false},
		{"curly quotes “x”", false},
	}
	for _, tt := range tests {
		if got := isGSM7(tt.text); got != tt.want {
			t.Errorf("isGSM7(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}
