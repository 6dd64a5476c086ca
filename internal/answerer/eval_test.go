package answerer

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestReadQuestions(t *testing.T) {
	tests := []struct {
		name, in string
		want     int
		wantErr  string
	}{
		{"lines and blanks", "{\"q\": \"a\", \"lang\": \"bg\", \"expect\": \"x\"}\n\n{\"q\": \"b\", \"lang\": \"en\", \"expect\": null}\n", 2, ""},
		{"empty", "", 0, ""},
		{"not json", "{\"q\": \"a\"}\nnope\n", 0, "line 2"},
		{"unknown field", "{\"question\": \"a\"}\n", 0, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qs, err := ReadQuestions(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(qs) != tt.want {
				t.Fatalf("got %d questions, %v; want %d", len(qs), err, tt.want)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	a := New(shopKB, Options{})
	id := func(s string) *string { return &s }
	qs := []Question{
		{Q: "kolko struva dostavkata", Lang: "bg", Expect: id("price")},
		{Q: "how long does delivery take?", Lang: "en", Expect: id("time")},
		{Q: "колко струва доставката", Lang: "bg", Expect: id("time")}, // a wrong answer
		{Q: "благодаря", Lang: "bg", Expect: id("card")},               // a decline
		{Q: "здрасти", Lang: "bg"},
		{Q: "can I pay by card?", Lang: "en"}, // answered: a miss
	}
	r := Evaluate(a, qs)
	if r.Answerable != 4 || r.Top1 != 0.5 || r.Unanswerable != 2 || r.Declined != 0.5 || len(r.Misses) != 3 {
		t.Fatalf("report %+v", r)
	}
	var out bytes.Buffer
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "QUESTION") {
		t.Fatalf("want a header, 3 misses and the summary:\n%s", out.String())
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"answerable": 4.0, "top1": 0.5, "unanswerable": 2.0, "declined": 0.5}
	if len(sum) != len(want) {
		t.Errorf("summary %v, want %v", sum, want)
	}
	for k, v := range want {
		if sum[k] != v {
			t.Errorf("summary %s = %v, want %v", k, sum[k], v)
		}
	}
	out.Reset()
	if err := Evaluate(a, nil).Write(&out); err != nil || out.String() != "{\"answerable\":0,\"top1\":0,\"unanswerable\":0,\"declined\":0}\n" {
		t.Errorf("empty set: %q, %v", out.String(), err)
	}
}
