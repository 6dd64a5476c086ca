package chat

import "testing"

func TestAcceptsOffer(t *testing.T) {
	for text, want := range map[string]bool{
		"yes": true, "Yes!": true, " да ": true, "Моля.": true, "OK": true, "да, моля": true, "mola": true,
		"no": false, "не": false, "yes, but how much is delivery?": false, "": false, "okay then what": false,
	} {
		if got := AcceptsOffer(text); got != want {
			t.Errorf("AcceptsOffer(%q) = %v, want %v", text, got, want)
		}
	}
}
