package mockserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var batchTexts = []string{"The quick brown fox jumps over the lazy dog.", "Embeddings map text to points in a vector space.", "Paris is the capital and largest city of France."}

func textContents(texts []string) []*genai.Content {
	var out []*genai.Content
	for _, t := range texts {
		out = append(out, genai.NewContentFromText(t, genai.RoleUser))
	}
	return out
}

// waitForJob polls Batches.Get until the job is in a final state.
func waitForJob(t *testing.T, client *genai.Client, name string) *genai.BatchJob {
	t.Helper()
	for range 50 {
		job, err := client.Batches.Get(context.Background(), name, nil)
		require.NoError(t, err)
		switch job.State {
		case genai.JobStateSucceeded, genai.JobStateFailed, genai.JobStateCancelled, genai.JobStateExpired:
			return job
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", name)
	return nil
}

func TestGenAISDKBatchInline(t *testing.T) {
	ctx := context.Background()
	_, base := newTestServer(t)
	for _, version := range []string{"v1beta", "v1"} {
		client := newGenAIClient(t, base, version)
		config := &genai.EmbedContentConfig{TaskType: "RETRIEVAL_DOCUMENT", OutputDimensionality: genai.Ptr[int32](256)}
		job, err := client.Batches.CreateEmbeddings(ctx, genai.Ptr("gemini-embedding-001"),
			&genai.EmbeddingsBatchJobSource{InlinedRequests: &genai.EmbedContentBatch{Contents: textContents(batchTexts), Config: config}},
			&genai.CreateEmbeddingsBatchJobConfig{DisplayName: "inline job"})
		require.NoError(t, err)
		assert.Equal(t, genai.JobStatePending, job.State)
		assert.Equal(t, "inline job", job.DisplayName)
		assert.Equal(t, "models/gemini-embedding-001", job.Model)
		require.True(t, strings.HasPrefix(job.Name, "batches/"))

		done := waitForJob(t, client, job.Name)
		require.Equal(t, genai.JobStateSucceeded, done.State)
		require.NotNil(t, done.Dest)
		results := done.Dest.InlinedEmbedContentResponses
		require.Len(t, results, len(batchTexts))

		sync, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", textContents(batchTexts), config)
		require.NoError(t, err)
		for i, r := range results {
			require.NotNil(t, r.Response, "result %d", i)
			assert.Equal(t, sync.Embeddings[i].Values, r.Response.Embedding.Values, "result %d equals the synchronous vector", i)
			assert.Equal(t, int64((len(batchTexts[i])+3)/4), r.Response.TokenCount)
		}
		assert.False(t, done.EndTime.IsZero())
	}
}

func TestGenAISDKBatchFromFile(t *testing.T) {
	ctx := context.Background()
	_, base := newTestServer(t)
	client := newGenAIClient(t, base, "")

	var input bytes.Buffer
	for i, text := range batchTexts {
		fmt.Fprintf(&input, `{"key":"request-%d","request":{"content":{"parts":[{"text":%q}]},"output_dimensionality":128}}`+"\n", i, text)
	}
	input.WriteString(`{"key":"bad-json","request":{` + "\n")
	input.WriteString(`{"key":"empty","request":{"content":{"parts":[{"text":""}]}}}` + "\n")
	input.WriteString(`{"key":"unknown-field","request":{"content":{"parts":[{"text":"x"}]},"dims":3}}` + "\n")

	file, err := client.Files.Upload(ctx, bytes.NewReader(input.Bytes()), &genai.UploadFileConfig{MIMEType: "application/jsonl", DisplayName: "requests.jsonl"})
	require.NoError(t, err)
	assert.Equal(t, int64(input.Len()), *file.SizeBytes)
	assert.Equal(t, "requests.jsonl", file.DisplayName)
	assert.Equal(t, genai.FileStateActive, file.State)

	job, err := client.Batches.CreateEmbeddings(ctx, genai.Ptr("gemini-embedding-001"), &genai.EmbeddingsBatchJobSource{FileName: file.Name}, nil)
	require.NoError(t, err)
	done := waitForJob(t, client, job.Name)
	require.Equal(t, genai.JobStateSucceeded, done.State)
	require.NotNil(t, done.Dest)
	require.True(t, strings.HasPrefix(done.Dest.FileName, "files/batch-"), done.Dest.FileName)

	out, err := client.Files.Download(ctx, genai.NewDownloadURIFromFile(&genai.File{DownloadURI: done.Dest.FileName}), nil)
	require.NoError(t, err)
	type outputLine struct {
		Key      *string `json:"key"`
		Response *struct {
			Embedding struct {
				Values []float32 `json:"values"`
			} `json:"embedding"`
		} `json:"response"`
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	var lines []outputLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l outputLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		lines = append(lines, l)
	}
	require.Len(t, lines, len(batchTexts)+3, "one output line per input line")

	sync, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", textContents(batchTexts),
		&genai.EmbedContentConfig{OutputDimensionality: genai.Ptr[int32](128)})
	require.NoError(t, err)
	for i := range batchTexts {
		require.NotNil(t, lines[i].Key)
		assert.Equal(t, fmt.Sprintf("request-%d", i), *lines[i].Key)
		require.NotNil(t, lines[i].Response, "line %d", i)
		assert.Equal(t, sync.Embeddings[i].Values, lines[i].Response.Embedding.Values, "line %d", i)
	}
	bad := lines[len(batchTexts):]
	assert.Nil(t, bad[0].Key, "an unparseable line has no key")
	require.NotNil(t, bad[0].Error)
	assert.Equal(t, 3, bad[0].Error.Code)
	assert.Contains(t, bad[0].Error.Message, "Invalid JSON payload received.")
	assert.Equal(t, "empty", *bad[1].Key)
	assert.Equal(t, "EmbedContentRequest.content contains an empty Part.", bad[1].Error.Message)
	assert.Equal(t, "unknown-field", *bad[2].Key)
	assert.Equal(t, `Invalid JSON payload received. Unknown name "dims" at 'request': Cannot find field.`, bad[2].Error.Message)

	// The output file is a regular file resource.
	outFile, err := client.Files.Get(ctx, done.Dest.FileName, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(len(out)), *outFile.SizeBytes)
	assert.Equal(t, genai.FileSourceGenerated, outFile.Source)
}

func TestGenAISDKBatchLifecycle(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	_, base := newTestServer(t, WithClock(clock.Now), WithBatchDelay(time.Hour))
	client := newGenAIClient(t, base, "")
	create := func(name string) *genai.BatchJob {
		job, err := client.Batches.CreateEmbeddings(ctx, genai.Ptr("gemini-embedding-001"),
			&genai.EmbeddingsBatchJobSource{InlinedRequests: &genai.EmbedContentBatch{Contents: textContents(batchTexts[:1])}},
			&genai.CreateEmbeddingsBatchJobConfig{DisplayName: name})
		require.NoError(t, err)
		return job
	}
	get := func(name string) *genai.BatchJob {
		job, err := client.Batches.Get(ctx, name, nil)
		require.NoError(t, err)
		return job
	}

	first := create("first")
	assert.Equal(t, genai.JobStatePending, get(first.Name).State)
	clock.Advance(31 * time.Minute)
	assert.Equal(t, genai.JobStateRunning, get(first.Name).State)
	require.NoError(t, client.Batches.Cancel(ctx, first.Name, nil))
	cancelled := get(first.Name)
	assert.Equal(t, genai.JobStateCancelled, cancelled.State)
	clock.Advance(time.Hour)
	assert.Equal(t, genai.JobStateCancelled, get(first.Name).State, "a cancelled job stays cancelled")

	second := create("second")
	clock.Advance(time.Hour)
	assert.Equal(t, genai.JobStateSucceeded, get(second.Name).State)
	require.NoError(t, client.Batches.Cancel(ctx, second.Name, nil))
	assert.Equal(t, genai.JobStateSucceeded, get(second.Name).State, "cancelling a finished job changes nothing")

	var names []string
	for job, err := range client.Batches.All(ctx) {
		require.NoError(t, err)
		names = append(names, job.DisplayName)
	}
	assert.Equal(t, []string{"second", "first"}, names, "newest first")

	_, err := client.Batches.Delete(ctx, second.Name, nil)
	require.NoError(t, err)
	_, err = client.Batches.Get(ctx, second.Name, nil)
	var apiErr genai.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, 404, apiErr.Code)
	err = client.Batches.Cancel(ctx, second.Name, nil)
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 404, apiErr.Code)
}

func TestGenAISDKBatchFailureAndExpiry(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s, base := newTestServer(t, WithClock(clock.Now))
	client := newGenAIClient(t, base, "")
	src := &genai.EmbeddingsBatchJobSource{InlinedRequests: &genai.EmbedContentBatch{Contents: textContents(batchTexts[:1])}}

	require.NoError(t, s.FailBatches(BatchFailure{}))
	job, err := client.Batches.CreateEmbeddings(ctx, genai.Ptr("gemini-embedding-001"), src, nil)
	require.NoError(t, err)
	assert.Equal(t, genai.JobStateFailed, get(t, client, job.Name).State)
	assert.Empty(t, s.BatchFailures(), "the failure was used")

	next, err := client.Batches.CreateEmbeddings(ctx, genai.Ptr("gemini-embedding-001"), src, nil)
	require.NoError(t, err)
	assert.Equal(t, genai.JobStateSucceeded, get(t, client, next.Name).State, "only the scheduled job fails")

	_, base2 := newTestServer(t, WithClock(clock.Now), WithBatchDelay(3*time.Hour), WithBatchTTL(time.Hour))
	client2 := newGenAIClient(t, base2, "")
	job, err = client2.Batches.CreateEmbeddings(ctx, genai.Ptr("gemini-embedding-001"), src, nil)
	require.NoError(t, err)
	clock.Advance(59 * time.Minute)
	assert.Equal(t, genai.JobStatePending, get(t, client2, job.Name).State)
	clock.Advance(time.Minute)
	assert.Equal(t, genai.JobStateExpired, get(t, client2, job.Name).State)
}

func get(t *testing.T, client *genai.Client, name string) *genai.BatchJob {
	t.Helper()
	job, err := client.Batches.Get(context.Background(), name, nil)
	require.NoError(t, err)
	return job
}

func TestGenAISDKMultiChunkUpload(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"memory", "data dir"} {
		t.Run(name, func(t *testing.T) {
			var opts []Option
			if name == "data dir" {
				opts = append(opts, WithDataDir(t.TempDir()))
			}
			_, base := newTestServer(t, opts...)
			client := newGenAIClient(t, base, "")
			data := make([]byte, 2*uploadChunkGranularity+12345) // three chunks
			rand.Read(data)
			file, err := client.Files.Upload(ctx, bytes.NewReader(data), &genai.UploadFileConfig{MIMEType: "application/octet-stream", Name: "files/big-blob"})
			require.NoError(t, err)
			assert.Equal(t, "files/big-blob", file.Name)
			assert.Equal(t, int64(len(data)), *file.SizeBytes)

			got, err := client.Files.Download(ctx, genai.NewDownloadURIFromFile(&genai.File{DownloadURI: file.Name}), nil)
			require.NoError(t, err)
			require.True(t, bytes.Equal(data, got), "round trip byte for byte")

			again, err := client.Files.Get(ctx, file.Name, nil)
			require.NoError(t, err)
			assert.Equal(t, file.Sha256Hash, again.Sha256Hash)

			var names []string
			for f, err := range client.Files.All(ctx) {
				require.NoError(t, err)
				names = append(names, f.Name)
			}
			assert.Equal(t, []string{"files/big-blob"}, names)
			_, err = client.Files.Delete(ctx, file.Name, nil)
			require.NoError(t, err)
			_, err = client.Files.Get(ctx, file.Name, nil)
			var apiErr genai.APIError
			require.True(t, errors.As(err, &apiErr))
			assert.Equal(t, 403, apiErr.Code)
		})
	}
}

func TestConcurrentBatchesAndUploads(t *testing.T) {
	ctx := context.Background()
	_, base := newTestServer(t, WithDataDir(t.TempDir()))
	client := newGenAIClient(t, base, "")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				text := fmt.Sprintf("worker %d item %d", g, i)
				job, err := client.Batches.CreateEmbeddings(ctx, genai.Ptr("gemini-embedding-001"),
					&genai.EmbeddingsBatchJobSource{InlinedRequests: &genai.EmbedContentBatch{Contents: textContents([]string{text})}}, nil)
				if err != nil {
					errs <- err
					return
				}
				for range 3 {
					if _, err := client.Batches.Get(ctx, job.Name, nil); err != nil {
						errs <- err
						return
					}
				}
				line := fmt.Sprintf(`{"key":"k","request":{"content":{"parts":[{"text":%q}]}}}`, text)
				f, err := client.Files.Upload(ctx, strings.NewReader(line), &genai.UploadFileConfig{MIMEType: "application/jsonl"})
				if err != nil {
					errs <- err
					return
				}
				if _, err := client.Batches.CreateEmbeddings(ctx, genai.Ptr("gemini-embedding-001"), &genai.EmbeddingsBatchJobSource{FileName: f.Name}, nil); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	count := 0
	for job, err := range client.Batches.All(ctx) {
		require.NoError(t, err)
		assert.Equal(t, genai.JobStateSucceeded, job.State)
		count++
	}
	assert.Equal(t, 80, count)
}
