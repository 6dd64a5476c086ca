package settings

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/temporalclient"
	"github.com/handoff-chat/handoff/workflows"
)

func TestWrapMarksTemporalUnavailable(t *testing.T) {
	err := wrap("change settings", context.DeadlineExceeded)
	var unavailable *temporalclient.UnavailableError
	if !errors.Is(err, ErrUnavailable) || !errors.As(err, &unavailable) || !unavailable.TimedOut {
		t.Errorf("wrap(deadline) = %v, want ErrUnavailable and a timed-out *temporalclient.UnavailableError", err)
	}
	if err := wrap("query settings workflow", serviceerror.NewResourceExhausted(0, "busy")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("wrap(busy) = %v, want ErrUnavailable", err)
	}
	other := errors.New("boom")
	if err := wrap("query settings history", other); errors.Is(err, ErrUnavailable) || !errors.Is(err, other) {
		t.Errorf("wrap(other) = %v, want it wrapped without ErrUnavailable", err)
	}
}

func TestInvalidErrorMatchesErrInvalid(t *testing.T) {
	err := error(&InvalidError{Reason: "inactivity_timeout must be from 1m to 24h"})
	if !errors.Is(err, ErrInvalid) {
		t.Error("an *InvalidError does not match ErrInvalid")
	}
	if want := "invalid settings: inactivity_timeout must be from 1m to 24h"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestChangeRejectsAnInvalidPatchWithoutTemporal(t *testing.T) {
	_, err := NewStore(nil, chat.Settings{}).Change(context.Background(), "alice", "r-1", chat.SettingsPatch{})
	var invalid *InvalidError
	if !errors.As(err, &invalid) || invalid.Reason == "" {
		t.Errorf("Change(empty patch) = %v, want an *InvalidError with a reason", err)
	}
}

func TestUpdateIDTellsChangesOfOneRequestIDApart(t *testing.T) {
	hour, halfHour := time.Hour, 30*time.Minute
	first, err := updateID("r-1", chat.SettingsPatch{InactivityTimeout: &hour})
	if err != nil {
		t.Fatal(err)
	}
	retry, _ := updateID("r-1", chat.SettingsPatch{InactivityTimeout: &hour})
	other, _ := updateID("r-1", chat.SettingsPatch{InactivityTimeout: &halfHour})
	if first != retry || !strings.HasPrefix(first, "r-1/") {
		t.Errorf("a retry has update ID %q, the first call %q, want the same, starting with the request ID", retry, first)
	}
	if other == first {
		t.Errorf("a different patch under request ID r-1 has the first call's update ID %q, want another", other)
	}
	if none, _ := updateID("", chat.SettingsPatch{InactivityTimeout: &hour}); none != "" {
		t.Errorf("no request ID gave update ID %q, want none", none)
	}
}

func TestChangeErrorTypesTheWorkflowsRefusals(t *testing.T) {
	refusal := func(errType string) error {
		return temporal.NewNonRetryableApplicationError("the workflow's reason", errType, nil)
	}
	var reused *chat.ReusedIDError
	if err := changeError(refusal(workflows.ErrTypeReusedID)); !errors.As(err, &reused) ||
		err.Error() != "this request_id was already used for a different request" {
		t.Errorf("reused request ID: %v (%T), want a *chat.ReusedIDError naming request_id", err, err)
	}
	var invalid *InvalidError
	if err := changeError(refusal(workflows.ErrTypeInvalidInput)); !errors.As(err, &invalid) || invalid.Reason != "the workflow's reason" {
		t.Errorf("invalid: %v (%T), want an *InvalidError with the workflow's reason", err, err)
	}
	if err := changeError(context.DeadlineExceeded); !errors.Is(err, ErrUnavailable) {
		t.Errorf("deadline: %v, want ErrUnavailable", err)
	}
}

// queryCounter answers the settings query with the defaults, holding each
// answer until release is closed, and counts the queries. Only
// QueryWorkflow is implemented.
type queryCounter struct {
	client.Client
	queries atomic.Int32
	release chan struct{}
}

func (q *queryCounter) QueryWorkflow(ctx context.Context, _, _, _ string, _ ...any) (converter.EncodedValue, error) {
	q.queries.Add(1)
	select {
	case <-q.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return answer(workflows.SettingsView{})
}

// answer encodes v as Temporal's client decodes a query's answer.
func answer(v any) (converter.EncodedValue, error) {
	payloads, err := converter.GetDefaultDataConverter().ToPayloads(v)
	if err != nil {
		return nil, err
	}
	return client.NewValue(payloads), nil
}

// Callers that find the cached settings too old while one read is under
// way share its answer: the settings workflow is queried once per process,
// however many bot replies wait for it.
func TestInForceCallersShareOneRead(t *testing.T) {
	q := &queryCounter{release: make(chan struct{})}
	s := NewStore(q, chat.Settings{})
	const callers = 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := s.InForce(ctx)
			errs <- err
		})
	}
	// Let every caller reach the read before it answers.
	deadline := time.Now().Add(5 * time.Second)
	for q.queries.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(q.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("InForce: %v", err)
		}
	}
	if n := q.queries.Load(); n != 1 {
		t.Errorf("%d callers queried the settings workflow %d times, want once", callers, n)
	}
	// The answer is cached: a caller right after reads nothing.
	if _, err := s.InForce(context.Background()); err != nil || q.queries.Load() != 1 {
		t.Errorf("a caller right after the read: %v, %d queries in all, want the cached settings", err, q.queries.Load())
	}
}

// A caller that gives up does not fail the others: the shared read outlives
// it.
func TestInForceReadOutlivesTheCallerWhoBeganIt(t *testing.T) {
	q := &queryCounter{release: make(chan struct{})}
	s := NewStore(q, chat.Settings{})
	first, cancel := context.WithCancel(context.Background())
	firstDone := make(chan error, 1)
	go func() {
		_, err := s.InForce(first)
		firstDone <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for q.queries.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the first caller never queried the settings workflow")
		}
		time.Sleep(time.Millisecond)
	}
	secondDone := make(chan error, 1)
	go func() {
		_, err := s.InForce(context.Background())
		secondDone <- err
	}()
	cancel()
	if err := <-firstDone; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller who gave up: %v, want context.Canceled", err)
	}
	close(q.release)
	if err := <-secondDone; err != nil {
		t.Errorf("the caller still waiting: %v, want the shared read's answer", err)
	}
	// Had the read ended with the first caller, the second would have
	// failed with it or begun a read of its own, whenever it arrived.
	if n := q.queries.Load(); n != 1 {
		t.Errorf("%d queries, want the one read both callers shared", n)
	}
}
