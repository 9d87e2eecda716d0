// Command embedbench measures embedmock under load against a baseline
// measured in the same run: a minimal Go HTTP server that answers every
// request with pre-encoded bytes of exactly the size embedmock sends.
//
// For each workload it starts both servers as separate processes, drives
// each with the same load (concurrency, duration, warm-up, keep-alive,
// distinct texts per request unless the workload repeats one), interleaves
// the runs (baseline, embedmock, baseline, ...) and prints req/s, p50 and
// p99 latency, peak RSS, start-up time to the first 200, and the ratio of
// embedmock's medians to the baseline's. It uses wrk when installed and a
// built-in Go load generator otherwise. Everything runs on 127.0.0.1.
//
// Usage:
//
//	go run ./cmd/embedbench [flags]
//	go run ./cmd/embedbench -quick          (a short smoke run)
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "baseline" {
		os.Exit(runBaseline(os.Args[2:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// settings are the measurement parameters.
type settings struct {
	duration, warmup time.Duration
	connections      int
	runs             int
	loadgen          string // wrk, go or auto
	embedmock        string // binary; built from ./cmd/embedmock when empty
	workloads        []string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("embedbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var s settings
	fs.DurationVar(&s.duration, "duration", 10*time.Second, "measured time of each run")
	fs.DurationVar(&s.warmup, "warmup", 3*time.Second, "load before each measured run")
	fs.IntVar(&s.connections, "connections", 16, "concurrent keep-alive connections")
	fs.IntVar(&s.runs, "runs", 3, "interleaved runs per server and workload (medians are reported)")
	fs.StringVar(&s.loadgen, "loadgen", "auto", "load generator: wrk, go, or auto (wrk when installed)")
	fs.StringVar(&s.embedmock, "embedmock", "", "embedmock binary to measure (default: built from ./cmd/embedmock)")
	names := fs.String("workloads", strings.Join(workloadNames(), ","), "comma-separated workloads")
	quick := fs.Bool("quick", false, "a short smoke run: 1 run of 1 s after 0.3 s of warm-up")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *quick {
		s.duration, s.warmup, s.runs = time.Second, 300*time.Millisecond, 1
	}
	for _, n := range strings.Split(*names, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !slices.Contains(workloadNames(), n) {
			fmt.Fprintf(stderr, "embedbench: unknown workload %q (have %s)\n", n, strings.Join(workloadNames(), ", "))
			return 2
		}
		s.workloads = append(s.workloads, n)
	}
	gen, err := chooseLoadGenerator(s.loadgen)
	if err != nil {
		fmt.Fprintln(stderr, "embedbench:", err)
		return 2
	}
	work, err := os.MkdirTemp("", "embedbench-")
	if err != nil {
		fmt.Fprintln(stderr, "embedbench:", err)
		return 1
	}
	defer os.RemoveAll(work)
	if s.embedmock == "" {
		if s.embedmock, err = buildEmbedmock(work); err != nil {
			fmt.Fprintln(stderr, "embedbench:", err)
			return 1
		}
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "embedbench:", err)
		return 1
	}

	fmt.Fprintf(stdout, "embedbench: %d connections, keep-alive, %v warm-up, %v measured, %d interleaved run(s), load generator %s\n\n",
		s.connections, s.warmup, s.duration, s.runs, gen.name())
	var results []comparison
	for _, name := range s.workloads {
		if ctx.Err() != nil {
			break
		}
		w := workloads[name]
		c, err := measure(ctx, s, gen, w, self, work)
		if err != nil {
			fmt.Fprintf(stderr, "embedbench: %s: %v\n", name, err)
			return 1
		}
		results = append(results, c)
	}
	printTable(stdout, results)
	return 0
}
