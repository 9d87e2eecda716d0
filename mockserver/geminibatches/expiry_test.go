package geminibatches

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExpiry: with a TTL no longer than the delay, a job past its TTL ends
// EXPIRED at create time + TTL; with a longer TTL it succeeds.
func TestExpiry(t *testing.T) {
	type step struct {
		at    time.Duration // since creation, when the job is polled
		state string
	}
	tests := []struct {
		name  string
		delay time.Duration
		ttl   time.Duration
		steps []step
		end   time.Duration // endTime, since creation
	}{
		{"ttl before half the delay", 3 * time.Hour, time.Hour,
			[]step{{59 * time.Minute, batchPending}, {time.Hour, batchExpired}}, time.Hour},
		{"ttl while running", 3 * time.Hour, 2 * time.Hour,
			[]step{{90 * time.Minute, batchRunning}, {2*time.Hour - time.Nanosecond, batchRunning}, {2 * time.Hour, batchExpired}}, 2 * time.Hour},
		{"ttl equal to the delay", time.Hour, time.Hour,
			[]step{{30 * time.Minute, batchRunning}, {time.Hour, batchExpired}}, time.Hour},
		{"first polled long after", 3 * time.Hour, time.Hour,
			[]step{{10 * time.Hour, batchExpired}}, time.Hour},
		{"ttl after the delay", time.Hour, time.Hour + time.Nanosecond,
			[]step{{30 * time.Minute, batchRunning}, {time.Hour, batchSucceeded}}, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, setup{cfg: Config{Delay: tt.delay, TTL: tt.ttl, MaxJobs: 10, MaxRequests: 10}})
			created := h.create(asyncPath, inlineBody(item("a"), item("b")))
			var last operation
			now := time.Duration(0)
			for _, s := range tt.steps {
				h.clock.Advance(s.at - now)
				now = s.at
				last = h.get(created.Name)
				require.Equal(t, s.state, last.Metadata.State, "at %v", s.at)
			}
			assert.True(t, last.Done)
			assert.Equal(t, stamp(tt.end), last.Metadata.EndTime)
			assert.Equal(t, stamp(tt.end), last.Metadata.UpdateTime)
			if last.Metadata.State == batchExpired {
				assert.Nil(t, last.Error)
				assert.Nil(t, last.Metadata.Output)
				assert.Nil(t, last.Response)
				assert.Equal(t, map[string]string{"requestCount": "2"}, last.Metadata.BatchStats)
			}

			// Final: a cancel changes nothing, nor does time.
			require.Equal(t, http.StatusOK, h.do(http.MethodPost, "/v1beta/"+created.Name+":cancel", "").Status)
			h.clock.Advance(24 * time.Hour)
			assert.Equal(t, last, h.get(created.Name))
			page := h.list("")
			require.Len(t, page.Operations, 1)
			assert.Equal(t, last.Metadata.State, page.Operations[0].Metadata.State)
		})
	}
}

// TestExpiryBeatsScheduledFailure: a doomed job that expires first ends
// EXPIRED.
func TestExpiryBeatsScheduledFailure(t *testing.T) {
	h := newHarness(t, setup{cfg: Config{Delay: 2 * time.Hour, TTL: time.Hour, MaxJobs: 10, MaxRequests: 10}})
	require.NoError(t, h.batches.FailJobs(Failure{Code: 13, Message: "boom"}))
	created := h.create(asyncPath, inlineBody(item("a")))
	h.clock.Advance(time.Hour)
	op := h.get(created.Name)
	assert.Equal(t, batchExpired, op.Metadata.State)
	assert.Nil(t, op.Error)
}
