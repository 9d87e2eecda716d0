// Command embedmock runs the embedmock fake embedding API server.
//
// Usage:
//
//	embedmock serve [flags]             run the fake server (see embedmock serve -h)
//	embedmock record [flags]            record real API traffic into a cassette
//	embedmock replay --cassette PATH    answer from recorded cassettes
//	embedmock cassette check PATH...    look for credentials left in cassettes
//	embedmock healthcheck [--addr A]    exit 0 when the server at A answers
//	embedmock version                   print the version
//
// Every flag has an EMBEDMOCK_* environment variable equivalent; a flag given
// on the command line wins over the environment. The command only maps flags
// onto mockserver options and runs an HTTP server; all behaviour lives in
// package mockserver.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `embedmock: a fake embedding API server for tests

Usage:
  embedmock serve [flags]             run the fake server (embedmock serve -h lists the flags)
  embedmock record [flags]            proxy to the real API and record every interaction into a cassette
  embedmock replay --cassette PATH    answer from recorded cassettes (misses are errors unless --on-miss)
  embedmock cassette check PATH...    fail if a cassette holds something that looks like a credential
  embedmock healthcheck [--addr A]    exit 0 when the server at A (default 127.0.0.1:8080) answers its health check
  embedmock version                   print the version
  embedmock help                      print this help
`

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve", "replay":
		return serve(ctx, args[0], args[1:], stdout, stderr)
	case "record":
		return record(ctx, args[1:], stdout, stderr)
	case "cassette":
		return cassetteCommand(args[1:], stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "embedmock %s (vectors %s, %s)\n", mockserver.Version, fakeembed.Version, runtime.Version())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "embedmock: unknown command %q\n\n%s", args[0], usage)
	return 2
}
