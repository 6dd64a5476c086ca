package bench

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParsePhases(t *testing.T) {
	got, err := ParsePhases("recovery, load,baseline,load")
	if err != nil {
		t.Fatal(err)
	}
	if want := []Phase{PhaseBaseline, PhaseLoad, PhaseRecovery}; !slices.Equal(got, want) {
		t.Errorf("phases %v, want %v: running order, once each", got, want)
	}
	if all, err := ParsePhases("all"); err != nil || !slices.Equal(all, AllPhases) {
		t.Errorf("all: %v, %v", all, err)
	}
	for _, bad := range []string{"", " , ", "warmup", "load,timer"} {
		if _, err := ParsePhases(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := ParsePhases("timer"); err == nil || !strings.Contains(err.Error(), "timers") {
		t.Errorf("a misspelt phase: %v, want the phases listed", err)
	}
}

func TestFitWindow(t *testing.T) {
	tests := []struct {
		n    int
		rate float64
		want time.Duration
	}{
		{1000, 25, 2 * time.Minute},      // 50 s + 60 s = 110 s, rounded up to 120 s
		{10000, 10, 22 * time.Minute},    // 1250 s + 60 s = 1310 s, rounded up to 1320 s
		{10, 1000, time.Minute},          // at least conversation.window's minimum
		{100, 0, 168 * time.Hour},        // nothing opened: the longest window
		{1000000, 0.01, 168 * time.Hour}, // at most the maximum
	}
	for _, tt := range tests {
		if got := FitWindow(tt.n, tt.rate); got != tt.want {
			t.Errorf("FitWindow(%d, %v) = %s, want %s", tt.n, tt.rate, got, tt.want)
		}
	}
}

func TestValidateNamesTheFlag(t *testing.T) {
	ok := Defaults()
	if err := ok.Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	tests := []struct {
		change func(*Options)
		want   string
	}{
		{func(o *Options) { o.WebChatShare = 1.5 }, "--webchat-share"},
		{func(o *Options) { o.MaxConcurrency = 2 }, "--max-concurrency"},
		{func(o *Options) { o.SearchSample = 0 }, "--search-sample"},
		{func(o *Options) { o.MaxP99 = time.Millisecond }, "--max-p99"},
		{func(o *Options) { o.Page = "abc:token" }, "--page"},
		{func(o *Options) { o.API = "http://h:1"; o.StaffToken = "0123456789abcdef"; o.GraphListen = ":9" }, "--app-secret"},
		{func(o *Options) { o.API = "http://h:1"; o.StaffToken = "0123456789abcdef"; o.Window = time.Hour }, "self-contained"},
	}
	for _, tt := range tests {
		o := Defaults()
		tt.change(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v", tt.want, err)
		}
	}
}
