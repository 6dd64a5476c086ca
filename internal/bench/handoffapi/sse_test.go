package handoffapi

import (
	"strings"
	"testing"
)

func TestReadEvents(t *testing.T) {
	wire := "retry: 2000\n\n" +
		": keep-alive\n\n" +
		"id: 7\nevent: message\ndata: {\"seq\":7,\"sender\":\"bot\"}\n\n" +
		"event: snapshot\ndata: {\"conversations\":[]}\n\n" +
		"data: line one\ndata: line two\n\n" +
		"id: 8\nevent: message\ndata:{\"seq\":8}\n\n" +
		"data: no blank line at the end is no event"
	var got []string
	if err := ReadEvents(strings.NewReader(wire), func(e Event) {
		if e.At.IsZero() {
			t.Error("an event without its arrival time")
		}
		got = append(got, e.Name+"/"+e.ID+"/"+string(e.Data))
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{`message/7/{"seq":7,"sender":"bot"}`, `snapshot//{"conversations":[]}`, "message//line one\nline two", `message/8/{"seq":8}`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events %q, want %q", got, want)
	}
}
