// Package stats summarises latency samples (count, percentiles by nearest
// rank, maximum) and turns counts into rates, for the benchmark's report.
package stats

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Millis is a duration in milliseconds, as the report prints and encodes it.
type Millis float64

// ToMillis converts d, rounded to the microsecond.
func ToMillis(d time.Duration) Millis {
	return Millis(math.Round(float64(d)/float64(time.Microsecond)) / 1000)
}

// Duration is m as a time.Duration.
func (m Millis) Duration() time.Duration {
	return time.Duration(float64(m) * float64(time.Millisecond))
}

// Summary describes a set of latency samples. With no samples every field
// is zero.
type Summary struct {
	Count int    `json:"count"`
	P50   Millis `json:"p50_ms"`
	P95   Millis `json:"p95_ms"`
	P99   Millis `json:"p99_ms"`
	Max   Millis `json:"max_ms"`
}

// Summarize computes the summary of samples; it does not change samples.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	return Summary{
		Count: len(sorted),
		P50:   ToMillis(Percentile(sorted, 50)),
		P95:   ToMillis(Percentile(sorted, 95)),
		P99:   ToMillis(Percentile(sorted, 99)),
		Max:   ToMillis(sorted[len(sorted)-1]),
	}
}

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted,
// which must be in ascending order: the smallest sample that at least p% of
// the samples are less than or equal to. It is 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Recorder collects samples from many goroutines.
type Recorder struct {
	mu      sync.Mutex
	samples []time.Duration
}

// Add records one sample; a negative one (two clocks' events observed out of
// order) counts as zero.
func (r *Recorder) Add(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, max(d, 0))
}

// Len is the number of samples so far.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.samples)
}

// Summary summarises the samples so far.
func (r *Recorder) Summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Summarize(r.samples)
}

// PerSecond is n events over d, rounded to a tenth; 0 when d is not positive.
func PerSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return Round(float64(n)/d.Seconds(), 1)
}

// Ratio is a/b rounded to three decimals; 0 when b is 0.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return Round(a/b, 3)
}

// Round rounds x to the given number of decimals.
func Round(x float64, decimals int) float64 {
	scale := math.Pow(10, float64(decimals))
	return math.Round(x*scale) / scale
}
