package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver"
)

// command is a subcommand's flag set and the environment variables of its
// flags.
type command struct {
	fs  *flag.FlagSet
	env []envFlag
}

func newCommand(name string, stderr io.Writer) *command {
	fs := flag.NewFlagSet("embedmock "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &command{fs: fs}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: embedmock %s [flags]\n\nFlags (environment variable in brackets):\n", name)
		fs.VisitAll(func(f *flag.Flag) {
			argName, text := flag.UnquoteUsage(f)
			fmt.Fprintf(stderr, "  --%s %s\n    \t%s (default %q) [%s]\n", f.Name, argName, text, f.DefValue, c.envName(f.Name))
		})
	}
	return c
}

func (c *command) envName(flagName string) string {
	for _, ef := range c.env {
		if ef.name == flagName {
			return ef.env
		}
	}
	return ""
}

// bind registers the environment variable of a flag defined on c.fs.
func (c *command) bind(flagName, env string, list bool) {
	c.env = append(c.env, envFlag{name: flagName, env: env, list: list})
}

// parse reads the command line, then the environment for flags not given.
// It returns false (with the exit code) when the command should stop.
func (c *command) parse(args []string, stderr io.Writer) (int, bool) {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if c.fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", c.fs.Name(), c.fs.Arg(0))
		return 2, false
	}
	if err := applyEnv(c.fs, c.env, lookupEnv); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.fs.Name(), err)
		return 2, false
	}
	return 0, true
}

// listenFlags are the flags of every command that runs a server.
type listenFlags struct {
	addr              *string
	maxBody           byteSize
	maxFileSize       byteSize
	maxHeaderBytes    byteSize
	readHeaderTimeout *time.Duration
	readTimeout       *time.Duration
	idleTimeout       *time.Duration
	maxConnections    *int
	shutdownTimeout   *time.Duration
	redactHeaders     stringList
	redactFields      stringList
}

func (c *command) listenFlags() *listenFlags {
	l := &listenFlags{maxBody: mockserver.DefaultMaxBodyBytes, maxFileSize: mockserver.DefaultMaxFileBytes, maxHeaderBytes: defaultMaxHeaderBytes}
	l.addr = c.fs.String("addr", "127.0.0.1:8080", "`host:port` to listen on; port 0 picks a free port")
	c.fs.Var(&l.maxBody, "max-body", "request body `limit` in bytes; K, M, G suffixes allowed")
	c.fs.Var(&l.maxFileSize, "max-file-size", "largest uploaded file in bytes; K, M, G suffixes allowed")
	c.fs.Var(&l.maxHeaderBytes, "max-header-bytes", "largest request line and headers in `bytes`; K, M suffixes allowed")
	l.readHeaderTimeout = c.fs.Duration("read-header-timeout", 10*time.Second, "how long a client may take to send a request's headers")
	l.readTimeout = c.fs.Duration("read-timeout", 10*time.Minute, "how long a client may take to send a whole request, body included; 0 for no limit")
	l.idleTimeout = c.fs.Duration("idle-timeout", 2*time.Minute, "how long an idle keep-alive connection is kept open")
	l.maxConnections = c.fs.Int("max-connections", defaultMaxConnections, "most connections open at once; further clients wait to be accepted; 0 for no limit")
	l.shutdownTimeout = c.fs.Duration("shutdown-timeout", 10*time.Second, "how long in-flight requests may take to finish on SIGINT/SIGTERM")
	c.fs.Var(&l.redactHeaders, "redact-header", "also redact this header's values in recorded interactions (repeatable)")
	c.fs.Var(&l.redactFields, "redact-field", "also redact this JSON field's values in recorded interactions (repeatable)")
	c.bind("addr", "EMBEDMOCK_ADDR", false)
	c.bind("max-body", "EMBEDMOCK_MAX_BODY", false)
	c.bind("max-file-size", "EMBEDMOCK_MAX_FILE_SIZE", false)
	c.bind("max-header-bytes", "EMBEDMOCK_MAX_HEADER_BYTES", false)
	c.bind("read-header-timeout", "EMBEDMOCK_READ_HEADER_TIMEOUT", false)
	c.bind("read-timeout", "EMBEDMOCK_READ_TIMEOUT", false)
	c.bind("idle-timeout", "EMBEDMOCK_IDLE_TIMEOUT", false)
	c.bind("max-connections", "EMBEDMOCK_MAX_CONNECTIONS", false)
	c.bind("shutdown-timeout", "EMBEDMOCK_SHUTDOWN_TIMEOUT", false)
	c.bind("redact-header", "EMBEDMOCK_REDACT_HEADERS", true)
	c.bind("redact-field", "EMBEDMOCK_REDACT_FIELDS", true)
	return l
}

// Defaults of the connection limits.
const (
	defaultMaxHeaderBytes = 64 << 10
	defaultMaxConnections = 1024
)

// listener returns what runServer needs to serve on l's address.
func (l *listenFlags) listener() listenConfig {
	return listenConfig{
		addr: *l.addr, maxHeaderBytes: int(l.maxHeaderBytes), readHeaderTimeout: *l.readHeaderTimeout,
		readTimeout: *l.readTimeout, idleTimeout: *l.idleTimeout, maxConnections: *l.maxConnections,
		shutdownTimeout: *l.shutdownTimeout,
	}
}

func (l *listenFlags) options() []mockserver.Option {
	return []mockserver.Option{
		mockserver.WithMaxBodyBytes(int64(l.maxBody)),
		mockserver.WithMaxFileBytes(int64(l.maxFileSize)),
		mockserver.WithRedaction(l.redactHeaders, l.redactFields),
	}
}

// serve runs the fake server (`embedmock serve`), or the replaying server
// (`embedmock replay`: cassettes required, misses are errors by default).
func serve(ctx context.Context, name string, args []string, stdout, stderr io.Writer) int {
	replay := name == "replay"
	c := newCommand(name, stderr)
	listen := c.listenFlags()
	vectors := c.fs.String("vectors", "lexical", "vector `mode`: lexical (shared words give similar vectors) or hash")
	modelsFile := c.fs.String("models", "", "replace the Gemini model catalog with the JSON `file` (format of the built-in catalog)")
	legacy := c.fs.Bool("legacy-models", false, "also serve the legacy models text-embedding-004 and embedding-001")
	var apiKeys stringList
	c.fs.Var(&apiKeys, "api-key", "accept only this API `key` (repeatable); by default any non-empty key is accepted")
	batchDelay := c.fs.Duration("batch-delay", 0, "how long a batch job takes (PENDING for the first half, RUNNING for the second); 0 finishes it by the first poll")
	batchTTL := c.fs.Duration("batch-ttl", mockserver.DefaultBatchTTL, "how long a batch job may take before it expires")
	dataDir := c.fs.String("data-dir", "", "persist batch jobs, files and uploads in this `directory` (default: memory only)")
	maxFiles := c.fs.Int("max-files", mockserver.DefaultMaxFiles, "most files stored at once (uploads in progress included)")
	maxBatches := c.fs.Int("max-batches", mockserver.DefaultMaxBatches, "most batch jobs stored at once")
	maxBatchRequests := c.fs.Int("max-batch-requests", mockserver.DefaultMaxBatchRequests, "most requests in one batch job")
	var cassettes stringList
	c.fs.Var(&cassettes, "cassette", "answer from this cassette `file or directory` (repeatable)")
	defaultMiss := "fake"
	if replay {
		defaultMiss = "error"
	}
	onMiss := c.fs.String("on-miss", defaultMiss, "what a request no cassette answers gets: error, fake or record")
	upstream := c.fs.String("upstream", mockserver.DefaultUpstream, "`URL` of the API that --on-miss record forwards to")
	recordTo := c.fs.String("record-to", "", "cassette `file` that --on-miss record appends to (default: the --cassette file, or recorded.yaml in the --cassette directory)")
	replayLatency := c.fs.Bool("replay-latency", false, "replay each answer after its recorded latency")
	journalSize := c.fs.Int("journal-size", mockserver.DefaultJournalSize, "how many requests GET /_embedmock/requests keeps; 0 turns the journal off")
	rpm := c.fs.Int("rpm", 0, "requests per minute allowed per API key; 0 for no limit")
	tpm := c.fs.Int("tpm", 0, "input tokens (estimated) per minute allowed per API key; 0 for no limit")
	faultRate := c.fs.Float64("fault-rate", 0, "fraction (0-1) of API requests that fail at random")
	faultStatus := c.fs.Int("fault-status", http.StatusServiceUnavailable, "HTTP status of random faults")
	faultSeed := c.fs.Uint64("fault-seed", 1, "seed of the random faults")
	fakeClock := c.fs.Bool("fake-clock", false, "stop the server clock at start; POST /_embedmock/clock moves it")
	gradientPrefix := c.fs.String("gradient-prefix", mockserver.DefaultGradientPrefix, "path `prefix` of the Gradient API (the path of GRADIENT_API_URL)")
	gradientDims := c.fs.Int("gradient-dimensions", mockserver.DefaultGradientDimensions, "dimension of Gradient (bge-large) vectors")
	vectorCache := byteSize(mockserver.DefaultVectorCacheBytes)
	c.fs.Var(&vectorCache, "vector-cache", "bytes of recently served vectors to keep, encoded; 0 turns the cache off")
	openAIEmptyInput := c.fs.Bool("openai-empty-input", false, "accept \"\" as an OpenAI input instead of answering 400")
	maxCassetteSize := byteSize(mockserver.DefaultMaxCassetteBytes)
	c.fs.Var(&maxCassetteSize, "max-cassette-size", "largest cassette file loaded, in `bytes`; K, M, G suffixes allowed; 0 for no limit")
	admin := c.fs.Bool("admin", true, "serve the admin API (/_embedmock/...) on --addr; the health check is always served")
	adminAddr := c.fs.String("admin-addr", "", "serve the admin API on this `host:port` instead of on --addr")
	for flagName, env := range map[string]string{
		"vectors": "EMBEDMOCK_VECTORS", "models": "EMBEDMOCK_MODELS", "legacy-models": "EMBEDMOCK_LEGACY_MODELS",
		"batch-delay": "EMBEDMOCK_BATCH_DELAY", "batch-ttl": "EMBEDMOCK_BATCH_TTL", "data-dir": "EMBEDMOCK_DATA_DIR",
		"max-files": "EMBEDMOCK_MAX_FILES", "max-batches": "EMBEDMOCK_MAX_BATCHES", "on-miss": "EMBEDMOCK_ON_MISS",
		"max-batch-requests": "EMBEDMOCK_MAX_BATCH_REQUESTS",
		"journal-size":       "EMBEDMOCK_JOURNAL_SIZE", "rpm": "EMBEDMOCK_RPM", "tpm": "EMBEDMOCK_TPM",
		"fault-rate": "EMBEDMOCK_FAULT_RATE", "fault-status": "EMBEDMOCK_FAULT_STATUS", "fault-seed": "EMBEDMOCK_FAULT_SEED",
		"fake-clock": "EMBEDMOCK_FAKE_CLOCK", "gradient-prefix": "EMBEDMOCK_GRADIENT_PREFIX",
		"gradient-dimensions": "EMBEDMOCK_GRADIENT_DIMENSIONS", "openai-empty-input": "EMBEDMOCK_OPENAI_EMPTY_INPUT",
		"vector-cache": "EMBEDMOCK_VECTOR_CACHE", "admin": "EMBEDMOCK_ADMIN", "admin-addr": "EMBEDMOCK_ADMIN_ADDR",
		"max-cassette-size": "EMBEDMOCK_MAX_CASSETTE_SIZE",
		"upstream":          "EMBEDMOCK_UPSTREAM", "record-to": "EMBEDMOCK_RECORD_TO", "replay-latency": "EMBEDMOCK_REPLAY_LATENCY",
	} {
		c.bind(flagName, env, false)
	}
	c.bind("api-key", "EMBEDMOCK_API_KEYS", true)
	c.bind("cassette", "EMBEDMOCK_CASSETTES", true)
	if code, ok := c.parse(args, stderr); !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, c.fs.Name()+": "+format+"\n", a...)
		return 2
	}

	mode, err := fakeembed.ParseMode(*vectors)
	if err != nil {
		return fail("--vectors: %v", err)
	}
	miss, err := mockserver.ParseMissPolicy(*onMiss)
	if err != nil {
		return fail("--on-miss: %v", err)
	}
	if replay && len(cassettes) == 0 {
		return fail("--cassette is required")
	}
	opts := append(listen.options(),
		mockserver.WithVectorMode(mode),
		mockserver.WithLegacyModels(*legacy),
		mockserver.WithAPIKeys(apiKeys...),
		mockserver.WithBatchDelay(*batchDelay),
		mockserver.WithBatchTTL(*batchTTL),
		mockserver.WithDataDir(*dataDir),
		mockserver.WithMaxFiles(*maxFiles),
		mockserver.WithMaxBatches(*maxBatches),
		mockserver.WithMaxBatchRequests(*maxBatchRequests),
		mockserver.WithLogOutput(stderr),
		mockserver.WithJournalSize(*journalSize),
		mockserver.WithRateLimits(*rpm, *tpm),
		mockserver.WithRandomFaults(*faultRate, *faultStatus, *faultSeed),
		mockserver.WithGradient(*gradientPrefix, *gradientDims),
		mockserver.WithOpenAIEmptyInput(*openAIEmptyInput),
		mockserver.WithVectorCacheBytes(int(vectorCache)),
		mockserver.WithAdminRoutes(*admin && *adminAddr == ""),
		mockserver.WithMaxCassetteBytes(int64(maxCassetteSize)),
	)
	if *fakeClock {
		opts = append(opts, mockserver.WithFakeClock(mockserver.NewFakeClock(time.Now())))
	}
	if *modelsFile != "" {
		models, err := mockserver.LoadGeminiModelsFile(*modelsFile)
		if err != nil {
			return fail("--models: %v", err)
		}
		opts = append(opts, mockserver.WithGeminiModels(models))
	}
	if len(cassettes) > 0 {
		opts = append(opts, mockserver.WithCassettes(cassettes...), mockserver.WithMissPolicy(miss),
			mockserver.WithUpstream(*upstream), mockserver.WithReplayLatency(*replayLatency))
		if miss == mockserver.MissRecord {
			target := *recordTo
			if target == "" {
				target = defaultRecordTarget(cassettes)
			}
			if target == "" {
				return fail("--on-miss record with several cassettes needs --record-to")
			}
			opts = append(opts, mockserver.WithRecordTo(target, false))
		}
	}
	srv, err := mockserver.New(opts...)
	if err != nil {
		return fail("%v", err)
	}
	defer closeServer(srv, c.fs.Name(), stderr)
	lc := listen.listener()
	if *adminAddr != "" {
		lc.adminAddr, lc.admin = *adminAddr, srv.AdminHandler()
	}
	return runServer(ctx, c.fs.Name(), srv, lc, stdout, stderr)
}

// closeServer closes srv (which writes out the cassette being recorded)
// and reports a failure to do so.
func closeServer(srv *mockserver.Server, name string, stderr io.Writer) {
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "%s: closing the cassette: %v\n", name, err)
	}
}

// defaultRecordTarget is where --on-miss record appends when --record-to
// is not given: the one cassette file, or recorded.yaml in the one
// cassette directory.
func defaultRecordTarget(cassettes []string) string {
	if len(cassettes) != 1 {
		return ""
	}
	if info, err := os.Stat(cassettes[0]); err == nil && info.IsDir() {
		return filepath.Join(cassettes[0], "recorded.yaml")
	}
	return cassettes[0]
}

// record runs the recording proxy (`embedmock record`).
func record(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("record", stderr)
	listen := c.listenFlags()
	upstream := c.fs.String("upstream", mockserver.DefaultUpstream, "`URL` of the API to forward to and record")
	cassette := c.fs.String("cassette", "", "cassette `file` to record to (.yaml is added if missing); existing interactions are kept")
	overwrite := c.fs.Bool("overwrite", false, "start the cassette afresh instead of appending")
	c.bind("upstream", "EMBEDMOCK_UPSTREAM", false)
	c.bind("cassette", "EMBEDMOCK_CASSETTE", false)
	c.bind("overwrite", "EMBEDMOCK_OVERWRITE", false)
	if code, ok := c.parse(args, stderr); !ok {
		return code
	}
	if *cassette == "" {
		fmt.Fprintln(stderr, "embedmock record: --cassette is required")
		return 2
	}
	opts := append(listen.options(), mockserver.WithProxy(), mockserver.WithUpstream(*upstream),
		mockserver.WithRecordTo(*cassette, *overwrite), mockserver.WithLogOutput(stderr))
	srv, err := mockserver.New(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "embedmock record: %v\n", err)
		return 2
	}
	defer closeServer(srv, "embedmock record", stderr)
	return runServer(ctx, "embedmock record", srv, listen.listener(), stdout, stderr)
}

// listenConfig is where and how a server listens.
type listenConfig struct {
	addr                                        string
	maxHeaderBytes                              int
	readHeaderTimeout, readTimeout, idleTimeout time.Duration
	maxConnections                              int
	shutdownTimeout                             time.Duration
	adminAddr                                   string       // a second address, for admin
	admin                                       http.Handler // served on adminAddr
}

// runServer serves h on lc.addr (and lc.admin on lc.adminAddr) until ctx
// is cancelled (SIGINT or SIGTERM), then shuts down gracefully: new
// connections are refused, in-flight requests finish within
// lc.shutdownTimeout, and the process exits.
func runServer(ctx context.Context, name string, h http.Handler, lc listenConfig, stdout, stderr io.Writer) int {
	type served struct {
		srv *http.Server
		ln  net.Listener
	}
	var servers []served
	listen := func(addr string, h http.Handler) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		if lc.maxConnections > 0 {
			ln = newLimitListener(ln, lc.maxConnections)
		}
		servers = append(servers, served{ln: ln, srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: lc.readHeaderTimeout,
			ReadTimeout:       lc.readTimeout,
			IdleTimeout:       lc.idleTimeout,
			MaxHeaderBytes:    lc.maxHeaderBytes,
		}})
		return nil
	}
	defer func() {
		for _, s := range servers {
			s.ln.Close()
		}
	}()
	if err := listen(lc.addr, h); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	if lc.adminAddr != "" {
		if err := listen(lc.adminAddr, lc.admin); err != nil {
			fmt.Fprintf(stderr, "%s: admin: %v\n", name, err)
			return 1
		}
	}
	failed := make(chan error, len(servers))
	for _, s := range servers {
		go func() {
			if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				failed <- err
			}
		}()
	}
	fmt.Fprintf(stdout, "embedmock listening on http://%s\n", servers[0].ln.Addr())
	if len(servers) > 1 {
		fmt.Fprintf(stdout, "embedmock admin API on http://%s\n", servers[1].ln.Addr())
	}

	select {
	case err := <-failed:
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), lc.shutdownTimeout)
	defer cancel()
	code := 0
	for _, s := range servers {
		if err := s.srv.Shutdown(shutdownCtx); err != nil {
			fmt.Fprintf(stderr, "%s: shutdown: %v\n", name, err)
			code = 1
		}
	}
	return code
}

// limitListener accepts at most max connections at once: Accept waits
// for an open connection to close first, so further clients wait in the
// listen queue rather than being refused.
type limitListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newLimitListener(l net.Listener, max int) *limitListener {
	return &limitListener{Listener: l, slots: make(chan struct{}, max), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitedConn gives its slot back once, when closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
