package bench

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/handoff-chat/handoff/internal/bench/baseline"
	"github.com/handoff-chat/handoff/internal/bench/stats"
)

// Report is everything a run measured. Durations are in milliseconds
// (fields ending in _ms), sizes in MiB, rates per second.
type Report struct {
	StartedAt   time.Time   `json:"started_at"`
	Seconds     float64     `json:"seconds"`
	Environment Environment `json:"environment"`
	Settings    Settings    `json:"settings"`

	Baseline  *BaselineResult  `json:"baseline,omitempty"`
	Sustained *SustainedResult `json:"sustained,omitempty"`
	Load      *LoadResult      `json:"load,omitempty"`
	Staff     *StaffResult     `json:"staff,omitempty"`
	Timers    *TimersResult    `json:"timers,omitempty"`
	Recovery  *RecoveryResult  `json:"recovery,omitempty"`
	Resources *Resources       `json:"resources,omitempty"`
	// History is how this run compares with the earlier runs on the same
	// data directory.
	History  *History  `json:"history,omitempty"`
	Overhead Overhead  `json:"overhead"`
	Skipped  []Skipped `json:"skipped,omitempty"`
	Notes    []string  `json:"notes,omitempty"`
	Targets  []Target  `json:"targets"`

	// ConversationsStarted counts the customers this run created, each with
	// a conversation.
	ConversationsStarted int `json:"conversations_started"`
	previous             []HistoryEntry
}

// Environment says where the figures come from.
type Environment struct {
	Mode string `json:"mode"` // self-contained | deployment
	// API is the deployment's URL; DataDir the self-contained mode's data.
	API     string `json:"api,omitempty"`
	DataDir string `json:"data_dir,omitempty"`
	// ConfigFile is the configuration file the self-contained mode's
	// handoff ran with (--config); empty: handoff's defaults, which is
	// what the targets are measured on.
	ConfigFile string `json:"config_file,omitempty"`
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model,omitempty"`
	OS         string `json:"os"`
	GoVersion  string `json:"go_version"`
}

// Settings are the options that shape the figures.
type Settings struct {
	Phases              []Phase `json:"phases"`
	WebChatShare        float64 `json:"webchat_share"`
	BaselineConcurrency int     `json:"baseline_concurrency"`
	BaselineSeconds     float64 `json:"baseline_seconds"`
	StepSeconds         float64 `json:"step_seconds"`
	SettleSeconds       float64 `json:"settle_seconds"`
	MaxP99Ms            float64 `json:"max_p99_ms"`
	Rate                float64 `json:"rate_msgs_per_s"`
	DurationSeconds     float64 `json:"duration_seconds"`
	Customers           int     `json:"customers"`
	Conversations       int     `json:"conversations"`
	SearchPollMs        float64 `json:"search_poll_ms"`
	SearchSample        float64 `json:"search_sample"`
}

// BaselineResult is the no-op workflow on the same server and worker options.
type BaselineResult struct {
	SignalWithStart baseline.Result `json:"signal_with_start"`
	UpdateWithStart baseline.Result `json:"update_with_start"`
	// UpdateWithStartAgain is update-with-start measured again after the
	// pipeline's phases; Reference, what the ratios divide by, is the mean
	// of both (or the first alone).
	UpdateWithStartAgain *baseline.Result `json:"update_with_start_again,omitempty"`
	Reference            float64          `json:"reference_ops_per_s"`
	// SignalRatio is signal-with-start's rate over update-with-start's.
	SignalRatio float64 `json:"signal_with_start_ratio"`
	// The CPU per operation: handoff's process holds the Temporal server
	// (self-contained), the benchmark's holds the no-op worker.
	SignalWithStartCPU CPU `json:"signal_with_start_cpu"`
	UpdateWithStartCPU CPU `json:"update_with_start_cpu"`
}

// SustainedStep is one concurrency level of the closed-loop ramp.
type SustainedStep struct {
	Concurrency int `json:"concurrency"`
	Sent        int `json:"sent"`
	// Completed were acknowledged, answered and searchable by the end of
	// the settle time.
	Completed int `json:"completed"`
	// Failed counts the failed requests, retried or not.
	Failed     int           `json:"failed_requests"`
	PerSecond  float64       `json:"msgs_per_s"`
	Ratio      float64       `json:"ratio,omitempty"`
	Sustained  bool          `json:"sustained"`
	Why        string        `json:"why_not,omitempty"`
	Ack        stats.Summary `json:"ack"`
	Reply      stats.Summary `json:"ack_to_reply"`
	Searchable stats.Summary `json:"ack_to_searchable"`
	CPU        CPU           `json:"cpu"`
}

// SustainedResult is the maximum sustained throughput and its latencies.
type SustainedResult struct {
	Steps []SustainedStep `json:"steps"`
	// MaxPerSecond is the best sustained step's throughput; Best is its
	// index in Steps (-1 when no step was sustained).
	MaxPerSecond float64 `json:"max_msgs_per_s"`
	Ratio        float64 `json:"ratio,omitempty"`
	Best         int     `json:"best_step"`
}

// BestStep is the step of MaxPerSecond, or nil.
func (s *SustainedResult) BestStep() *SustainedStep {
	if s == nil || s.Best < 0 || s.Best >= len(s.Steps) {
		return nil
	}
	return &s.Steps[s.Best]
}

// LoadResult is the fixed offered load.
type LoadResult struct {
	OfferedPerSecond float64 `json:"offered_msgs_per_s"`
	Seconds          float64 `json:"seconds"`
	Customers        int     `json:"customers"`
	Sent             int     `json:"sent"`
	Acked            int     `json:"acked"`
	// Failed were given up (not acknowledged after retries for the reply
	// timeout); FailedRequests counts every failed request, retried or not.
	Failed         int     `json:"failed"`
	FailedRequests int     `json:"failed_requests"`
	FirstError     string  `json:"first_error,omitempty"`
	AckedPerSecond float64 `json:"acked_msgs_per_s"`
	Ratio          float64 `json:"ratio,omitempty"`
	// NotAnswered and NotIndexed were acknowledged but had no reply, or
	// were not searchable, by the end of the settle time.
	NotAnswered int `json:"not_answered"`
	NotIndexed  int `json:"not_indexed"`
	// Late arrivals were sent more than 10 ms after they were due (the
	// benchmark fell behind its schedule), by up to MaxLate.
	Late       int           `json:"late"`
	MaxLate    stats.Millis  `json:"max_late_ms"`
	Ack        stats.Summary `json:"ack"`
	Reply      stats.Summary `json:"ack_to_reply"`
	Searchable stats.Summary `json:"ack_to_searchable"`
	CPU        CPU           `json:"cpu"`
}

// StaffResult is staff taking over conversations.
type StaffResult struct {
	Conversations int           `json:"conversations"`
	Failed        int           `json:"failed"`
	FirstError    string        `json:"first_error,omitempty"`
	LiveChatOn    stats.Summary `json:"live_chat_on"`
	LiveChatOff   stats.Summary `json:"live_chat_off"`
	// Message is the staff API's round trip; AtCustomer from sending to the
	// message reaching the customer (event stream or Send API).
	Message    stats.Summary `json:"message"`
	AtCustomer stats.Summary `json:"message_at_customer"`
	// Relayed are customer messages during live chat: no bot reply,
	// acknowledged and searchable.
	RelayedAck        stats.Summary `json:"relayed_ack"`
	RelayedSearchable stats.Summary `json:"relayed_ack_to_searchable"`
	NotDelivered      int           `json:"not_delivered"`
}

// TimersResult is many open conversations, each with its window timer.
type TimersResult struct {
	Conversations int     `json:"conversations"`
	WindowSeconds float64 `json:"window_seconds"`
	// The pilot (none when --window set the window): how many of its
	// conversations a second were opened and answered, and closed; the
	// pace the conversations were then opened at, which the window was
	// fitted to (DeadlinePace).
	PilotOpenPerSecond  float64 `json:"pilot_open_per_s,omitempty"`
	PilotClosePerSecond float64 `json:"pilot_close_per_s,omitempty"`
	PacePerSecond       float64 `json:"pace_per_s,omitempty"`
	// OpenSeconds is how long opening them all took; AllOpenAtOnce says
	// the last one opened before the first window closed.
	OpenSeconds   float64 `json:"open_seconds"`
	OpenPerSecond float64 `json:"open_per_s"`
	AllOpenAtOnce bool    `json:"all_open_at_once"`
	Failed        int     `json:"failed"`
	FirstError    string  `json:"first_error,omitempty"`
	// Lateness is, for each conversation, when it closed (its run ended,
	// the staff API shows it closed) minus its window's deadline.
	Lateness  stats.Summary `json:"lateness"`
	NotClosed int           `json:"not_closed"`
	// Resident memory and disk before opening them and with all open.
	ResidentBeforeMiB float64 `json:"resident_before_mib"`
	ResidentOpenMiB   float64 `json:"resident_open_mib"`
	ResidentPeakMiB   float64 `json:"resident_peak_mib"`
	DiskBeforeMiB     float64 `json:"disk_before_mib"`
	DiskOpenMiB       float64 `json:"disk_open_mib"`
	ResidentPer1000   float64 `json:"resident_mib_per_1000"`
	DiskPer1000       float64 `json:"disk_mib_per_1000"`
}

// RecoveryResult is a SIGKILL under load and the restart.
type RecoveryResult struct {
	Customers int `json:"customers"`
	// AckedBeforeKill messages were acknowledged before the kill.
	AckedBeforeKill int `json:"acked_before_kill"`
	// FailedAttempts are sends refused or cut while handoff was down; each
	// was retried with the same ID.
	FailedAttempts int64 `json:"failed_attempts"`
	// RestartToReady is from starting the new process to /readyz.
	RestartToReady stats.Millis `json:"restart_to_ready_ms"`
	// TookMessages is, per conversation, from ready to its first message
	// acknowledged again.
	TookMessages stats.Summary `json:"ready_to_taking_messages"`
	// AllAnswered is from ready until every acknowledged message had its
	// reply.
	AllAnswered stats.Millis `json:"ready_to_all_answered_ms"`
	Acked       int          `json:"acked"`
	Lost        int          `json:"lost"`
	Duplicated  int          `json:"duplicated"`
	Unanswered  int          `json:"unanswered"`
	FirstError  string       `json:"first_error,omitempty"`
}

// Resources are the child's at the end of the run.
type Resources struct {
	ResidentMiB     float64 `json:"resident_mib"`
	PeakResidentMiB float64 `json:"peak_resident_mib"`
	DiskMiB         float64 `json:"disk_mib"`
	// HandoffCPUSeconds is the processor time handoff used over the run
	// (every process, the killed one too); BenchCPUSeconds the benchmark's.
	HandoffCPUSeconds float64 `json:"handoff_cpu_seconds"`
	BenchCPUSeconds   float64 `json:"bench_cpu_seconds"`
}

// CPU is the processor time of a stretch of load, per message and as
// cores kept busy, for handoff (self-contained only) and for the benchmark
// itself, which shares the machine.
type CPU struct {
	HandoffMsPerMessage float64 `json:"handoff_cpu_ms_per_msg,omitempty"`
	HandoffCores        float64 `json:"handoff_cores,omitempty"`
	BenchMsPerMessage   float64 `json:"bench_cpu_ms_per_msg"`
	BenchCores          float64 `json:"bench_cores"`
	// MachineCores is the cores the whole machine kept busy meanwhile:
	// every process (handoff, the benchmark, anything else) and the
	// kernel's own work, such as the loopback network between them.
	MachineCores float64 `json:"machine_cores,omitempty"`
	// VsBaseline is handoff's CPU per message over the CPU of one no-op
	// update-with-start (server and worker): how many of those a customer
	// message costs.
	VsBaseline float64 `json:"handoff_cpu_vs_update_with_start,omitempty"`
}

// History compares the run with the first on the same data directory.
type History struct {
	EarlierRuns           int       `json:"earlier_runs"`
	FirstSustained        float64   `json:"first_sustained_msgs_per_s"`
	ThisSustained         float64   `json:"this_sustained_msgs_per_s"`
	ChangeFromFirst       float64   `json:"change_from_first"` // this/first - 1
	ConversationsInData   int       `json:"conversations_in_data"`
	PreviousSustainedRuns []float64 `json:"earlier_sustained_msgs_per_s"`
}

// Overhead is what the benchmark itself asked of handoff, and oddities.
type Overhead struct {
	Searches          int64  `json:"searches"`
	FailedSearches    int64  `json:"failed_searches"`
	LastSearchError   string `json:"last_search_error,omitempty"`
	SendAPICalls      int64  `json:"send_api_calls"`
	UnexpectedReplies int    `json:"unexpected_replies"`
}

// Skipped is a phase that was selected but could not run.
type Skipped struct {
	Phase  Phase  `json:"phase"`
	Reason string `json:"reason"`
}

func newReport(opts Options) *Report {
	mode := "self-contained"
	if !opts.SelfContained() {
		mode = "deployment"
	}
	r := &Report{
		StartedAt: time.Now().UTC().Truncate(time.Second),
		Environment: Environment{
			Mode: mode, CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), CPUModel: cpuModel(),
			OS: runtime.GOOS + "/" + runtime.GOARCH, GoVersion: runtime.Version(),
		},
		Settings: Settings{
			Phases: opts.Phases, WebChatShare: opts.WebChatShare,
			BaselineConcurrency: opts.BaselineConcurrency, BaselineSeconds: opts.BaselineDuration.Seconds(),
			StepSeconds: opts.Step.Seconds(), SettleSeconds: opts.Settle.Seconds(), MaxP99Ms: float64(stats.ToMillis(opts.MaxP99)),
			Rate: opts.Rate, DurationSeconds: opts.Duration.Seconds(), Customers: opts.Customers,
			Conversations: opts.Conversations, SearchPollMs: float64(stats.ToMillis(opts.SearchPoll)), SearchSample: opts.SearchSample,
		},
		Targets: []Target{},
	}
	return r
}

func (r *Report) skip(p Phase, reason string) {
	r.Skipped = append(r.Skipped, Skipped{Phase: p, Reason: reason})
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// uws is the update-with-start baseline's rate the ratios divide by, or 0.
func (r *Report) uws() float64 {
	if r.Baseline == nil {
		return 0
	}
	return r.Baseline.Reference
}

// reference is the mean of the update-with-start measurements.
func (b *BaselineResult) reference() float64 {
	if b.UpdateWithStartAgain == nil {
		return b.UpdateWithStart.OpsPerSecond
	}
	return stats.Round((b.UpdateWithStart.OpsPerSecond+b.UpdateWithStartAgain.OpsPerSecond)/2, 1)
}

func (r *Report) conversationsSoFar() int {
	n := r.ConversationsStarted
	if len(r.previous) > 0 {
		n += r.previous[len(r.previous)-1].Conversations
	}
	return n
}

// finish fills in the ratios, the comparison with earlier runs and the
// targets.
func (r *Report) finish() {
	r.Seconds = stats.Round(time.Since(r.StartedAt).Seconds(), 0)
	if b := r.Baseline; b != nil {
		b.Reference = b.reference()
		if again := b.UpdateWithStartAgain; again != nil && b.Reference > 0 &&
			math.Abs(again.OpsPerSecond-b.UpdateWithStart.OpsPerSecond)/b.Reference > 0.2 {
			r.note("update-with-start ran at %.1f ops/s before the pipeline's phases and %.1f after: the machine's speed changed during the run, so take the ratios with care",
				b.UpdateWithStart.OpsPerSecond, again.OpsPerSecond)
		}
		uwsCPU := b.UpdateWithStartCPU.HandoffMsPerMessage + b.UpdateWithStartCPU.BenchMsPerMessage
		if s := r.Sustained; s != nil && uwsCPU > 0 {
			for i := range s.Steps {
				s.Steps[i].CPU.VsBaseline = stats.Ratio(s.Steps[i].CPU.HandoffMsPerMessage, uwsCPU)
			}
		}
		if r.Load != nil && uwsCPU > 0 {
			r.Load.CPU.VsBaseline = stats.Ratio(r.Load.CPU.HandoffMsPerMessage, uwsCPU)
		}
	}
	if uws := r.uws(); uws > 0 {
		if r.Sustained != nil {
			r.Sustained.Ratio = stats.Ratio(r.Sustained.MaxPerSecond, uws)
			for i := range r.Sustained.Steps {
				r.Sustained.Steps[i].Ratio = stats.Ratio(r.Sustained.Steps[i].PerSecond, uws)
			}
		}
		if r.Load != nil {
			r.Load.Ratio = stats.Ratio(r.Load.AckedPerSecond, uws)
		}
	}
	if r.Baseline != nil {
		r.Baseline.SignalRatio = stats.Ratio(r.Baseline.SignalWithStart.OpsPerSecond, r.uws())
	}
	r.History = r.compareWithHistory()
	r.Targets = evaluateTargets(r)
}

func (r *Report) compareWithHistory() *History {
	if len(r.previous) == 0 {
		return nil
	}
	h := &History{EarlierRuns: len(r.previous), ConversationsInData: r.conversationsSoFar()}
	for _, e := range r.previous {
		if e.SustainedPerSecond > 0 {
			h.PreviousSustainedRuns = append(h.PreviousSustainedRuns, e.SustainedPerSecond)
		}
	}
	if len(h.PreviousSustainedRuns) > 0 && r.Sustained != nil && r.Sustained.MaxPerSecond > 0 {
		h.FirstSustained = h.PreviousSustainedRuns[0]
		h.ThisSustained = r.Sustained.MaxPerSecond
		h.ChangeFromFirst = stats.Round(h.ThisSustained/h.FirstSustained-1, 3)
	}
	return h
}

// cpuModel is the processor's name from /proc/cpuinfo, or "".
func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
