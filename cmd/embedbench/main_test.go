package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/mockserver"
)

const wrkReport = `Running 1s test @ http://127.0.0.1:40000/v1beta/models/gemini-embedding-001:embedContent
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   708.22us  1.20ms  20.19ms   92.21%
    Req/Sec    13.27k     1.01k   14.71k    70.00%
  Latency Distribution
     50%  417.00us
     75%  599.00us
     90%    1.02ms
     99%    6.87ms
  26408 requests in 1.00s, 289.03MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:  26374.88
Transfer/sec:    288.66MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkReport)
	require.NoError(t, err)
	assert.InDelta(t, 26374.88, r.rps, 0.001)
	assert.Equal(t, 417*time.Microsecond, r.p50)
	assert.Equal(t, 6870*time.Microsecond, r.p99)
	assert.Equal(t, 6, r.errors)

	_, err = parseWrk("unable to connect to 127.0.0.1:1 Connection refused")
	assert.Error(t, err)
}

func TestSummariseTakesMedians(t *testing.T) {
	s := summarise([]result{
		{rps: 100, p50: 3 * time.Millisecond, p99: 9 * time.Millisecond},
		{rps: 300, p50: 1 * time.Millisecond, p99: 7 * time.Millisecond, errors: 1},
		{rps: 200, p50: 2 * time.Millisecond, p99: 8 * time.Millisecond},
	})
	assert.Equal(t, result{rps: 200, p50: 2 * time.Millisecond, p99: 8 * time.Millisecond, errors: 1}, s)
}

// TestWorkloadsAreAnswered checks every workload's requests against the
// server: each is answered 200, and the distinct-text workloads never send
// the same body twice.
func TestWorkloadsAreAnswered(t *testing.T) {
	for _, name := range workloadNames() {
		t.Run(name, func(t *testing.T) {
			w := workloads[name]
			var opts []mockserver.Option
			if w.prepare != nil {
				// The replay workload with a small cassette.
				const recorded = 50
				args, err := writeReplayCassette(t.TempDir(), recorded)
				w.body = func(i int) string { return replayBody(i % recorded) }
				require.NoError(t, err)
				require.Equal(t, "--cassette", args[0])
				opts = append(opts, mockserver.WithCassettes(args[1]), mockserver.WithMissPolicy(mockserver.MissError))
			}
			s, err := mockserver.New(opts...)
			require.NoError(t, err)
			ts := httptest.NewServer(s)
			t.Cleanup(ts.Close)
			for _, i := range []int{0, 1, 1 << 20} {
				status, body, err := send(http.DefaultClient, ts.URL, w, i)
				require.NoError(t, err)
				require.Equal(t, http.StatusOK, status, "%s", body)
				require.True(t, json.Valid(body))
			}
			if strings.Contains(w.description, "distinct texts") {
				assert.NotEqual(t, w.body(1), w.body(2))
			}
		})
	}
}

// TestWrkSendsDistinctTexts runs the wrk script of a distinct-text
// workload (wrk runs one copy of it per thread) and checks that no body
// arrives twice.
func TestWrkSendsDistinctTexts(t *testing.T) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk is not installed")
	}
	var mu sync.Mutex
	seen := map[string]int{}
	requests := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[string(body)]++
		requests++
		mu.Unlock()
		w.Write([]byte("{}"))
	}))
	t.Cleanup(ts.Close)
	res, err := wrkLoad{bin: bin}.run(context.Background(), ts.URL, workloads["embed768"], 4, time.Second, 1<<20)
	require.NoError(t, err)
	assert.Positive(t, res.rps)
	mu.Lock()
	defer mu.Unlock()
	require.Positive(t, requests)
	for body, n := range seen {
		require.Equal(t, 1, n, "sent %d times: %s", n, body)
	}
}
