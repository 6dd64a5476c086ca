package answerer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// Question is one line of an evaluation set: a customer question, its
// language and the entry expected to answer it (nil: none should).
type Question struct {
	Q      string  `json:"q"`
	Lang   string  `json:"lang"`
	Expect *string `json:"expect"`
}

// ReadQuestions reads an evaluation set, one JSON object a line; blank lines
// are skipped.
func ReadQuestions(r io.Reader) ([]Question, error) {
	var out []Question
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q Question
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&q); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, q)
	}
	return out, sc.Err()
}

// Miss is a question the answerer got wrong.
type Miss struct {
	Question Question
	Result   Result
}

// Report sums up an evaluation.
type Report struct {
	Answerable   int     `json:"answerable"`
	Top1         float64 `json:"top1"`
	Unanswerable int     `json:"unanswerable"`
	Declined     float64 `json:"declined"`
	Misses       []Miss  `json:"-"`
}

// Evaluate answers every question: Top1 is the share of answerable questions
// answered with the expected entry (a decline counts as wrong), Declined the
// share of the others given no entry.
func Evaluate(a *Answerer, qs []Question) Report {
	var r Report
	top, declined := 0, 0
	for _, q := range qs {
		res := a.Answer(q.Q, q.Lang)
		if q.Expect != nil {
			r.Answerable++
			if res.ID == *q.Expect {
				top++
				continue
			}
		} else {
			r.Unanswerable++
			if res.ID == "" {
				declined++
				continue
			}
		}
		r.Misses = append(r.Misses, Miss{Question: q, Result: res})
	}
	r.Top1 = share(top, r.Answerable)
	r.Declined = share(declined, r.Unanswerable)
	return r
}

func share(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return math.Round(float64(k)/float64(n)*100) / 100
}

// Write prints the misses as a table, then the summary as one JSON object on
// the last line.
func (r Report) Write(w io.Writer) error {
	if len(r.Misses) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "QUESTION\tEXPECTED\tGOT\tSCORE\tREASON\tRUNNER-UP")
		for _, m := range r.Misses {
			exp := "-"
			if m.Question.Expect != nil {
				exp = *m.Question.Expect
			}
			got := m.Result.ID
			if got == "" {
				got = "-"
			}
			reason := m.Result.Reason
			if reason == "" {
				reason = "-"
			}
			runner := "-"
			if m.Result.RunnerUp.ID != "" {
				runner = fmt.Sprintf("%s %.2f", m.Result.RunnerUp.ID, m.Result.RunnerUp.Score)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%s\n", clip(m.Question.Q, 70), exp, got, m.Result.Score, reason, runner)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(line))
	return err
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
