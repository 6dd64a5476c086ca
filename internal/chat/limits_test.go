package chat

import (
	"errors"
	"strings"
	"testing"
)

// checkCase is one value for a check, and a part of the error it must give
// ("" when the value is valid).
type checkCase struct {
	name, value, wantErr string
}

func runChecks(t *testing.T, check func(field, value string) error, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := check("the_field", tc.value)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one containing %q", tc.wantErr)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "the_field" || !strings.HasPrefix(err.Error(), "the_field ") {
				t.Errorf("error %q does not name the field", err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			if len(err.Error()) > 300 {
				t.Errorf("error is %d bytes long; bad values must not be echoed whole", len(err.Error()))
			}
		})
	}
}

func TestCheckText(t *testing.T) {
	runChecks(t, CheckText, []checkCase{
		{"plain", "Здравейте, къде е пратката ми?", ""},
		{"newlines and tabs", "line one\n\tline two", ""},
		{"emoji", "👍🏽 thanks", ""},
		{"zero-width joiner inside", "a\u200db", ""},
		{"at the limit", strings.Repeat("я", MaxTextRunes), ""},
		{"over the limit", strings.Repeat("я", MaxTextRunes+1), "4001 characters long; at most 4000"},
		{"far over the limit", strings.Repeat("x", 900_000), "longer than 4000 characters"},
		{"empty", "", "is empty"},
		{"NUL", "a\x00b", "U+0000 at character 2"},
		{"carriage return", "a\rb", "U+000D"},
		{"escape", "\x1b[31mred", "U+001B"},
		{"DEL", "a\x7f", "U+007F"},
		{"C1 control", "a\u0085", "U+0085"},
		{"only spaces", " \t\n ", "blank"},
		{"only zero-width", "\u200b\u200c\u200d\u2060\ufeff", "blank"},
		{"zero-width and spaces", " \u200b \ufeff\n", "blank"},
		{"invalid UTF-8", "a\xffb", "UTF-8"},
	})
}

func TestCheckName(t *testing.T) {
	runChecks(t, CheckName, []checkCase{
		{"plain", "Мария Петрова", ""},
		{"at the limit", strings.Repeat("n", MaxNameRunes), ""},
		{"over the limit", strings.Repeat("n", MaxNameRunes+1), "at most 200"},
		{"newline", "Maria\nPetrova", "one line"},
		{"tab", "Maria\tPetrova", "U+0009"},
		{"NUL", "\x00", "U+0000"},
		{"zero-width only", "\u2060", "blank"},
		{"empty", "", "is empty"},
	})
}

func TestCheckTitleAndPayload(t *testing.T) {
	t.Run("title", func(t *testing.T) {
		runChecks(t, CheckTitle, []checkCase{
			{"plain", "Доставка", ""},
			{"at the limit", strings.Repeat("t", MaxTitleRunes), ""},
			{"over the limit", strings.Repeat("t", MaxTitleRunes+1), "at most 80"},
			{"newline", "a\nb", "one line"},
			{"blank", "\u200b", "blank"},
		})
	})
	t.Run("payload", func(t *testing.T) {
		runChecks(t, CheckPayload, []checkCase{
			{"plain", "FLOW:en:delivery", ""},
			{"at the limit", strings.Repeat("p", MaxPayloadBytes), ""},
			{"over the limit in bytes", strings.Repeat("я", MaxPayloadBytes/2+1), "1002 bytes long; at most 1000"},
			{"control", "A\x01", "U+0001"},
			{"blank", "   ", "blank"},
			{"empty", "", "is empty"},
		})
	})
}

func TestCheckLocale(t *testing.T) {
	runChecks(t, CheckLocale, []checkCase{
		{"language", "bg", ""},
		{"language and region", "en-GB", ""},
		{"underscore", "bg_BG", ""},
		{"script and region", "zh-Hant-TW", ""},
		{"extension", "en-US-u-ca-gregory", ""},
		{"35 characters", "de-" + strings.Repeat("abcdefgh-", 3) + "abcde", ""},
		{"36 characters", "de-" + strings.Repeat("abcdefgh-", 3) + "abcdef", "36 characters long; a language tag has at most 35"},
		{"900 KB", "bg-" + strings.Repeat("BG-", 300_000), "at most 35"},
		{"not a tag", "bulgarian!", `got "bulgarian!"`},
		{"number first", "12-BG", "language tag"},
		{"subtag too long", "en-abcdefghi", "language tag"},
		{"trailing dash", "en-", "language tag"},
		{"space", "en GB", "language tag"},
		{"empty", "", "is empty"},
	})
}

func TestCheckURL(t *testing.T) {
	runChecks(t, CheckURL, []checkCase{
		{"https", "https://shop.example.com/img/a.jpg?x=1", ""},
		{"http", "http://localhost:8080/a.png", ""},
		{"at the limit", "https://x.example/" + strings.Repeat("a", MaxURLBytes-len("https://x.example/")), ""},
		{"over the limit", "https://x.example/" + strings.Repeat("a", MaxURLBytes), "at most 2048"},
		{"ftp", "ftp://x", "http:// or https://"},
		{"no scheme", "shop.example.com", "http:// or https://"},
		{"nothing after the scheme", "https://", "http:// or https://"},
		{"space", "https://x.example/a b", "must not contain spaces"},
		{"control character", "https://x.example/a\x00", "control characters"},
		{"no host", "https:///path", "host"},
	})
}

func TestCheckIDs(t *testing.T) {
	t.Run("message ID", func(t *testing.T) {
		runChecks(t, CheckMessageID, []checkCase{
			{"widget", "w-0123456789abcdef01234567", ""},
			{"at the limit", strings.Repeat("a", MaxMessageIDBytes), ""},
			{"over the limit", strings.Repeat("a", MaxMessageIDBytes+1), "1-128"},
			{"space", "a b", "1-128"},
			{"empty", "", "1-128"},
		})
	})
	t.Run("channel message ID", func(t *testing.T) {
		runChecks(t, CheckChannelMessageID, []checkCase{
			{"mid", "m_AG5Hz2Uq7tuwQ0J3MmtjTmz4jmOmqJ-kPuNxy8UqWNDgjr8Ur38dVCDXlzSk", ""},
			{"old mid", "mid.$cAAJsujCd2ORj_1qmrFdzhVa-4cvO", ""},
			{"over the limit", strings.Repeat("m", MaxChannelMessageIDBytes+1), "1-256"},
			{"space", "m_1 2", "printable ASCII"},
			{"emoji", "m_😀", "printable ASCII"},
			{"empty", "", "1-256"},
		})
	})
	t.Run("page ID", func(t *testing.T) {
		runChecks(t, CheckPageID, []checkCase{
			{"digits", "1000200030004000", ""},
			{"32 digits", strings.Repeat("9", 32), ""},
			{"33 digits", strings.Repeat("9", 33), "1-32 digits"},
			{"letters", "PAGE1", "1-32 digits"},
			{"empty", "", "1-32 digits"},
		})
	})
	t.Run("attachment type", func(t *testing.T) {
		runChecks(t, CheckAttachmentType, []checkCase{
			{"image", "image", ""},
			{"underscore", "ig_reel", ""},
			{"upper case", "Image", "lower-case"},
			{"too long", strings.Repeat("a", MaxAttachmentTypeBytes+1), "lower-case"},
			{"empty", "", "lower-case"},
		})
	})
}

func TestCheckCustomerID(t *testing.T) {
	tests := []struct {
		channel, id, wantErr string
	}{
		{ChannelWebChat, "3q2-7wAAAAAKqf5kX0iLYA", ""},
		{ChannelWebChat, strings.Repeat("a", 64), ""},
		{ChannelWebChat, "short", "22-64 letters"},
		{ChannelWebChat, "%00", "22-64 letters"},
		{ChannelWebChat, "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", "22-64 letters"},
		{ChannelWebChat, "3q2-7wAAAAAKqf5kX0iLYA\x00", "22-64 letters"},
		{ChannelMessenger, "6024512345678901", ""},
		{ChannelMessenger, strings.Repeat("1", 33), "1-32 digits"},
		{ChannelMessenger, "60245123456789o1", "1-32 digits"},
		{ChannelMessenger, "", "1-32 digits"},
		{"sms", "123", "unknown channel"},
	}
	for _, tt := range tests {
		t.Run(tt.channel+"/"+tt.id, func(t *testing.T) {
			err := CheckCustomerID("customer ID", tt.channel, tt.id)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			case err != nil && !strings.HasPrefix(err.Error(), "customer ID "):
				t.Errorf("error %q does not name the field", err)
			}
		})
	}
}

func TestContentValidate(t *testing.T) {
	img := func(url string) []Attachment { return []Attachment{{Type: "image", URL: url}} }
	many := func(n int) []Button {
		out := make([]Button, n)
		for i := range out {
			out[i] = Button{Title: "Go", Payload: "P"}
		}
		return out
	}
	tests := []struct {
		name    string
		content Content
		wantErr string
	}{
		{"text", Content{Text: "hi"}, ""},
		{"image only", Content{Attachments: img("https://x.example/a.jpg")}, ""},
		{"buttons", Content{Text: "pick", Buttons: []Button{{Title: "Shop", URL: "https://x.example"}, {Title: "Yes", Payload: "YES"}}}, ""},
		{"nothing", Content{}, "needs text or an image"},
		{"text too long", Content{Text: strings.Repeat("a", MaxTextRunes+1)}, "text is 4001 characters long"},
		{"blank text", Content{Text: "\u200b"}, "text is blank"},
		{"NUL in text", Content{Text: "a\x00"}, "text contains the control character U+0000"},
		{"not an image", Content{Attachments: []Attachment{{Type: "file", URL: "https://x.example/a.pdf"}}}, `attachments[0] is of type "file"; only images`},
		{"image URL", Content{Attachments: img("ftp://x")}, "attachments[0].url must start with http:// or https://"},
		{"long image URL", Content{Attachments: img("https://x.example/" + strings.Repeat("a", MaxURLBytes))}, "attachments[0].url is"},
		{"too many images", Content{Attachments: make([]Attachment, MaxAttachments+1)}, "attachments has 11 images; a message carries at most 10"},
		{"button without title", Content{Text: "hi", Buttons: []Button{{URL: "https://x.example"}}}, "buttons[0] needs a title"},
		{"button without target", Content{Text: "hi", Buttons: []Button{{Title: "Go"}}}, `buttons[0] ("Go") needs either a payload or a URL`},
		{"button with both", Content{Text: "hi", Buttons: []Button{{Title: "Go", Payload: "P", URL: "https://x.example"}}}, "either a payload or a URL"},
		{"long title", Content{Text: "hi", Buttons: []Button{{Title: strings.Repeat("t", MaxTitleRunes+1), Payload: "P"}}}, "buttons[0].title is 81 characters long"},
		{"title with a newline", Content{Text: "hi", Buttons: []Button{{Title: "a\nb", Payload: "P"}}}, "buttons[0].title contains"},
		{"long payload", Content{Text: "hi", Buttons: []Button{{Title: "Go", Payload: strings.Repeat("p", MaxPayloadBytes+1)}}}, "buttons[0].payload is 1001 bytes long"},
		{"bad link", Content{Text: "hi", Buttons: []Button{{Title: "Go"}, {Title: "Shop", URL: "javascript:alert(1)"}}}, "buttons[0]"},
		{"bad second link", Content{Text: "hi", Buttons: []Button{{Title: "Go", Payload: "P"}, {Title: "Shop", URL: "javascript:alert(1)"}}}, "buttons[1].url must start with http:// or https://"},
		{"too many buttons", Content{Text: "hi", Buttons: many(MaxButtons + 1)}, "buttons has 14 buttons; a message carries at most 13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.content.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestQuoteCutsLongValues(t *testing.T) {
	if got := Quote("short"); got != `"short"` {
		t.Errorf("Quote(short) = %s", got)
	}
	got := Quote(strings.Repeat("я", 1000))
	if want := `"` + strings.Repeat("я", 40) + `"…`; got != want {
		t.Errorf("Quote of 1000 characters = %s, want the first 40 and …", got)
	}
}
