package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// buildEmbedmock builds the embedmock binary into dir.
func buildEmbedmock(dir string) (string, error) {
	bin := filepath.Join(dir, "embedmock")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/embedmock/embedmock/cmd/embedmock").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building embedmock: %v: %s", err, out)
	}
	return bin, nil
}

// server is a server process under measurement.
type server struct {
	name    string
	cmd     *exec.Cmd
	url     string
	startup time.Duration // from exec to the first 200 of a workload request
}

// start runs a server that prints "... listening on http://HOST:PORT" as
// its first line, and waits for its first 200 to the workload's request.
func start(ctx context.Context, name string, w workload, bin string, args ...string) (*server, error) {
	begin := time.Now()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{name: name, cmd: cmd}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("%s did not start: %v", name, err)
	}
	go io.Copy(io.Discard, stdout)
	_, u, ok := strings.Cut(strings.TrimSpace(line), "listening on ")
	if !ok {
		s.stop()
		return nil, fmt.Errorf("%s printed %q instead of its address", name, line)
	}
	s.url = u
	client := &http.Client{Timeout: time.Second}
	for {
		status, _, err := send(client, s.url, w, 0)
		if err == nil && status == http.StatusOK {
			s.startup = time.Since(begin)
			return s, nil
		}
		if time.Since(begin) > 2*time.Minute {
			s.stop()
			return nil, fmt.Errorf("%s answered no 200 within 2 minutes (last: %d %v)", name, status, err)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// peakRSS is the process's peak resident set size (VmHWM), in bytes.
func (s *server) peakRSS() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (s *server) stop() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// send makes request i of a workload and returns the status and body.
func send(client *http.Client, base string, w workload, i int) (int, []byte, error) {
	req, err := http.NewRequest(w.method, base+w.path, strings.NewReader(w.body(i)))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range w.headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// runBaseline is the baseline server: it answers every request with the
// same pre-encoded bytes (embedbench baseline --body FILE).
func runBaseline(args []string) int {
	fs := flag.NewFlagSet("embedbench baseline", flag.ContinueOnError)
	bodyFile := fs.String("body", "", "file holding the response body")
	contentType := fs.String("content-type", "application/json; charset=UTF-8", "the response's Content-Type")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "embedbench baseline:", err)
		return 1
	}
	length := strconv.Itoa(len(body))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		h.Set("Content-Type", *contentType)
		h.Set("Content-Length", length)
		w.Write(body)
	})
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: handler}
	ln, err := listen()
	if err != nil {
		fmt.Fprintln(os.Stderr, "embedbench baseline:", err)
		return 1
	}
	fmt.Printf("baseline listening on http://%s\n", ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "embedbench baseline:", err)
		return 1
	}
	return 0
}
