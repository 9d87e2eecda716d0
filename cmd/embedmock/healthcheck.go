package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// healthcheck asks a running server for /_embedmock/health and exits 0 if
// it answers 200: a container HEALTHCHECK that needs no curl.
func healthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("healthcheck", stderr)
	addr := c.fs.String("addr", "127.0.0.1:8080", "`host:port` (or URL) of the server to check")
	timeout := c.fs.Duration("timeout", 2*time.Second, "how long to wait for the answer")
	c.bind("addr", "EMBEDMOCK_ADDR", false)
	if code, ok := c.parse(args, stderr); !ok {
		return code
	}
	base := *addr
	if !strings.Contains(base, "://") {
		// A server listening on all interfaces is reached on loopback.
		base = "http://" + strings.Replace(base, "0.0.0.0:", "127.0.0.1:", 1)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/_embedmock/health", nil)
	if err != nil {
		fmt.Fprintf(stderr, "embedmock healthcheck: %v\n", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "embedmock healthcheck: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "embedmock healthcheck: %s answered %s\n", base, resp.Status)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", strings.TrimSpace(string(body)))
	return 0
}
