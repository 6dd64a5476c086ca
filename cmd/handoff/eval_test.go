package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const evalKB = `[
 {"id": "kb-01", "lang": "bg", "question": "Колко време отнема доставката?", "answer": "1-2 работни дни."},
 {"id": "kb-02", "lang": "bg", "question": "Колко струва доставката?", "answer": "6,90 лв."},
 {"id": "kb-16", "lang": "bg", "question": "Мога ли да платя с карта?", "answer": "Да, Visa и Mastercard."}
]`

const evalQuestions = `{"q": "kolko struva dostavkata", "lang": "bg", "expect": "kb-02"}
{"q": "how long does delivery take?", "lang": "en", "expect": "kb-01"}
{"q": "do you accept Visa cards?", "lang": "en", "expect": "kb-16"}
{"q": "Колко струва доставката?", "lang": "bg", "expect": "kb-01"}

{"q": "здрасти, как си", "lang": "bg", "expect": null}
{"q": "поръчка 100482 още не е пристигнала", "lang": "bg", "expect": null}
`

func TestEval(t *testing.T) {
	dir := isolate(t)
	kb := filepath.Join(dir, "kb.json")
	qs := filepath.Join(dir, "q.jsonl")
	bad := filepath.Join(dir, "bad.jsonl")
	for path, content := range map[string]string{kb: evalKB, qs: evalQuestions, bad: "{\"q\": 1}\n"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
		want    map[string]float64 // the summary line
		table   []string           // strings the misses table must contain
	}{
		{name: "scores", args: []string{"eval", "--kb", kb, qs},
			want:  map[string]float64{"answerable": 4, "top1": 0.75, "unanswerable": 2, "declined": 1},
			table: []string{"QUESTION", "Колко струва доставката?", "kb-01", "kb-02"}},
		{name: "flags after the file", args: []string{"eval", qs, "--kb", kb, "--threshold", "0.99"},
			want: map[string]float64{"answerable": 4, "top1": 0.25, "unanswerable": 2, "declined": 1}},
		{name: "no kb", args: []string{"eval", qs}, wantErr: "--kb is required"},
		{name: "no questions", args: []string{"eval", "--kb", kb}, wantErr: "one questions file"},
		{name: "bad threshold", args: []string{"eval", "--kb", kb, "--threshold", "2", qs}, wantErr: "--threshold"},
		{name: "missing kb", args: []string{"eval", "--kb", filepath.Join(dir, "none.json"), qs}, wantErr: "none.json"},
		{name: "bad questions", args: []string{"eval", "--kb", kb, bad}, wantErr: "line 1"},
		{name: "questions as kb", args: []string{"eval", "--kb", qs, qs}, wantErr: "knowledge base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runEval(tt.args[1:], &out, &errOut)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
			var got map[string]float64
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
				t.Fatalf("last line %q is not the summary: %v", lines[len(lines)-1], err)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v (output:\n%s)", k, got[k], v, out.String())
				}
			}
			for _, s := range tt.table {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
		})
	}
}

// TestRunEvalNeedsNoConfig checks that eval is its own command: an unreadable
// configuration file does not stop it.
func TestRunEvalNeedsNoConfig(t *testing.T) {
	dir := isolate(t)
	t.Setenv("HANDOFF_CONFIG", filepath.Join(dir, "absent.yaml"))
	kb := filepath.Join(dir, "kb.json")
	qs := filepath.Join(dir, "q.jsonl")
	if err := os.WriteFile(kb, []byte(evalKB), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(qs, []byte(evalQuestions), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"eval", "--kb", kb, qs}); err != nil {
		t.Fatal(err)
	}
}
