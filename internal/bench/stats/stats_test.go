package stats

import (
	"encoding/json"
	"sync"
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentileIsNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1) // 1ms..100ms
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 50, 0},
		{"one sample is every percentile", []time.Duration{ms(7)}, 99, ms(7)},
		{"median of 1..100", hundred, 50, ms(50)},
		{"p95 of 1..100", hundred, 95, ms(95)},
		{"p99 of 1..100", hundred, 99, ms(99)},
		{"p100 is the maximum", hundred, 100, ms(100)},
		{"a tiny p is the minimum", hundred, 0.001, ms(1)},
		{"p99 of ten samples is the largest", hundred[:10], 99, ms(10)},
		{"median of four is the second", []time.Duration{ms(1), ms(2), ms(3), ms(4)}, 50, ms(2)},
	}
	for _, tt := range tests {
		if got := Percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("%s: Percentile(p%v) = %s, want %s", tt.name, tt.p, got, tt.want)
		}
	}
}

func TestSummarizeSortsACopy(t *testing.T) {
	samples := []time.Duration{ms(30), ms(10), ms(20), ms(1000), ms(15)}
	got := Summarize(samples)
	want := Summary{Count: 5, P50: 20, P95: 1000, P99: 1000, Max: 1000}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if samples[0] != ms(30) || samples[3] != ms(1000) {
		t.Errorf("Summarize reordered its input: %v", samples)
	}
	if empty := Summarize(nil); empty != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want the zero summary", empty)
	}
}

func TestSummaryEncodesMilliseconds(t *testing.T) {
	s := Summarize([]time.Duration{1500 * time.Microsecond, 2*time.Second + 250*time.Microsecond})
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"count":2,"p50_ms":1.5,"p95_ms":2000.25,"p99_ms":2000.25,"max_ms":2000.25}`
	if string(raw) != want {
		t.Errorf("JSON %s, want %s", raw, want)
	}
	if d := Millis(1.5).Duration(); d != 1500*time.Microsecond {
		t.Errorf("Millis(1.5).Duration() = %s", d)
	}
}

func TestRecorderCountsNegativeSamplesAsZero(t *testing.T) {
	var r Recorder
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Add(ms(i - 10)) // -10ms..39ms
		}()
	}
	wg.Wait()
	s := r.Summary()
	if s.Count != 50 || r.Len() != 50 {
		t.Fatalf("count %d (Len %d), want 50", s.Count, r.Len())
	}
	// 11 samples were zero or less: the median is the 25th, 14ms.
	if s.P50 != 14 || s.Max != 39 {
		t.Errorf("summary %+v, want p50 14ms and max 39ms with negatives counted as 0", s)
	}
}

func TestRates(t *testing.T) {
	if got := PerSecond(250, 2*time.Second); got != 125 {
		t.Errorf("PerSecond(250, 2s) = %v", got)
	}
	if got := PerSecond(10, 3*time.Second); got != 3.3 {
		t.Errorf("PerSecond(10, 3s) = %v, want 3.3", got)
	}
	if got := PerSecond(10, 0); got != 0 {
		t.Errorf("PerSecond over no time = %v, want 0", got)
	}
	if got := Ratio(60, 90); got != 0.667 {
		t.Errorf("Ratio(60, 90) = %v", got)
	}
	if got := Ratio(1, 0); got != 0 {
		t.Errorf("Ratio over 0 = %v, want 0", got)
	}
}
