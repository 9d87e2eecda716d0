package testkit_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver"
	"github.com/embedmock/embedmock/testkit"
)

var updateCassettes = flag.Bool("update-cassettes", false,
	"re-record the example cassettes in ../cassettes against a local embedmock")

// fakeUpstream starts a fake Gemini API for recording and points
// EMBEDMOCK_UPSTREAM at it.
func fakeUpstream(t *testing.T) {
	t.Helper()
	fake, err := mockserver.New()
	require.NoError(t, err)
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	t.Setenv(testkit.UpstreamEnv, ts.URL)
}

const fakeKey = "AIzaSyFakeKeyForRecording-0123456789abc"

func embedFlow(t *testing.T, client *genai.Client) []*genai.ContentEmbedding {
	t.Helper()
	ctx := context.Background()
	resp, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", []*genai.Content{
		genai.NewContentFromText("The quick brown fox jumps over the lazy dog.", genai.RoleUser),
		genai.NewContentFromText("Paris is the capital and largest city of France.", genai.RoleUser),
	}, &genai.EmbedContentConfig{OutputDimensionality: genai.Ptr[int32](256), TaskType: "RETRIEVAL_DOCUMENT"})
	require.NoError(t, err)
	query, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text("capital of France"),
		&genai.EmbedContentConfig{OutputDimensionality: genai.Ptr[int32](256), TaskType: "RETRIEVAL_QUERY"})
	require.NoError(t, err)
	m, err := client.Models.Get(ctx, "gemini-embedding-001", nil)
	require.NoError(t, err)
	assert.Equal(t, int32(2048), m.InputTokenLimit)
	_, err = client.Models.EmbedContent(ctx, "no-such-model", genai.Text("x"), nil)
	var apiErr genai.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, 404, apiErr.Code, "recorded errors replay too")
	return append(resp.Embeddings, query.Embeddings...)
}

func batchFileFlow(t *testing.T, client *genai.Client) []byte {
	t.Helper()
	ctx := context.Background()
	input := `{"key":"fox","request":{"content":{"parts":[{"text":"The quick brown fox"}]},"output_dimensionality":128}}` + "\n" +
		`{"key":"paris","request":{"content":{"parts":[{"text":"Paris is in France"}]},"output_dimensionality":128}}` + "\n"
	file, err := client.Files.Upload(ctx, strings.NewReader(input), &genai.UploadFileConfig{MIMEType: "application/jsonl", Name: "files/example-input"})
	require.NoError(t, err)
	job, err := client.Batches.CreateEmbeddings(ctx, genai.Ptr("gemini-embedding-001"), &genai.EmbeddingsBatchJobSource{FileName: file.Name}, nil)
	require.NoError(t, err)
	for range 20 {
		if job, err = client.Batches.Get(ctx, job.Name, nil); err != nil || job.State == genai.JobStateSucceeded {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, err)
	require.Equal(t, genai.JobStateSucceeded, job.State)
	out, err := client.Files.Download(ctx, genai.NewDownloadURIFromFile(&genai.File{DownloadURI: job.Dest.FileName}), nil)
	require.NoError(t, err)
	return out
}

// TestExampleCassettes replays the cassettes in ../cassettes, which were
// recorded with testkit.Cassette against a local embedmock (so their
// vectors are embedmock's own).
func TestExampleCassettes(t *testing.T) {
	dir := filepath.Join("..", "cassettes")
	if *updateCassettes {
		fakeUpstream(t)
		t.Setenv(testkit.RecordEnv, "1")
		t.Setenv(testkit.GeminiKeyEnv, fakeKey)
	}
	t.Run("embeddings", func(t *testing.T) {
		srv := testkit.Cassette(t, filepath.Join(dir, "gemini-embeddings"))
		got := embedFlow(t, srv.GenAIClient(t))
		want := fakeembed.Vector(fakeembed.Lexical, fakeembed.Input{Model: "gemini-embedding-001", Task: "RETRIEVAL_QUERY", Text: "capital of France"},
			fakeembed.Shape{Dimensions: 3072, Output: 256})
		assert.Equal(t, want, got[2].Values)
	})
	t.Run("batch-file", func(t *testing.T) {
		srv := testkit.Cassette(t, filepath.Join(dir, "gemini-batch-file"))
		out := batchFileFlow(t, srv.GenAIClient(t))
		assert.Contains(t, string(out), `{"key":"fox","response":{"embedding":{"values":[`)
		assert.Contains(t, string(out), `{"key":"paris","response":{"embedding":{"values":[`)
	})
}

func TestCassetteRecordsThenReplays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec")
	var recorded []*genai.ContentEmbedding
	t.Run("record", func(t *testing.T) {
		fakeUpstream(t)
		t.Setenv(testkit.RecordEnv, "1")
		t.Setenv(testkit.GeminiKeyEnv, fakeKey)
		srv := testkit.Cassette(t, path)
		assert.Equal(t, fakeKey, srv.GenAIConfig().APIKey, "the real key is sent while recording")
		recorded = embedFlow(t, srv.GenAIClient(t))
	})
	data, err := os.ReadFile(path + ".yaml")
	require.NoError(t, err)
	assert.NotContains(t, string(data), fakeKey)

	t.Run("replay", func(t *testing.T) {
		t.Setenv(testkit.UpstreamEnv, "http://127.0.0.1:1") // nothing there: replay is offline
		srv := testkit.Cassette(t, path)
		assert.Equal(t, testkit.APIKey, srv.GenAIConfig().APIKey)
		assert.Equal(t, recorded, embedFlow(t, srv.GenAIClient(t)))

		_, err := srv.GenAIClient(t).Models.EmbedContent(context.Background(), "gemini-embedding-001", genai.Text("never recorded"), nil)
		var apiErr genai.APIError
		require.True(t, errors.As(err, &apiErr))
		assert.Contains(t, apiErr.Message, "no recorded interaction matches")
	})
}

// fatalRecorder is a testing.TB that records Fatalf instead of failing.
type fatalRecorder struct {
	testing.TB
	mu      sync.Mutex
	message string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.message = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func TestMissingCassetteTellsHowToRecordIt(t *testing.T) {
	t.Setenv(testkit.RecordEnv, "")
	fr := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testkit.Cassette(fr, filepath.Join(t.TempDir(), "absent"))
	}()
	<-done
	assert.Contains(t, fr.message, "absent.yaml does not exist; record it against the real API with:")
	assert.Contains(t, fr.message, "EMBEDMOCK_RECORD=1 GEMINI_API_KEY=<your key> go test -run '^TestMissingCassetteTellsHowToRecordIt$' .")

	t.Setenv(testkit.RecordEnv, "1")
	t.Setenv(testkit.GeminiKeyEnv, "")
	t.Setenv(testkit.OpenAIKeyEnv, "")
	done = make(chan struct{})
	go func() {
		defer close(done)
		testkit.Cassette(fr, filepath.Join(t.TempDir(), "absent"))
	}()
	<-done
	assert.Contains(t, fr.message, "needs the key in GEMINI_API_KEY (or OPENAI_API_KEY for OpenAI)")
}
