package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/dnaeon/go-vcr.v3/cassette"

	"github.com/embedmock/embedmock/mockserver"
)

// emProc is a running embedmock binary whose stdout and stderr are kept.
type emProc struct {
	cmd  *exec.Cmd
	url  string
	out  *procOutput
	done chan struct{} // closed when the process has exited
}

// procOutput collects a process's output and reports its first line.
type procOutput struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan string
	sent  bool
}

func (o *procOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if !o.sent {
		if line, _, ok := strings.Cut(o.buf.String(), "\n"); ok && strings.HasPrefix(line, "embedmock listening on ") {
			o.sent = true
			o.first <- line
		}
	}
	return len(p), nil
}

func (o *procOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// emBinary returns the binary built for these tests, skipping the test
// when it cannot be built here (no go command, or -short).
func emBinary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build the binary with")
	}
	return buildBinary(t)
}

// startEmProc runs `embedmock COMMAND --addr 127.0.0.1:0 ARGS...` and
// waits (at most 20 s) for its "listening on" line. The process is killed
// at the end of the test if still running.
func startEmProc(t *testing.T, command string, args ...string) *emProc {
	t.Helper()
	return startEmProcOwned(t, t, command, args...)
}

// startEmProcOwned is startEmProc for a process that outlives t: owner
// kills it at its end.
func startEmProcOwned(t, owner *testing.T, command string, args ...string) *emProc {
	t.Helper()
	out := &procOutput{first: make(chan string, 1)}
	cmd := exec.Command(emBinary(t), append([]string{command, "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	p := &emProc{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	owner.Cleanup(func() { p.kill(owner) })
	select {
	case line := <-out.first:
		p.url = strings.TrimPrefix(line, "embedmock listening on ")
	case <-p.done:
		t.Fatalf("embedmock %s exited before listening: %s", command, out.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("embedmock %s did not listen within 20s: %s", command, out.String())
	}
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *emProc) kill(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Errorf("embedmock (pid %d) still running 10s after SIGKILL", p.cmd.Process.Pid)
	}
}

// killRounds is EMBEDMOCK_KILL_ROUNDS (default 5).
func killRounds(t *testing.T) int {
	n := 5
	if v := os.Getenv("EMBEDMOCK_KILL_ROUNDS"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err, "EMBEDMOCK_KILL_ROUNDS")
		require.Positive(t, n, "EMBEDMOCK_KILL_ROUNDS")
	}
	return n
}

// killSeed is EMBEDMOCK_KILL_SEED, or the time: it decides when the kills
// happen and what the clients send, and is logged to reproduce a run.
func killSeed(t *testing.T) uint64 {
	if v := os.Getenv("EMBEDMOCK_KILL_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "EMBEDMOCK_KILL_SEED")
		return s
	}
	return uint64(time.Now().UnixNano())
}

// crashClient is an HTTP client with a bounded timeout and a connection
// pool of its own (a new one is used after each restart).
func crashClient() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
}

type crashResponse struct {
	status int
	header http.Header
	body   []byte
}

func crashDo(ctx context.Context, c *http.Client, method, url string, body []byte, headers ...string) (crashResponse, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return crashResponse{}, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return crashResponse{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return crashResponse{}, err
	}
	return crashResponse{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// TestRepeatedSIGKILL kills the binary with SIGKILL at random moments
// under concurrent load, EMBEDMOCK_KILL_ROUNDS times per scenario, and
// checks after each kill what the README promises: a recorded cassette
// always loads and holds every answered request; a data dir serves every
// acknowledged file and job, and nothing half-written.
func TestRepeatedSIGKILL(t *testing.T) {
	emBinary(t)
	rounds, seed := killRounds(t), killSeed(t)
	t.Logf("kill rounds: %d, seed %d (EMBEDMOCK_KILL_SEED reproduces the schedule)", rounds, seed)
	t.Run("record", func(t *testing.T) { crashRecording(t, rounds, seed) })
	t.Run("data-dir", func(t *testing.T) { crashDataDir(t, rounds, seed) })
}

// Real-looking credentials: the cassette check must not find them.
const (
	crashGoogleKey = "AIzaSyCr4shT3stK3y-0123456789abcdefGHIJ"
	crashOpenAIKey = "sk-proj-Cr4shT3stOpenAIKey0123456789abcdefghijklmnop"
)

var crashMarkerPattern = regexp.MustCompile(`mk-\d+-\d+-\d+`)

// recordedRequest is one request sent through the recording proxy.
type recordedRequest struct {
	marker   string
	round    int
	answered bool // the upstream's answer reached the client
	status   int

	method, path string
	body         []byte
	headers      []string
	answer       []byte // kept for the first request of each worker
}

// recordedSet is what was sent through the proxy to one cassette.
type recordedSet struct {
	mu   sync.Mutex
	sent map[string]*recordedRequest
}

// send sends req through the proxy at url; it reports false when the
// proxy did not answer (killed).
func (rs *recordedSet) send(t *testing.T, client *http.Client, url string, req *recordedRequest, want int) bool {
	rs.mu.Lock()
	rs.sent[req.marker] = req
	rs.mu.Unlock()
	r, err := crashDo(context.Background(), client, req.method, url+req.path, req.body, req.headers...)
	if err != nil {
		return false // the proxy is gone: this request was in flight
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	req.answered, req.status = r.header.Get("X-Embedmock-Source") == "upstream", r.status
	if strings.HasSuffix(req.marker, "-0") {
		req.answer = r.body // replayed at the end
	}
	if r.status != want || !req.answered {
		t.Errorf("%s %s: %d (source %q), want %d from the upstream: %.200s", req.method, req.path, r.status, r.header.Get("X-Embedmock-Source"), want, r.body)
	}
	return true
}

func crashRecording(t *testing.T, rounds int, seed uint64) {
	fake, err := mockserver.New()
	require.NoError(t, err)
	upstream := httptest.NewServer(fake)
	t.Cleanup(upstream.Close)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(seed, 1))

	// Odd rounds record into one cassette, restarted and appended to each
	// time, and are killed at a random moment. Even rounds are killed at a
	// random moment while a large interaction (a batch of 100 full
	// vectors, about 3.5 MB of YAML) is being appended, which a kill must
	// not tear either; each records into a cassette of its own, so that
	// the shared one stays small enough to load quickly under -race.
	main := filepath.Join(dir, "killed")
	mainSet := &recordedSet{sent: map[string]*recordedRequest{}}
	survived := 0
	for round := 1; round <= rounds; round++ {
		base, set, probe := main, mainSet, round%2 == 0
		if probe {
			base, set = filepath.Join(dir, fmt.Sprintf("large-%d", round)), &recordedSet{sent: map[string]*recordedRequest{}}
		}
		if t.Run(fmt.Sprintf("round-%d", round), func(t *testing.T) { recordRound(t, round, probe, rng, seed, upstream.URL, base, set) }) {
			survived++
		}
	}
	t.Logf("kills survived: %d of %d (record)", survived, rounds)

	// The shared cassette replays after the last kill, byte for byte.
	replay := startEmProc(t, "replay", "--cassette", main)
	var replayed []*recordedRequest
	for _, req := range mainSet.sent {
		if req.answered && req.answer != nil {
			replayed = append(replayed, req)
		}
	}
	require.NotEmpty(t, replayed, "some request was answered")
	for _, req := range replayed {
		r, err := crashDo(context.Background(), crashClient(), req.method, replay.url+req.path, req.body, req.headers...)
		require.NoError(t, err)
		assert.Equal(t, req.status, r.status, "%s replayed", req.marker)
		assert.Equal(t, "cassette", r.header.Get("X-Embedmock-Source"), "%s replayed", req.marker)
		assert.True(t, bytes.Equal(req.answer, r.body), "%s: the replayed answer differs from the recorded one", req.marker)
	}
	t.Logf("replayed %d recorded requests after the last kill", len(replayed))
}

// recordRound starts the recording proxy on the cassette, loads it with
// concurrent requests, kills it, and checks the cassette.
func recordRound(t *testing.T, round int, probe bool, rng *rand.Rand, seed uint64, upstream, base string, set *recordedSet) {
	path := base + ".yaml"
	started := time.Now()
	p := startEmProc(t, "record", "--upstream", upstream, "--cassette", base)
	startup := time.Since(started)
	client := crashClient()
	killAfter := time.Duration(100+rng.IntN(600)) * time.Millisecond
	bigAt := time.Duration(50+rng.IntN(300)) * time.Millisecond
	spin := time.Duration(rng.IntN(100)) * time.Microsecond
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wrng := rand.New(rand.NewPCG(seed, uint64(round*100+w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ctx.Err() == nil; seq++ {
				marker := fmt.Sprintf("mk-%d-%d-%d", round, w, seq)
				method, path, body, headers, want := recordingRequest(wrng, marker)
				if !set.send(t, client, p.url, &recordedRequest{marker: marker, round: round, method: method, path: path, body: body, headers: headers}, want) {
					return
				}
			}
		}()
	}
	bigSent := make(chan int64, 1)
	if probe {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(bigAt)
			big := bigRecordingRequest(fmt.Sprintf("mk-%d-9-0", round))
			big.round = round
			info, _ := os.Stat(path)
			bigSent <- info.Size()
			set.send(t, client, p.url, big, 200)
		}()
	}
	how := fmt.Sprintf("at a random moment, %v into the round", killAfter)
	if probe {
		// Poll the cassette's size; a jump of 128 KiB between two polls
		// (tens of microseconds apart) is the large interaction being
		// written.
		baseline := <-bigSent
		last, deadline := baseline, time.Now().Add(10*time.Second)
		var jump int64
		for time.Now().Before(deadline) {
			info, err := os.Stat(path)
			if err == nil {
				if jump = info.Size() - last; jump >= 128<<10 {
					break
				}
				last = info.Size()
			}
		}
		for end := time.Now().Add(spin); time.Now().Before(end); {
		}
		how = fmt.Sprintf("%v after the cassette was seen growing by %d KiB at once, %d KiB past its size when the large request was sent (seeded: large request %v into the round)",
			spin, jump>>10, (last+jump-baseline)>>10, bigAt)
	} else {
		time.Sleep(killAfter)
	}
	p.kill(t)
	info, _ := os.Stat(path)
	stop()
	wg.Wait()
	client.CloseIdleConnections()

	// The cassette loads with plain go-vcr and passes the credential check.
	loading := time.Now()
	c, err := cassette.Load(base)
	loadTime := time.Since(loading)
	if err != nil {
		t.Errorf("round %d: SIGKILL %s left a cassette that go-vcr cannot load: %v\n"+
			"The README promises that each interaction is written in one write and synced, so that a SIGKILL loses at most the requests in flight and the cassette always loads;\n"+
			"but a write(2) of a large buffer is interrupted by SIGKILL part way (Linux stops copying at the next page when a fatal signal is pending), so recording.Writer.Append\n"+
			"(mockserver/recording/cassettes.go) can leave the first part of an interaction at the end of the file (%d bytes at the kill). Its last bytes:\n%s",
			round, how, err, info.Size(), crashFileTail(path, 300))
		// The next start of the proxy repairs it (dropping the torn
		// interaction); until then go-vcr, and any tool reading the
		// cassette, fails on it.
		again := startEmProc(t, "record", "--upstream", upstream, "--cassette", base)
		again.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-again.done:
		case <-time.After(15 * time.Second):
			t.Fatal("embedmock record did not stop within 15s of SIGTERM")
		}
		repaired, err := cassette.Load(base)
		if assert.NoError(t, err, "round %d: the cassette does not load after a restart either", round) {
			kept := map[string]bool{}
			for _, in := range repaired.Interactions {
				kept[crashMarkerPattern.FindString(in.Request.Body)] = true
			}
			set.mu.Lock()
			for m, req := range set.sent {
				if req.answered {
					assert.True(t, kept[m], "round %d: answered request %s is missing from the repaired cassette", round, m)
				}
			}
			set.mu.Unlock()
			t.Logf("round %d: a restart of embedmock record repairs the torn cassette: %d interactions load", round, len(repaired.Interactions))
		}
		return
	}
	var stdout, stderr bytes.Buffer
	check := exec.Command(emBinary(t), "cassette", "check", path)
	check.Stdout, check.Stderr = &stdout, &stderr
	assert.NoError(t, check.Run(), "round %d: embedmock cassette check: %s%s", round, stdout.String(), stderr.String())

	// It holds every answered request, once, and nothing that was not sent.
	seen := map[string]int{}
	for i, in := range c.Interactions {
		m := crashMarkerPattern.FindString(in.Request.Body)
		if !assert.NotEmpty(t, m, "round %d: interaction %d has no marker: %.200s", round, i, in.Request.Body) {
			continue
		}
		seen[m]++
		assert.Equal(t, i, in.ID, "round %d: interaction ids are in order", round)
		// A bearer token keeps its scheme: "Bearer REDACTED".
		assert.Contains(t, []string{"REDACTED", "Bearer REDACTED"}, crashFirstOf(in.Request.Headers.Get("X-Goog-Api-Key"), in.Request.Headers.Get("Authorization")), "round %d: %s: credentials redacted", round, m)
	}
	answered, inFlight, inFlightRecorded := 0, 0, 0
	set.mu.Lock()
	for m, req := range set.sent {
		switch {
		case req.answered:
			answered++
			assert.Equal(t, 1, seen[m], "round %d: request %s was answered %d before the kill but the cassette holds it %d times", round, m, req.status, seen[m])
		case seen[m] > 0:
			assert.Equal(t, 1, seen[m], "round %d: in-flight request %s recorded %d times", round, m, seen[m])
			if req.round == round {
				inFlight++
				inFlightRecorded++
			}
		case req.round == round:
			inFlight++
		}
	}
	for m := range seen {
		assert.Contains(t, set.sent, m, "round %d: the cassette holds %s, which was never sent", round, m)
	}
	set.mu.Unlock()
	t.Logf("round %d: killed %s (start-up took %v); cassette: %d interactions, %.1f MiB, loaded in %v; answered requests (all rounds) %d, all recorded; in flight at this kill %d, of which %d recorded",
		round, how, startup.Round(time.Millisecond), len(c.Interactions), float64(info.Size())/(1<<20), loadTime.Round(time.Millisecond), answered, inFlight, inFlightRecorded)
	if t.Failed() {
		t.Logf("embedmock output: %.2000s", p.out.String())
	}
}

// bigRecordingRequest is a batch of 100 texts at the full 3072 dimensions:
// an interaction of about 3.5 MB.
func bigRecordingRequest(marker string) *recordedRequest {
	items := make([]string, 100)
	for i := range items {
		items[i] = `{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"` + marker + ` large item ` + strconv.Itoa(i) + `"}]}}`
	}
	return &recordedRequest{marker: marker, method: http.MethodPost, path: "/v1beta/models/gemini-embedding-001:batchEmbedContents",
		body: []byte(`{"requests":[` + strings.Join(items, ",") + `]}`), headers: []string{"X-Goog-Api-Key", crashGoogleKey, "Content-Type", "application/json"}}
}

// recordingRequest draws a request carrying marker: embedContent, a small
// batch, OpenAI, Gradient, or a bad request the upstream answers with a
// 400.
func recordingRequest(rng *rand.Rand, marker string) (method, path string, body []byte, headers []string, status int) {
	gemini := []string{"X-Goog-Api-Key", crashGoogleKey, "Content-Type", "application/json"}
	batch := func(n int, dims string) []byte {
		items := make([]string, n)
		for i := range items {
			items[i] = `{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"` + marker + ` item ` + strconv.Itoa(i) + `"}]}` + dims + `}`
		}
		return []byte(`{"requests":[` + strings.Join(items, ",") + `]}`)
	}
	switch k := rng.IntN(10); {
	case k < 3:
		return http.MethodPost, "/v1beta/models/gemini-embedding-001:embedContent",
			[]byte(`{"content":{"parts":[{"text":"` + marker + ` the quick brown fox"}]},"outputDimensionality":256}`), gemini, 200
	case k < 5:
		return http.MethodPost, "/v1beta/models/gemini-embedding-001:batchEmbedContents", batch(1+rng.IntN(4), `,"outputDimensionality":128`), gemini, 200
	case k < 6:
		return http.MethodPost, "/v1beta/models/gemini-embedding-001:embedContent",
			[]byte(`{"content":{"parts":[{"text":"` + marker + ` larger"}]},"outputDimensionality":768}`), gemini, 200
	case k < 8:
		return http.MethodPost, "/v1/embeddings", []byte(`{"model":"text-embedding-3-small","input":["` + marker + ` openai"],"dimensions":256}`),
			[]string{"Authorization", "Bearer " + crashOpenAIKey, "Content-Type", "application/json"}, 200
	case k < 9:
		return http.MethodPost, "/api/embeddings/bge-large", []byte(`{"inputs":[{"input":"` + marker + ` gradient"}]}`),
			[]string{"Authorization", "Bearer " + crashOpenAIKey, "X-Gradient-Workspace-Id", "crash-workspace-0001", "Content-Type", "application/json"}, 200
	}
	return http.MethodPost, "/v1beta/models/gemini-embedding-001:embedContent",
		[]byte(`{"content":{"parts":[{"text":"` + marker + `"}]},"unknownField":1}`), gemini, 400
}

func crashFileTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(data[max(0, len(data)-n):])
}

func crashFirstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// The states of a file or job in the data-dir model.
const (
	ddCreating = iota // creation sent, not acknowledged
	ddLive            // creation acknowledged
	ddDeleting        // delete sent, not acknowledged
	ddDeleted         // delete acknowledged
	ddGone            // creation never acknowledged and not there after a restart
)

type ddFile struct {
	name      string // files/{id}
	content   []byte
	state     int
	multipart bool
}

type ddJob struct {
	name  string // batches/{id}
	state int
}

// ddSession is a resumable upload whose start was acknowledged.
type ddSession struct {
	file     *ddFile
	path     string // the upload URL's path and query
	acked    int    // bytes acknowledged
	inFlight int    // bytes of the chunk in flight at the kill, -1 if none
	final    bool   // the in-flight chunk finalizes
	done     bool
}

// ddModel is what the clients know about the data dir's content.
type ddModel struct {
	mu           sync.Mutex
	files        map[string]*ddFile
	jobs         map[string]*ddJob
	sessions     []*ddSession
	jobsInFlight int // job creations never acknowledged, not yet accounted for
	problems     []string
}

func (m *ddModel) problem(format string, a ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.problems = append(m.problems, fmt.Sprintf(format, a...))
}

func (m *ddModel) pick(rng *rand.Rand, jobs bool) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var live []string
	if jobs {
		for name, j := range m.jobs {
			if j.state == ddLive {
				live = append(live, name)
			}
		}
	} else {
		for name, f := range m.files {
			if f.state == ddLive && name != ddInputFile {
				live = append(live, name)
			}
		}
	}
	if len(live) == 0 {
		return ""
	}
	slices.Sort(live)
	return live[rng.IntN(len(live))]
}

const ddInputFile = "files/crash-input"

var ddGemini = []string{"X-Goog-Api-Key", crashGoogleKey}

func crashDataDir(t *testing.T, rounds int, seed uint64) {
	dir := t.TempDir()
	args := []string{"--data-dir", dir, "--batch-delay", "100ms", "--max-files", "100000", "--max-batches", "100000"}
	rng := rand.New(rand.NewPCG(seed, 2))
	m := &ddModel{files: map[string]*ddFile{}, jobs: map[string]*ddJob{}}

	p := startEmProc(t, "serve", args...)
	client := crashClient()
	// The input of file jobs, never deleted.
	input := &ddFile{name: ddInputFile, multipart: true}
	for i := range 3 {
		input.content = fmt.Appendf(input.content, `{"key":"k%d","request":{"content":{"parts":[{"text":"crash input %d"}]},"outputDimensionality":128}}`+"\n", i, i)
	}
	r, err := ddMultipart(context.Background(), client, p.url, input)
	require.NoError(t, err)
	require.Equal(t, 200, r.status, string(r.body))
	input.state = ddLive
	m.files[input.name] = input

	survived := 0
	for round := 1; round <= rounds; round++ {
		ok := t.Run(fmt.Sprintf("round-%d", round), func(rt *testing.T) {
			killAfter := time.Duration(200+rng.IntN(1300)) * time.Millisecond
			ctx, stop := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for w := range 6 {
				wrng := rand.New(rand.NewPCG(seed, uint64(1000+round*100+w)))
				wg.Add(1)
				go func() {
					defer wg.Done()
					for seq := 0; ctx.Err() == nil; seq++ {
						if !ddStep(client, p.url, m, wrng, fmt.Sprintf("%d-%d-%d", round, w, seq)) {
							return // the server is gone
						}
					}
				}()
			}
			time.Sleep(killAfter)
			p.kill(rt)
			stop()
			wg.Wait()
			client.CloseIdleConnections()
			rt.Logf("killed %v into the round", killAfter)
			for _, pr := range m.problems {
				rt.Errorf("before the kill: %s", pr)
			}
			m.problems = nil

			p = startEmProcOwned(rt, t, "serve", args...)
			client = crashClient()
			ddVerify(rt, client, p.url, m, round)
			if rt.Failed() {
				rt.Logf("embedmock output: %.2000s", p.out.String())
			}
		})
		if ok {
			survived++
		}
	}
	t.Logf("kills survived: %d of %d (data dir)", survived, rounds)
}

// ddStep does one random operation; it reports false when the server did
// not answer (killed).
func ddStep(client *http.Client, base string, m *ddModel, rng *rand.Rand, id string) bool {
	ctx := context.Background()
	switch k := rng.IntN(20); {
	case k < 3: // resumable upload in 1-4 chunks
		f := &ddFile{name: "files/r-" + id, content: crashRandomBytes(rng, 1+rng.IntN(128<<10))}
		return ddResumable(ctx, client, base, m, rng, f)
	case k < 6: // multipart upload
		f := &ddFile{name: "files/m-" + id, content: crashRandomBytes(rng, 16<<10+rng.IntN(256<<10)), multipart: true}
		m.mu.Lock()
		m.files[f.name] = f
		m.mu.Unlock()
		r, err := ddMultipart(ctx, client, base, f)
		if err != nil {
			return false
		}
		if r.status != 200 {
			m.problem("multipart upload of %s: %d: %.200s", f.name, r.status, r.body)
			return true
		}
		m.mu.Lock()
		f.state = ddLive
		m.mu.Unlock()
	case k < 9: // a batch job, inline or from the input file
		body := `{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"crash ` + id + `"}]},"outputDimensionality":128}}]}}}}`
		if rng.IntN(2) == 0 {
			body = `{"batch":{"inputConfig":{"fileName":"` + ddInputFile + `"}}}`
		}
		m.mu.Lock()
		m.jobsInFlight++
		m.mu.Unlock()
		r, err := crashDo(ctx, client, http.MethodPost, base+"/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent", []byte(body), ddGemini...)
		if err != nil {
			return false
		}
		var op struct{ Name string }
		if r.status != 200 || json.Unmarshal(r.body, &op) != nil || !strings.HasPrefix(op.Name, "batches/") {
			m.problem("creating a job: %d: %.200s", r.status, r.body)
			return true
		}
		m.mu.Lock()
		m.jobsInFlight--
		m.jobs[op.Name] = &ddJob{name: op.Name, state: ddLive}
		m.mu.Unlock()
	case k < 15: // delete a file
		name := m.pick(rng, false)
		if name == "" {
			return true
		}
		return ddDelete(ctx, client, base, m, name, func() *int { return &m.files[name].state }, 403)
	case k < 18: // delete a job
		name := m.pick(rng, true)
		if name == "" {
			return true
		}
		return ddDelete(ctx, client, base, m, name, func() *int { return &m.jobs[name].state }, 404)
	default: // observe a job, which finishes it when due
		name := m.pick(rng, true)
		if name == "" {
			return true
		}
		r, err := crashDo(ctx, client, http.MethodGet, base+"/v1beta/"+name, nil, ddGemini...)
		if err != nil {
			return false
		}
		if r.status != 200 {
			m.mu.Lock()
			deleted := m.jobs[name].state != ddLive
			m.mu.Unlock()
			if !deleted { // a concurrent delete may have won
				m.problem("GET %s: %d: %.200s", name, r.status, r.body)
			}
		}
	}
	return true
}

func ddDelete(ctx context.Context, client *http.Client, base string, m *ddModel, name string, state func() *int, notFound int) bool {
	m.mu.Lock()
	if *state() != ddLive { // another worker got there first
		m.mu.Unlock()
		return true
	}
	*state() = ddDeleting
	m.mu.Unlock()
	r, err := crashDo(ctx, client, http.MethodDelete, base+"/v1beta/"+name, nil, ddGemini...)
	if err != nil {
		return false
	}
	if r.status != 200 {
		m.problem("DELETE %s: %d: %.200s", name, r.status, r.body)
		return true
	}
	m.mu.Lock()
	*state() = ddDeleted
	m.mu.Unlock()
	return true
}

func crashRandomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func ddMultipart(ctx context.Context, client *http.Client, base string, f *ddFile) (crashResponse, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	meta, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json; charset=UTF-8"}})
	fmt.Fprintf(meta, `{"file":{"name":%q}}`, f.name)
	part, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/octet-stream"}})
	part.Write(f.content)
	mw.Close()
	return crashDo(ctx, client, http.MethodPost, base+"/upload/v1beta/files", body.Bytes(), append(slices.Clone(ddGemini),
		"X-Goog-Upload-Protocol", "multipart", "Content-Type", "multipart/related; boundary="+mw.Boundary())...)
}

func ddResumable(ctx context.Context, client *http.Client, base string, m *ddModel, rng *rand.Rand, f *ddFile) bool {
	m.mu.Lock()
	m.files[f.name] = f
	m.mu.Unlock()
	r, err := crashDo(ctx, client, http.MethodPost, base+"/upload/v1beta/files", fmt.Appendf(nil, `{"file":{"name":%q}}`, f.name), append(slices.Clone(ddGemini),
		"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start", "X-Goog-Upload-Header-Content-Length", strconv.Itoa(len(f.content)))...)
	if err != nil {
		return false
	}
	url, ok := strings.CutPrefix(r.header.Get("X-Goog-Upload-URL"), base)
	if r.status != 200 || !ok {
		m.problem("starting the upload of %s: %d (URL %q): %.200s", f.name, r.status, r.header.Get("X-Goog-Upload-URL"), r.body)
		return true
	}
	s := &ddSession{file: f, path: url, inFlight: -1}
	m.mu.Lock()
	m.sessions = append(m.sessions, s)
	m.mu.Unlock()
	chunks := 1 + rng.IntN(4)
	for c := range chunks {
		end := len(f.content) * (c + 1) / chunks
		command := "upload"
		if c == chunks-1 {
			command = "upload, finalize"
		}
		m.mu.Lock()
		s.inFlight, s.final = end-s.acked, c == chunks-1
		start := s.acked
		m.mu.Unlock()
		r, err := crashDo(ctx, client, http.MethodPost, base+url, f.content[start:end], append(slices.Clone(ddGemini),
			"X-Goog-Upload-Command", command, "X-Goog-Upload-Offset", strconv.Itoa(start))...)
		if err != nil {
			return false
		}
		if r.status != 200 {
			m.problem("chunk %d of %s: %d: %.200s", c, f.name, r.status, r.body)
			return true
		}
		m.mu.Lock()
		s.acked, s.inFlight = end, -1
		if s.final {
			s.done, f.state = true, ddLive
		}
		m.mu.Unlock()
	}
	return true
}

// ddVerify checks a restarted server against the model, and brings the
// model up to date (resolving what was in flight at the kill).
func ddVerify(t *testing.T, client *http.Client, base string, m *ddModel, round int) {
	t.Helper()
	ctx := context.Background()
	get := func(path string) crashResponse {
		r, err := crashDo(ctx, client, http.MethodGet, base+path, nil, ddGemini...)
		require.NoError(t, err, "round %d: GET %s", round, path)
		assert.Less(t, r.status, 500, "round %d: GET %s: %s", round, path, r.body)
		return r
	}
	type fileJSON struct {
		Name      string `json:"name"`
		SizeBytes string `json:"sizeBytes"`
	}
	listed := map[string]fileJSON{}
	for token := ""; ; {
		r := get("/v1beta/files?pageSize=100&pageToken=" + token)
		require.Equal(t, 200, r.status, "round %d: files.list: %s", round, r.body)
		var page struct {
			Files         []fileJSON `json:"files"`
			NextPageToken string     `json:"nextPageToken"`
		}
		require.NoError(t, json.Unmarshal(r.body, &page))
		for _, f := range page.Files {
			assert.NotContains(t, listed, f.Name, "round %d: %s listed twice", round, f.Name)
			listed[f.Name] = f
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	// Every listed file is served whole: its download has sizeBytes bytes,
	// and the bytes uploaded if it is one of ours.
	m.mu.Lock()
	defer m.mu.Unlock()
	live, checked := 0, 0
	for name, lf := range listed {
		r := get("/v1beta/" + name + ":download?alt=media")
		if !assert.Equal(t, 200, r.status, "round %d: download of listed %s: %.200s", round, name, r.body) {
			continue
		}
		assert.Equal(t, lf.SizeBytes, strconv.Itoa(len(r.body)), "round %d: %s: sizeBytes and the downloaded length differ", round, name)
		checked++
		f, ours := m.files[name]
		if !ours {
			assert.True(t, strings.HasPrefix(name, "files/batch-"), "round %d: %s is listed but was never uploaded", round, name)
			continue
		}
		assert.True(t, bytes.Equal(f.content, r.body), "round %d: %s (state %d) is served with %d bytes that differ from the %d uploaded", round, name, f.state, len(r.body), len(f.content))
		assert.NotEqual(t, ddDeleted, f.state, "round %d: %s was deleted (acknowledged) but is listed again", round, name)
		if f.state == ddCreating || f.state == ddDeleting {
			f.state = ddLive // the in-flight creation happened, or the delete did not
		}
	}
	for name, f := range m.files {
		_, isListed := listed[name]
		switch f.state {
		case ddLive:
			live++
			if assert.True(t, isListed, "round %d: %s was acknowledged (and not deleted) but is not listed after the restart", round, name) {
				r := get("/v1beta/" + name)
				var got fileJSON
				if assert.Equal(t, 200, r.status, "round %d: GET %s: %s", round, name, r.body) && assert.NoError(t, json.Unmarshal(r.body, &got)) {
					assert.Equal(t, strconv.Itoa(len(f.content)), got.SizeBytes, "round %d: %s sizeBytes", round, name)
				}
			}
		case ddDeleting:
			f.state = ddDeleted // not listed: the delete happened
		case ddDeleted:
			r := get("/v1beta/" + name)
			assert.Equal(t, 403, r.status, "round %d: deleted %s is served again: %s", round, name, r.body)
		case ddCreating:
			f.state = ddGone
			if !f.multipart {
				continue // a resumable upload: resumed below if its session was acknowledged
			}
			// A multipart upload cut short by the kill left nothing behind, so
			// the client's retry under the same name must succeed.
			r, err := ddMultipart(ctx, client, base, f)
			require.NoError(t, err)
			if assert.Equal(t, 200, r.status, "round %d: retrying the multipart upload of %s, which was in flight at the kill and is not listed after the restart: %s"+
				"\n(the file does not exist — GET %s answers %d — yet its name is taken: storeWholeFile (mockserver/files_upload.go) handles a multipart upload as an upload session, "+
				"which newUpload persists in the data dir's uploads/; killed before the upload finished, the session is restored by loadUpload on the next start, "+
				"and fileIDTakenLocked counts its file id as taken. No client knows its upload URL, so nobody can finish or cancel it: the name stays taken, "+
				"and the session counts against --max-files, for 48 hours)",
				round, name, r.body, name, get("/v1beta/"+name).status) {
				f.state = ddLive
				live++
			}
		}
	}
	// Acknowledged resumable sessions resume from what the server holds:
	// the acknowledged bytes, or those plus the chunk in flight.
	for _, s := range m.sessions {
		if s.done || s.file.state == ddDeleted {
			continue
		}
		if s.file.state == ddLive { // the finalizing chunk was in flight and made it
			s.done = true
			continue
		}
		r, err := crashDo(ctx, client, http.MethodPost, base+s.path, nil, append(slices.Clone(ddGemini), "X-Goog-Upload-Command", "query")...)
		require.NoError(t, err)
		if !assert.Equal(t, 200, r.status, "round %d: the acknowledged upload session of %s (%d bytes acknowledged) is gone after the restart: %s", round, s.file.name, s.acked, r.body) {
			s.done = true
			continue
		}
		received, _ := strconv.Atoi(r.header.Get("X-Goog-Upload-Size-Received"))
		valid := []int{s.acked}
		if s.inFlight >= 0 {
			valid = append(valid, s.acked+s.inFlight)
		}
		assert.Contains(t, valid, received, "round %d: upload session of %s resumes at %d bytes; acknowledged %d, in flight %d", round, s.file.name, received, s.acked, s.inFlight)
		received = min(max(received, 0), len(s.file.content))
		r, err = crashDo(ctx, client, http.MethodPost, base+s.path, s.file.content[received:], append(slices.Clone(ddGemini),
			"X-Goog-Upload-Command", "upload, finalize", "X-Goog-Upload-Offset", strconv.Itoa(received))...)
		require.NoError(t, err)
		if assert.Equal(t, 200, r.status, "round %d: resuming %s at %d: %s", round, s.file.name, received, r.body) {
			d := get("/v1beta/" + s.file.name + ":download?alt=media")
			assert.True(t, bytes.Equal(s.file.content, d.body), "round %d: resumed %s: %d bytes served differ from the %d uploaded", round, s.file.name, len(d.body), len(s.file.content))
			s.file.state = ddLive
			live++
		}
		s.done = true
	}

	// Jobs: every acknowledged one is served (and finishes); unknown ones
	// can only be creations that were in flight.
	listedJobs := map[string]bool{}
	for token := ""; ; {
		r := get("/v1beta/batches?pageSize=1000&pageToken=" + token)
		require.Equal(t, 200, r.status, "round %d: batches.list: %s", round, r.body)
		var page struct {
			Operations []struct {
				Name string `json:"name"`
			} `json:"operations"`
			NextPageToken string `json:"nextPageToken"`
		}
		require.NoError(t, json.Unmarshal(r.body, &page))
		for _, op := range page.Operations {
			listedJobs[op.Name] = true
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	unknown := 0
	for name := range listedJobs {
		j, ok := m.jobs[name]
		switch {
		case !ok:
			unknown++
			m.jobs[name] = &ddJob{name: name, state: ddLive}
		case j.state == ddDeleted:
			t.Errorf("round %d: job %s was deleted (acknowledged) but is listed again", round, name)
		case j.state == ddDeleting:
			j.state = ddLive
		}
	}
	assert.LessOrEqual(t, unknown, m.jobsInFlight, "round %d: %d jobs listed that no acknowledged creation made, but only %d creations were in flight", round, unknown, m.jobsInFlight)
	m.jobsInFlight = 0
	liveJobs := 0
	deadline := time.Now().Add(10 * time.Second)
	for name, j := range m.jobs {
		switch j.state {
		case ddDeleting:
			j.state = ddDeleted
		case ddDeleted:
			r := get("/v1beta/" + name)
			assert.Equal(t, 404, r.status, "round %d: deleted job %s is served again: %s", round, name, r.body)
		case ddLive:
			liveJobs++
			assert.True(t, listedJobs[name], "round %d: job %s was acknowledged (and not deleted) but is not listed after the restart", round, name)
			for {
				r := get("/v1beta/" + name)
				if !assert.Equal(t, 200, r.status, "round %d: GET %s: %s", round, name, r.body) {
					break
				}
				var op struct {
					Done     bool `json:"done"`
					Metadata struct {
						State  string `json:"state"`
						Output struct {
							ResponsesFile string `json:"responsesFile"`
						} `json:"output"`
					} `json:"metadata"`
				}
				require.NoError(t, json.Unmarshal(r.body, &op))
				if op.Done {
					assert.Equal(t, "BATCH_STATE_SUCCEEDED", op.Metadata.State, "round %d: %s: %s", round, name, r.body)
					if out := op.Metadata.Output.ResponsesFile; out != "" {
						d := get("/v1beta/" + out + ":download?alt=media")
						assert.Equal(t, 200, d.status, "round %d: output %s of %s: %s", round, out, name, d.body)
						assert.Equal(t, 3, bytes.Count(d.body, []byte("\n")), "round %d: output %s of %s has a line per input", round, out, name)
					}
					break
				}
				if !assert.True(t, time.Now().Before(deadline), "round %d: %s still %s after the restart", round, name, op.Metadata.State) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	t.Logf("round %d: after the restart: %d files listed and downloaded (%d of ours live), %d jobs live (%d whose creation was in flight found persisted)",
		round, checked, live, liveJobs, unknown)
}
