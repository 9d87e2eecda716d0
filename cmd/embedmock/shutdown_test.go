package main

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinarySIGTERMWithRequestsInFlight stops the real binary with SIGTERM
// while requests are in flight: each finishes with its answer, new
// connections are refused, and the process exits within the shutdown
// timeout.
func TestBinarySIGTERMWithRequestsInFlight(t *testing.T) {
	cmd, url := startBinary(t, "--shutdown-timeout", "5s")
	embed := url + "/v1beta/models/gemini-embedding-001:embedContent"

	// Slow requests (held 700 ms by the server) that are in flight when
	// the signal arrives.
	const slow = 6
	results := make(chan int, slow)
	var started sync.WaitGroup
	for range slow {
		started.Add(1)
		go func() {
			req, _ := http.NewRequest(http.MethodPost, embed, strings.NewReader(embedBody))
			req.Header.Set("X-Goog-Api-Key", "k")
			req.Header.Set("X-Embedmock-Delay", "700ms")
			client := &http.Client{Transport: &http.Transport{}}
			started.Done()
			resp, err := client.Do(req)
			if err != nil {
				results <- -1
				return
			}
			resp.Body.Close()
			results <- resp.StatusCode
		}()
	}
	// A steady load of quick requests on keep-alive connections.
	stop := make(chan struct{})
	var quickOK, quickFailed atomic.Int64
	var load sync.WaitGroup
	for range 4 {
		load.Go(func() {
			client := &http.Client{Timeout: 5 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodPost, embed, strings.NewReader(embedBody))
				req.Header.Set("X-Goog-Api-Key", "k")
				resp, err := client.Do(req)
				if err != nil {
					quickFailed.Add(1) // refused once shutdown began
					time.Sleep(time.Millisecond)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					quickOK.Add(1)
				}
			}
		})
	}
	started.Wait()
	time.Sleep(200 * time.Millisecond) // the slow requests are being served
	signalled := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waitExit(t, cmd, 8*time.Second) // the shutdown timeout and some
	exited := time.Since(signalled)
	close(stop)
	load.Wait()
	for range slow {
		assert.Equal(t, http.StatusOK, <-results, "a request in flight at SIGTERM gets its answer")
	}
	assert.Positive(t, quickOK.Load())
	assert.GreaterOrEqual(t, exited, 400*time.Millisecond, "the process waited for the slow requests")
	_, err := http.Post(embed, "application/json", strings.NewReader(embedBody))
	assert.Error(t, err, "new connections are refused")
	t.Logf("exit %v after SIGTERM; %d quick requests answered, %d refused during shutdown", exited.Round(time.Millisecond), quickOK.Load(), quickFailed.Load())
}
