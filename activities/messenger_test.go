package activities

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/handoff-chat/handoff/internal/chat"
)

func TestProfileNamesAreBounded(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "Мария Петрова", "Мария Петрова"},
		{"control characters", "Maria\x00\nPetrova", "Maria  Petrova"},
		{"only zero-width", "\u200b\u200b", ""},
		{"invalid UTF-8", "Ivan\xff", "Ivan"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := boundedName(c.in); got != c.want {
				t.Errorf("boundedName(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
	long := boundedName(strings.Repeat("я", 5000))
	if n := utf8.RuneCountInString(long); n != chat.MaxNameRunes || chat.CheckName("name", long) != nil {
		t.Errorf("a 5000-character name became %d characters", n)
	}
}
