package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// result is one measured run.
type result struct {
	rps      float64
	p50, p99 time.Duration
	errors   int
}

// loadGenerator drives a server with a workload.
type loadGenerator interface {
	name() string
	run(ctx context.Context, base string, w workload, connections int, d time.Duration, offset int) (result, error)
}

func chooseLoadGenerator(name string) (loadGenerator, error) {
	wrk, err := exec.LookPath("wrk")
	switch {
	case name == "go" || (name == "auto" && err != nil):
		return goLoad{}, nil
	case name == "wrk" && err != nil:
		return nil, errors.New("wrk is not installed (apt-get install wrk), or use -loadgen go")
	case name == "wrk" || name == "auto":
		return wrkLoad{bin: wrk}, nil
	}
	return nil, fmt.Errorf("unknown load generator %q (want wrk, go or auto)", name)
}

// goLoad is the built-in load generator: one goroutine per keep-alive
// connection, each sending its share of the workload's requests.
type goLoad struct{}

func (goLoad) name() string { return "built-in (Go)" }

func (goLoad) run(ctx context.Context, base string, w workload, connections int, d time.Duration, offset int) (result, error) {
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	var latencies []time.Duration
	errorCount := 0
	var wg sync.WaitGroup
	for c := range connections {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
			defer client.CloseIdleConnections()
			var mine []time.Duration
			bad := 0
			for i := offset + c; time.Now().Before(deadline) && ctx.Err() == nil; i += connections {
				start := time.Now()
				status, _, err := send(client, base, w, i)
				if err != nil || status != http.StatusOK {
					bad++
					continue
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			errorCount += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(latencies) == 0 {
		return result{errors: errorCount}, errors.New("no request succeeded")
	}
	slices.Sort(latencies)
	return result{
		rps:    float64(len(latencies)) / d.Seconds(),
		p50:    latencies[len(latencies)/2],
		p99:    latencies[len(latencies)*99/100],
		errors: errorCount,
	}, nil
}

// wrkLoad drives the server with wrk and a Lua script that builds each
// request's body.
type wrkLoad struct{ bin string }

func (wrkLoad) name() string { return "wrk" }

func (l wrkLoad) run(ctx context.Context, base string, w workload, connections int, d time.Duration, offset int) (result, error) {
	dir, err := os.MkdirTemp("", "embedbench-wrk-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	var script strings.Builder
	script.WriteString(luaHelpers)
	fmt.Fprintf(&script, "wrk.method = %q\n", w.method)
	for k, v := range w.headers {
		fmt.Fprintf(&script, "wrk.headers[%q] = %q\n", k, v)
	}
	// Every wrk thread runs its own copy of the script: each starts its
	// counter in a range of its own, so that no text repeats across threads.
	fmt.Fprintf(&script, `local counter = 0
local threads = 0
function setup(thread)
  thread:set("first", %d + threads * %d)
  threads = threads + 1
end
function init(args)
  counter = first
end
`, offset, wrkThreadRange)
	fmt.Fprintf(&script, "request = function()\n  counter = counter + 1\n  local n = counter\n  return wrk.format(nil, %q, nil, %s)\nend\n", w.path, w.lua)
	path := filepath.Join(dir, "load.lua")
	if err := os.WriteFile(path, []byte(script.String()), 0o644); err != nil {
		return result{}, err
	}
	threads := min(2, connections)
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	out, err := exec.CommandContext(ctx, l.bin, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(connections),
		"-d", strconv.Itoa(secs)+"s", "--latency", "-s", path, base+w.path).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v: %s", err, out)
	}
	return parseWrk(string(out))
}

// wrkThreadRange is the number of request numbers each wrk thread has to
// itself: more than a thread sends in a run.
const wrkThreadRange = 1 << 22

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkPct     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSockErr = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parseWrk reads wrk's --latency report.
func parseWrk(out string) (result, error) {
	var r result
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk printed no Requests/sec: %s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, p := range wrkPct.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[p[3]]
		d := time.Duration(v * float64(unit))
		if p[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.errors, _ = strconv.Atoi(m[1])
	}
	if m := wrkSockErr.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.errors += n
		}
	}
	return r, nil
}

// comparison is a workload's medians for both servers.
type comparison struct {
	w                  workload
	baseline, embedded summary
	payload            int
}

type summary struct {
	result
	rss     int64
	startup time.Duration
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func summarise(rs []result) result {
	var rps []float64
	var p50, p99 []time.Duration
	errs := 0
	for _, r := range rs {
		rps, p50, p99 = append(rps, r.rps), append(p50, r.p50), append(p99, r.p99)
		errs += r.errors
	}
	return result{rps: median(rps), p50: median(p50), p99: median(p99), errors: errs}
}

// measure runs one workload: embedmock and the baseline, interleaved.
func measure(ctx context.Context, s settings, gen loadGenerator, w workload, self, dir string) (comparison, error) {
	args := []string{"serve", "--addr", "127.0.0.1:0"}
	if w.prepare != nil {
		extra, err := w.prepare(dir)
		if err != nil {
			return comparison{}, err
		}
		args = append(args, extra...)
	}
	em, err := start(ctx, "embedmock", w, s.embedmock, args...)
	if err != nil {
		return comparison{}, err
	}
	defer em.stop()
	_, sample, err := send(http.DefaultClient, em.url, w, 0)
	if err != nil {
		return comparison{}, err
	}
	bodyFile := filepath.Join(dir, w.name+".body")
	if err := os.WriteFile(bodyFile, sample, 0o644); err != nil {
		return comparison{}, err
	}
	base, err := start(ctx, "baseline", w, self, "baseline", "--body", bodyFile)
	if err != nil {
		return comparison{}, err
	}
	defer base.stop()

	var baseRuns, emRuns []result
	offset := 1 << 20 // past the texts used to start the servers
	for r := range s.runs {
		for _, target := range []*server{base, em} {
			if _, err := gen.run(ctx, target.url, w, s.connections, s.warmup, offset); err != nil {
				return comparison{}, fmt.Errorf("%s warm-up: %w", target.name, err)
			}
			offset += 1 << 24
			res, err := gen.run(ctx, target.url, w, s.connections, s.duration, offset)
			if err != nil {
				return comparison{}, fmt.Errorf("%s run %d: %w", target.name, r+1, err)
			}
			offset += 1 << 24
			if target == base {
				baseRuns = append(baseRuns, res)
			} else {
				emRuns = append(emRuns, res)
			}
		}
	}
	return comparison{
		w: w, payload: len(sample),
		baseline: summary{summarise(baseRuns), base.peakRSS(), base.startup},
		embedded: summary{summarise(emRuns), em.peakRSS(), em.startup},
	}, nil
}

func printTable(out io.Writer, cs []comparison) {
	bw := bufio.NewWriter(out)
	defer bw.Flush()
	fmt.Fprintf(bw, "| workload | response | server | req/s | p50 | p99 | peak RSS | start-up | req/s ratio | p99 ratio |\n")
	fmt.Fprintf(bw, "|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range cs {
		b, e := c.baseline, c.embedded
		row := func(name string, s summary, ratios string) {
			errs := ""
			if s.errors > 0 {
				errs = fmt.Sprintf(" (%d errors)", s.errors)
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %.0f%s | %s | %s | %.1f MB | %s | %s |\n", c.w.name, kb(c.payload), name,
				s.rps, errs, ms(s.p50), ms(s.p99), float64(s.rss)/(1<<20), ms(s.startup), ratios)
		}
		row("baseline", b, " | ")
		row("embedmock", e, fmt.Sprintf("**%.2f** | %.2f", e.rps/b.rps, float64(e.p99)/float64(b.p99)))
	}
}

func kb(n int) string { return fmt.Sprintf("%.1f KB", float64(n)/1024) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
