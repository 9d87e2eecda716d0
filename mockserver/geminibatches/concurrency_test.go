package geminibatches

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentJobOperations gets, lists, cancels and deletes the same
// jobs from many goroutines at once (run it with -race). Due jobs are
// finished exactly once, so every answer about one is the same; pending
// jobs end cancelled; deleted jobs are gone, and each delete succeeds
// once.
func TestConcurrentJobOperations(t *testing.T) {
	for _, where := range []string{"memory", "data dir"} {
		t.Run(where, func(t *testing.T) {
			dir := ""
			if where == "data dir" {
				dir = t.TempDir()
			}
			h := newHarness(t, setup{cfg: testConfig(), dir: dir})
			var due, pending []string
			for i := range 6 {
				due = append(due, h.create(asyncPath, inlineBody(item(fmt.Sprint("due ", i)), item(""))).Name)
			}
			h.clock.Advance(10 * time.Minute) // the first six are due, never observed
			for i := range 6 {
				pending = append(pending, h.create(asyncPath, inlineBody(item(fmt.Sprint("pending ", i)))).Name)
			}
			all := append(append([]string{}, due...), pending...)
			deleted := map[string]bool{}
			for i, name := range all {
				if i%3 == 0 {
					deleted[name] = true
				}
			}

			var mu sync.Mutex
			gets := map[string][]string{} // 200 answers of batches.get, by job
			deletesOK := map[string]int{}
			var created []string
			var wg sync.WaitGroup
			for _, name := range all {
				for range 4 {
					wg.Go(func() {
						r := h.do(http.MethodGet, "/v1beta/"+name, "")
						switch {
						case r.Status == http.StatusOK:
							mu.Lock()
							gets[name] = append(gets[name], string(r.Body))
							mu.Unlock()
						case !deleted[name] || r.Status != http.StatusNotFound:
							t.Errorf("get %s: %d %s", name, r.Status, r.Body)
						}
					})
				}
				for range 2 {
					wg.Go(func() {
						r := h.do(http.MethodPost, "/v1beta/"+name+":cancel", "")
						if r.Status != http.StatusOK && (!deleted[name] || r.Status != http.StatusNotFound) {
							t.Errorf("cancel %s: %d %s", name, r.Status, r.Body)
						}
					})
				}
				wg.Go(func() {
					r := h.do(http.MethodGet, "/v1beta/batches?pageSize=5", "")
					var page listPage
					if assert.Equal(t, http.StatusOK, r.Status) && assert.NoError(t, json.Unmarshal(r.Body, &page), "%s", r.Body) {
						assert.LessOrEqual(t, len(page.Operations), 5)
					}
				})
				if deleted[name] {
					for range 2 {
						wg.Go(func() {
							r := h.do(http.MethodDelete, "/v1beta/"+name, "")
							switch r.Status {
							case http.StatusOK:
								mu.Lock()
								deletesOK[name]++
								mu.Unlock()
							case http.StatusNotFound:
							default:
								t.Errorf("delete %s: %d %s", name, r.Status, r.Body)
							}
						})
					}
				}
			}
			for range 2 {
				wg.Go(func() {
					for i := range 4 {
						r := h.do(http.MethodPost, asyncPath, inlineBody(item(fmt.Sprint("new ", i))))
						var op operation
						if assert.Equal(t, http.StatusOK, r.Status, "%s", r.Body) && assert.NoError(t, json.Unmarshal(r.Body, &op)) {
							assert.Equal(t, batchPending, op.Metadata.State)
							mu.Lock()
							created = append(created, op.Name)
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()

			for _, name := range all {
				if deleted[name] {
					assert.Equal(t, 1, deletesOK[name], "%s: one delete succeeds", name)
					assert.Equal(t, http.StatusNotFound, h.do(http.MethodGet, "/v1beta/"+name, "").Status, name)
					continue
				}
				final := h.get(name)
				body := string(h.do(http.MethodGet, "/v1beta/"+name, "").Body)
				for _, got := range gets[name] {
					if final.Metadata.State == batchSucceeded {
						assert.Equal(t, body, got, "%s: results computed once", name)
					} else {
						var op operation
						require.NoError(t, json.Unmarshal([]byte(got), &op))
						assert.Contains(t, []string{batchPending, batchCancelled}, op.Metadata.State, name)
						if op.Metadata.State == batchCancelled {
							assert.Equal(t, body, got, "%s: cancelled once", name)
						}
					}
				}
				if slices.Contains(due, name) {
					assert.Equal(t, batchSucceeded, final.Metadata.State, "%s: cancelling a due job finishes it", name)
					assert.Len(t, final.items(t), 2)
					assert.Equal(t, map[string]string{"requestCount": "2", "successfulRequestCount": "1", "failedRequestCount": "1"}, final.Metadata.BatchStats)
				} else {
					assert.Equal(t, batchCancelled, final.Metadata.State, name)
					assert.Equal(t, stamp(10*time.Minute), final.Metadata.EndTime, name)
				}
			}

			listed, _ := h.listAll(4)
			var want []string
			for _, name := range all {
				if !deleted[name] {
					want = append(want, name)
				}
			}
			assert.ElementsMatch(t, append(want, created...), listed)
			if dir != "" {
				outputs := 0
				for _, name := range due {
					if !deleted[name] {
						outputs++
					}
				}
				assert.Len(t, jobFiles(t, dir), len(listed)+outputs, "one record per job, and the results of the due jobs left")
			}
		})
	}
}

// TestCreateWhileListing: with no delay, a concurrent list finishes a job
// the moment it is published; the create answer still shows it as created.
func TestCreateWhileListing(t *testing.T) {
	cfg := testConfig()
	cfg.Delay = 0
	h := newHarness(t, setup{cfg: cfg})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range 20 {
				r := h.do(http.MethodGet, "/v1beta/batches?pageSize=3", "")
				assert.Equal(t, http.StatusOK, r.Status)
				assert.True(t, json.Valid(r.Body), "%s", r.Body)
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for range 20 {
				r := h.do(http.MethodPost, asyncPath, inlineBody(item("a")))
				var op operation
				if assert.Equal(t, http.StatusOK, r.Status, "%s", r.Body) && assert.NoError(t, json.Unmarshal(r.Body, &op)) {
					assert.False(t, op.Done, "answered as created, whatever a list did since")
					assert.Equal(t, batchPending, op.Metadata.State)
					assert.Nil(t, op.Metadata.Output)
				}
			}
		})
	}
	wg.Wait()
	page := h.list("?pageSize=1000")
	assert.Len(t, page.Operations, 80)
	for _, op := range page.Operations {
		assert.Equal(t, batchSucceeded, op.Metadata.State)
	}
}
