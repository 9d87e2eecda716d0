package geminibatches

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/mockserver/family/familytest"
)

func TestFailureWithDefaults(t *testing.T) {
	const quota = "Enqueued token quota exceeded for this model."
	tests := []struct {
		name string
		in   Failure
		want Failure
	}{
		{"zero", Failure{}, Failure{Count: 1, Code: 8, Message: quota}},
		{"count only", Failure{Count: 3}, Failure{Count: 3, Code: 8, Message: quota}},
		{"code only", Failure{Code: 13}, Failure{Count: 1, Code: 13, Message: quota}},
		{"message only", Failure{Message: "boom"}, Failure{Count: 1, Code: 8, Message: "boom"}},
		{"all set", Failure{Count: 2, Code: 13, Message: "boom"}, Failure{Count: 2, Code: 13, Message: "boom"}},
		{"negative count kept", Failure{Count: -1}, Failure{Count: -1, Code: 8, Message: quota}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.in.WithDefaults())
		})
	}
}

func TestFailJobsValidation(t *testing.T) {
	tests := []struct {
		name    string
		in      Failure
		ok      bool
		listed  Failure // as Failures() then reports it
		message string
	}{
		{name: "defaults", in: Failure{}, ok: true, listed: Failure{Count: 1, Code: 8, Message: "Enqueued token quota exceeded for this model."}},
		{name: "lowest code", in: Failure{Code: 1, Message: "m"}, ok: true, listed: Failure{Count: 1, Code: 1, Message: "m"}},
		{name: "highest code", in: Failure{Count: 4, Code: 16, Message: "m"}, ok: true, listed: Failure{Count: 4, Code: 16, Message: "m"}},
		{name: "code too high", in: Failure{Code: 17}},
		{name: "negative code", in: Failure{Code: -3}},
		{name: "negative count", in: Failure{Count: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, setup{cfg: testConfig()})
			err := h.batches.FailJobs(tt.in)
			if !tt.ok {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "batch failure needs count >= 1 and a google.rpc.Code from 1 to 16")
				assert.Empty(t, h.batches.Failures(), "nothing is scheduled")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []Failure{tt.listed}, h.batches.Failures())
		})
	}
}

// TestScheduledFailures: the next Count jobs end FAILED with the
// scheduled error, in schedule order; later jobs succeed.
func TestScheduledFailures(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	require.NoError(t, h.batches.FailJobs(Failure{Count: 2, Code: 13, Message: "boom"}))
	require.NoError(t, h.batches.FailJobs(Failure{Code: 9, Message: "precondition"}))
	assert.Equal(t, []Failure{{Count: 2, Code: 13, Message: "boom"}, {Count: 1, Code: 9, Message: "precondition"}}, h.batches.Failures())

	tests := []struct {
		body    string
		left    []Failure // scheduled after this job is created
		state   string
		failure *rpcStatus
	}{
		{inlineBody(item("a")), []Failure{{Count: 1, Code: 13, Message: "boom"}, {Count: 1, Code: 9, Message: "precondition"}}, batchFailed, &rpcStatus{Code: 13, Message: "boom"}},
		{inlineBody(item("b"), item("c")), []Failure{{Count: 1, Code: 9, Message: "precondition"}}, batchFailed, &rpcStatus{Code: 13, Message: "boom"}},
		{inlineBody(item("d")), []Failure{}, batchFailed, &rpcStatus{Code: 9, Message: "precondition"}},
		{inlineBody(item("e")), []Failure{}, batchSucceeded, nil},
	}
	var names []string
	for i, tt := range tests {
		op := h.create(asyncPath, tt.body)
		assert.Equal(t, batchPending, op.Metadata.State, "job %d: a doomed job looks like any other at first", i)
		assert.Equal(t, tt.left, h.batches.Failures(), "job %d", i)
		names = append(names, op.Name)
	}
	h.clock.Advance(5 * time.Minute)
	for i, name := range names {
		op := h.get(name)
		assert.Equal(t, batchRunning, op.Metadata.State, "job %d", i)
		assert.Nil(t, op.Error, "job %d", i)
	}
	h.clock.Advance(5 * time.Minute)
	for i, tt := range tests {
		op := h.get(names[i])
		assert.True(t, op.Done, "job %d", i)
		assert.Equal(t, tt.state, op.Metadata.State, "job %d", i)
		assert.Equal(t, tt.failure, op.Error, "job %d", i)
		assert.Equal(t, stamp(10*time.Minute), op.Metadata.EndTime, "job %d", i)
		if tt.failure != nil {
			assert.Nil(t, op.Metadata.Output, "job %d", i)
			assert.Nil(t, op.Response, "job %d", i)
			assert.NotContains(t, op.Metadata.BatchStats, "successfulRequestCount", "job %d", i)
			assert.NotContains(t, op.Metadata.BatchStats, "pendingRequestCount", "job %d", i)
		} else {
			assert.Len(t, op.items(t), 1, "job %d", i)
		}
	}
}

// TestFailureFileJob: a scheduled failure applies to a file job too, and
// no results file is written.
func TestFailureFileJob(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	h.uploadMultipart("input", `{"key":"a","request":{"content":{"parts":[{"text":"a"}]}}}`)
	require.NoError(t, h.batches.FailJobs(Failure{Code: 14, Message: "unavailable"}))
	op := h.create(asyncPath, fileBody("files/input"))
	h.clock.Advance(10 * time.Minute)
	done := h.get(op.Name)
	assert.Equal(t, batchFailed, done.Metadata.State)
	assert.Equal(t, &rpcStatus{Code: 14, Message: "unavailable"}, done.Error)
	assert.Nil(t, done.Metadata.Output)
	assert.Equal(t, http.StatusForbidden, h.do(http.MethodGet, "/v1beta/files/batch-"+batchID(op.Name), "").Status)
}

// TestRefusedJobGivesFailureBack: a job refused because the store is full
// does not use up a scheduled failure; the schedule keeps its order.
func TestRefusedJobGivesFailureBack(t *testing.T) {
	tests := []struct {
		name     string
		schedule []Failure
		next     *rpcStatus // the error of the job created once there is room
		after    []Failure  // scheduled after that job
	}{
		{"one failure", []Failure{{Count: 1, Code: 13, Message: "boom"}},
			&rpcStatus{Code: 13, Message: "boom"}, []Failure{}},
		{"a failure for two jobs", []Failure{{Count: 2, Code: 13, Message: "boom"}},
			&rpcStatus{Code: 13, Message: "boom"}, []Failure{{Count: 1, Code: 13, Message: "boom"}}},
		{"two failures", []Failure{{Count: 1, Code: 13, Message: "first"}, {Count: 1, Code: 9, Message: "second"}},
			&rpcStatus{Code: 13, Message: "first"}, []Failure{{Count: 1, Code: 9, Message: "second"}}},
		{"two failures alike", []Failure{{Count: 1, Code: 13, Message: "same"}, {Count: 2, Code: 13, Message: "same"}},
			&rpcStatus{Code: 13, Message: "same"}, []Failure{{Count: 2, Code: 13, Message: "same"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.MaxJobs = 1
			h := newHarness(t, setup{cfg: cfg})
			first := h.create(asyncPath, inlineBody(item("first")))
			for _, f := range tt.schedule {
				require.NoError(t, h.batches.FailJobs(f))
			}
			scheduled := expand(h.batches.Failures())
			for range 3 {
				r := h.do(http.MethodPost, asyncPath, inlineBody(item("refused")))
				require.Equal(t, http.StatusTooManyRequests, r.Status, "%s", r.Body)
				assert.Equal(t, "RESOURCE_EXHAUSTED", decodeError(t, r).Status)
				// Alike neighbours may be merged ({1,x},{2,x} -> {3,x}):
				// what counts is the error each next job gets.
				assert.Equal(t, scheduled, expand(h.batches.Failures()), "the failure was given back")
			}

			require.Equal(t, http.StatusOK, h.do(http.MethodDelete, "/v1beta/"+first.Name, "").Status)
			next := h.create(asyncPath, inlineBody(item("next")))
			assert.Equal(t, expand(tt.after), expand(h.batches.Failures()))
			h.clock.Advance(10 * time.Minute)
			done := h.get(next.Name)
			assert.Equal(t, batchFailed, done.Metadata.State)
			assert.Equal(t, tt.next, done.Error)
		})
	}
}

// TestClearFailures: cleared failures are not applied; Reset clears them
// too.
func TestClearFailures(t *testing.T) {
	for _, clear := range []string{"ClearFailures", "Reset"} {
		t.Run(clear, func(t *testing.T) {
			cfg := testConfig()
			cfg.Delay = 0
			h := newHarness(t, setup{cfg: cfg})
			require.NoError(t, h.batches.FailJobs(Failure{Count: 5}))
			require.NoError(t, h.batches.FailJobs(Failure{Code: 2}))
			require.Len(t, h.batches.Failures(), 2)
			if clear == "Reset" {
				h.batches.Reset()
			} else {
				h.batches.ClearFailures()
			}
			assert.Empty(t, h.batches.Failures())
			op := h.create(asyncPath, inlineBody(item("a")))
			assert.Equal(t, batchSucceeded, h.get(op.Name).Metadata.State)
		})
	}
}

// TestFailuresIsACopy: changing what Failures returns changes nothing.
func TestFailuresIsACopy(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	require.NoError(t, h.batches.FailJobs(Failure{Count: 1, Code: 13, Message: "boom"}))
	got := h.batches.Failures()
	got[0].Count = 99
	assert.Equal(t, []Failure{{Count: 1, Code: 13, Message: "boom"}}, h.batches.Failures())
}

// expand lists the error each next job gets from a schedule.
func expand(schedule []Failure) []rpcStatus {
	out := []rpcStatus{}
	for _, f := range schedule {
		for range f.Count {
			out = append(out, rpcStatus{Code: f.Code, Message: f.Message})
		}
	}
	return out
}

// TestRefusedJobGivesFailureBackExactly: the common case, one failure
// entry, comes back as it was.
func TestRefusedJobGivesFailureBackExactly(t *testing.T) {
	cfg := testConfig()
	cfg.MaxJobs = 1
	h := newHarness(t, setup{cfg: cfg})
	h.create(asyncPath, inlineBody(item("first")))
	require.NoError(t, h.batches.FailJobs(Failure{Count: 2, Code: 13, Message: "boom"}))
	assert.Equal(t, http.StatusTooManyRequests, h.do(http.MethodPost, asyncPath, inlineBody(item("refused"))).Status)
	assert.Equal(t, []Failure{{Count: 2, Code: 13, Message: "boom"}}, h.batches.Failures())
}

// TestClearFailuresDuringRefusedCreate: a create refused because the
// store is full takes no scheduled failure (failures are taken only under
// the job store's lock, once the job's place is certain), so a schedule
// cleared while the create waits stays cleared.
func TestClearFailuresDuringRefusedCreate(t *testing.T) {
	cfg := testConfig()
	cfg.MaxJobs = 1
	h := newHarness(t, setup{cfg: cfg})
	first := h.create(asyncPath, inlineBody(item("fills the store")))
	require.NoError(t, h.batches.FailJobs(Failure{Code: 13, Message: "boom"}))

	h.batches.jobs.mu.Lock()
	refused := make(chan int, 1)
	go func() {
		refused <- familytest.Do(t, http.MethodPost, h.base+asyncPath, inlineBody(item("refused")), "X-Goog-Api-Key", "k").Status
	}()
	time.Sleep(20 * time.Millisecond) // most likely waiting for the lock by now; either order must pass
	assert.Len(t, h.batches.Failures(), 1, "nothing taken while the create waits")
	h.batches.ClearFailures()
	h.batches.jobs.mu.Unlock()
	require.Equal(t, http.StatusTooManyRequests, <-refused)

	assert.Empty(t, h.batches.Failures(), "cleared failures stay cleared")
	require.Equal(t, http.StatusOK, h.do(http.MethodDelete, "/v1beta/"+first.Name, "").Status)
	next := h.create(asyncPath, inlineBody(item("next")))
	h.clock.Advance(10 * time.Minute)
	assert.Equal(t, batchSucceeded, h.get(next.Name).Metadata.State, "no failure is scheduled")
}
