package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

// crashLoad is how many visitors write at once while handoff is killed.
const crashLoad = 30

// Killing handoff (SIGKILL), or stopping it (SIGTERM), while customers are
// writing loses no acknowledged message and doubles none; after the restart
// every conversation takes messages again, and the bot answers the messages
// it had not answered at the crash. The test reports how long both took
// after the restarted process was ready; it asserts only that they happened.
func TestRestartUnderLoadLosesNothingAndResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a handoff process under load")
	}
	t.Run("SIGKILL", func(t *testing.T) {
		restartUnderLoad(t, "SIGKILL", func(ch *child) {
			if err := ch.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-ch.done
		})
	})
	t.Run("SIGTERM", func(t *testing.T) { restartUnderLoad(t, "SIGTERM", func(ch *child) { ch.stop(t) }) })
}

func restartUnderLoad(t *testing.T, signal string, stop func(*child)) {
	dir := t.TempDir()
	env := []string{
		"HANDOFF_DATA_DIR=" + dir,
		"HANDOFF_TEMPORAL_EMBEDDED_FRONTEND_ADDR=127.0.0.1:0",
		"HANDOFF_AUTH_TOKENS=alice:" + staffToken,
		// The load is many visitors from one address writing as fast as
		// they can: the web chat's rate limits would stop it.
		"HANDOFF_WEBCHAT_LIMITS_VISITORS_PER_MINUTE=0",
		"HANDOFF_WEBCHAT_LIMITS_MESSAGES_PER_MINUTE=0",
	}
	first, httpAddr, _ := startChildOnFreePorts(t, dir, env)
	c := &api{t: t, base: "http://" + httpAddr, token: staffToken}
	visitors := make([]string, crashLoad)
	for i := range visitors {
		visitors[i] = c.newVisitor()
	}
	writers := newLoad(c, visitors)
	for _, visitor := range visitors {
		c.say(visitor, map[string]any{"id": "hello", "text": "hello"})
		writers.ack(visitor, "hello")
	}

	// Every visitor writes until the process dies; what was acknowledged
	// (202) must survive, what failed may or may not have been recorded.
	writers.run(3*time.Second, 3*crashLoad)
	stop(first)
	writers.wait()
	acked := writers.acknowledged()
	if n := countIDs(acked); n < 2*crashLoad {
		t.Fatalf("only %d messages were acknowledged before the kill; the load did not run", n)
	}

	second, httpAddr, _ := startChildOnFreePorts(t, dir, env)
	defer second.stop(t)
	ready := time.Now()
	c.base = "http://" + httpAddr

	// Each conversation takes a new message: time until it is accepted.
	accepted := make([]time.Duration, len(visitors))
	var wg sync.WaitGroup
	for i, visitor := range visitors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := "after-restart-" + visitor
			err := pollUntil(2*time.Minute, visitor+" to take a message", func() (bool, error) {
				status, err := c.post(visitor, map[string]any{"id": id, "text": "are you back?"})
				return status == http.StatusAccepted, fmt.Errorf("status %d: %v", status, err)
			})
			if err != nil {
				t.Error(err)
			}
			accepted[i] = time.Since(ready)
			writers.ack(visitor, id)
		}()
	}
	wg.Wait()

	// Every acknowledged message is in its transcript exactly once, and the
	// bot answered each: time until the last answer arrived.
	var answered time.Duration
	for visitor, ids := range writers.acknowledged() {
		waitUntil(t, 2*time.Minute, "every acknowledged message of "+visitor+" recorded once and answered", func() (bool, error) {
			// Right after the restart every conversation has messages
			// waiting, and a read may time out (503) while they are taken.
			r := c.do("GET", "/webchat/v1/visitors/"+visitor+"/messages?after=0", nil, false)
			if r.status != http.StatusOK {
				return false, fmt.Errorf("transcript: %d %s", r.status, r.body)
			}
			var out struct{ Messages []message }
			if err := json.Unmarshal(r.body, &out); err != nil {
				return false, err
			}
			return transcriptComplete(out.Messages, ids)
		})
		answered = max(answered, time.Since(ready))
	}
	t.Logf("after %s under load (%d visitors, %d messages acknowledged before it): "+
		"conversations took messages %s after ready (median %s); the last bot reply arrived %s after ready",
		signal, len(visitors), countIDs(acked), slowest(accepted), median(accepted), answered.Round(10*time.Millisecond))
}

// transcriptComplete reports whether every id is in the transcript exactly
// once and the bot answered every customer message (one reply each, in
// order, so the replies may trail the messages they answer).
func transcriptComplete(msgs []message, ids []string) (bool, error) {
	seen := map[string]int{}
	customer, bot := 0, 0
	for _, m := range msgs {
		switch m.Sender {
		case "customer":
			seen[m.ID]++
			customer++
		case "bot":
			bot++
		}
	}
	for _, id := range ids {
		switch seen[id] {
		case 1:
		case 0:
			return false, fmt.Errorf("acknowledged message %s is missing; transcript %+v", id, msgs)
		default:
			return false, fmt.Errorf("message %s is recorded %d times", id, seen[id])
		}
	}
	if bot < customer {
		return false, fmt.Errorf("%d customer messages and %d bot replies; transcript %+v", customer, bot, msgs)
	}
	return true, nil
}

// load sends messages from many visitors at once and remembers which were
// acknowledged.
type load struct {
	c        *api
	visitors []string
	wg       sync.WaitGroup
	mu       sync.Mutex
	acked    map[string][]string
}

func newLoad(c *api, visitors []string) *load {
	return &load{c: c, visitors: visitors, acked: map[string][]string{}}
}

// run starts every visitor writing, one message at a time, and returns once
// at least d has passed and n messages were acknowledged (or a minute has
// passed); the writers stop at their first failure (the process died).
func (l *load) run(d time.Duration, n int) {
	for _, visitor := range l.visitors {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := 0; n < 1000; n++ {
				id := fmt.Sprintf("load-%d", n)
				status, err := l.c.post(visitor, map[string]any{"id": id, "text": fmt.Sprintf("message %d", n)})
				if err != nil || status != http.StatusAccepted {
					return
				}
				l.ack(visitor, id)
			}
		}()
	}
	time.Sleep(d)
	_ = pollUntil(time.Minute, "the load to be acknowledged", func() (bool, error) {
		return countIDs(l.acknowledged()) >= n, nil
	})
}

func (l *load) wait() { l.wg.Wait() }

func (l *load) ack(visitor, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked[visitor] = append(l.acked[visitor], id)
}

func (l *load) acknowledged() map[string][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string][]string, len(l.acked))
	for k, v := range l.acked {
		out[k] = slices.Clone(v)
	}
	return out
}

// post sends a visitor's message without failing the test, for load that
// runs into a dying process.
func (a *api) post(visitor string, body map[string]any) (int, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest("POST", a.base+"/webchat/v1/visitors/"+visitor+"/messages", bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.visitorTokens[visitor])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func countIDs(m map[string][]string) int {
	n := 0
	for _, ids := range m {
		n += len(ids)
	}
	return n
}

func slowest(ds []time.Duration) time.Duration {
	return slices.Max(ds).Round(10 * time.Millisecond)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(10 * time.Millisecond)
}
