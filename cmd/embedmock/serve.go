package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver"
)

var serveEnv = []envFlag{
	{name: "addr", env: "EMBEDMOCK_ADDR"},
	{name: "vectors", env: "EMBEDMOCK_VECTORS"},
	{name: "models", env: "EMBEDMOCK_MODELS"},
	{name: "legacy-models", env: "EMBEDMOCK_LEGACY_MODELS"},
	{name: "api-key", env: "EMBEDMOCK_API_KEYS", list: true},
	{name: "max-body", env: "EMBEDMOCK_MAX_BODY"},
	{name: "shutdown-timeout", env: "EMBEDMOCK_SHUTDOWN_TIMEOUT"},
	{name: "batch-delay", env: "EMBEDMOCK_BATCH_DELAY"},
	{name: "batch-ttl", env: "EMBEDMOCK_BATCH_TTL"},
	{name: "data-dir", env: "EMBEDMOCK_DATA_DIR"},
	{name: "max-file-size", env: "EMBEDMOCK_MAX_FILE_SIZE"},
	{name: "max-files", env: "EMBEDMOCK_MAX_FILES"},
	{name: "max-batches", env: "EMBEDMOCK_MAX_BATCHES"},
}

// serve runs the fake server until ctx is cancelled (SIGINT or SIGTERM),
// then shuts down gracefully: in-flight requests finish, new connections are
// refused.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("embedmock serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "`host:port` to listen on; port 0 picks a free port")
	vectors := fs.String("vectors", "lexical", "vector `mode`: lexical (shared words give similar vectors) or hash")
	modelsFile := fs.String("models", "", "replace the Gemini model catalog with the JSON `file` (format of the built-in catalog)")
	legacy := fs.Bool("legacy-models", false, "also serve the legacy models text-embedding-004 and embedding-001")
	var apiKeys stringList
	fs.Var(&apiKeys, "api-key", "accept only this API `key` (repeatable); by default any non-empty key is accepted")
	maxBody := byteSize(mockserver.DefaultMaxBodyBytes)
	fs.Var(&maxBody, "max-body", "request body `limit` in bytes; K, M, G suffixes allowed")
	shutdownTimeout := fs.Duration("shutdown-timeout", 10*time.Second, "how long in-flight requests may take to finish on SIGINT/SIGTERM")
	batchDelay := fs.Duration("batch-delay", 0, "how long a batch job takes (PENDING for the first half, RUNNING for the second); 0 finishes it by the first poll")
	batchTTL := fs.Duration("batch-ttl", mockserver.DefaultBatchTTL, "how long a batch job may take before it expires")
	dataDir := fs.String("data-dir", "", "persist batch jobs, files and uploads in this `directory` (default: memory only)")
	maxFileSize := byteSize(mockserver.DefaultMaxFileBytes)
	fs.Var(&maxFileSize, "max-file-size", "largest uploaded file in bytes; K, M, G suffixes allowed")
	maxFiles := fs.Int("max-files", mockserver.DefaultMaxFiles, "most files stored at once (uploads in progress included)")
	maxBatches := fs.Int("max-batches", mockserver.DefaultMaxBatches, "most batch jobs stored at once")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: embedmock serve [flags]\n\nFlags (environment variable in brackets):\n")
		fs.VisitAll(func(f *flag.Flag) {
			name, text := flag.UnquoteUsage(f)
			env := ""
			for _, ef := range serveEnv {
				if ef.name == f.Name {
					env = ef.env
				}
			}
			fmt.Fprintf(stderr, "  --%s %s\n    \t%s (default %q) [%s]\n", f.Name, name, text, f.DefValue, env)
		})
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "embedmock serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := applyEnv(fs, serveEnv, lookupEnv); err != nil {
		fmt.Fprintf(stderr, "embedmock serve: %v\n", err)
		return 2
	}

	mode, err := fakeembed.ParseMode(*vectors)
	if err != nil {
		fmt.Fprintf(stderr, "embedmock serve: --vectors: %v\n", err)
		return 2
	}
	opts := []mockserver.Option{
		mockserver.WithVectorMode(mode),
		mockserver.WithLegacyModels(*legacy),
		mockserver.WithAPIKeys(apiKeys...),
		mockserver.WithMaxBodyBytes(int64(maxBody)),
		mockserver.WithBatchDelay(*batchDelay),
		mockserver.WithBatchTTL(*batchTTL),
		mockserver.WithDataDir(*dataDir),
		mockserver.WithMaxFileBytes(int64(maxFileSize)),
		mockserver.WithMaxFiles(*maxFiles),
		mockserver.WithMaxBatches(*maxBatches),
	}
	if *modelsFile != "" {
		models, err := mockserver.LoadGeminiModelsFile(*modelsFile)
		if err != nil {
			fmt.Fprintf(stderr, "embedmock serve: --models: %v\n", err)
			return 2
		}
		opts = append(opts, mockserver.WithGeminiModels(models))
	}
	srv, err := mockserver.New(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "embedmock serve: %v\n", err)
		return 2
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "embedmock serve: %v\n", err)
		return 1
	}
	httpServer := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
	}
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(ln) }()
	fmt.Fprintf(stdout, "embedmock listening on http://%s\n", ln.Addr())

	select {
	case err := <-served:
		fmt.Fprintf(stderr, "embedmock serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *shutdownTimeout)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(stderr, "embedmock serve: shutdown: %v\n", err)
		return 1
	}
	return 0
}
