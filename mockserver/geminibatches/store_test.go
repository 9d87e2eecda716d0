package geminibatches

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/mockserver/family/familytest"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/geminifiles"
	"github.com/embedmock/embedmock/mockserver/store"
)

// jobFiles lists the names in DIR/jobs.
func jobFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "jobs"))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func batchID(name string) string { return strings.TrimPrefix(name, "batches/") }

// TestDataDirRestart: jobs in a data dir survive a new Family over it.
// Finished jobs keep their results; pending ones finish after the restart
// on their own delay; deleted ones stay deleted.
func TestDataDirRestart(t *testing.T) {
	dir := t.TempDir()
	clock := newTestClock()
	h1 := newHarness(t, setup{cfg: testConfig(), clock: clock, dir: dir})
	h1.uploadMultipart("input", batchInputFile)

	finishedInline := h1.create(asyncPath, inlineBody(item("a"), item("")))
	finishedFile := h1.create(asyncPath, fileBody("files/input"))
	cancelled := h1.create(asyncPath, inlineBody(item("c")))
	require.Equal(t, http.StatusOK, h1.do(http.MethodPost, "/v1beta/"+cancelled.Name+":cancel", "").Status)
	require.NoError(t, h1.batches.FailJobs(Failure{Code: 13, Message: "boom"}))
	failed := h1.create(asyncPath, inlineBody(item("f")))
	clock.Advance(10 * time.Minute)
	before := map[string]operation{}
	for _, op := range []operation{finishedInline, finishedFile, cancelled, failed} {
		before[op.Name] = h1.get(op.Name)
	}
	require.Equal(t, batchSucceeded, before[finishedInline.Name].Metadata.State)
	require.Equal(t, batchSucceeded, before[finishedFile.Name].Metadata.State)
	require.Equal(t, batchCancelled, before[cancelled.Name].Metadata.State)
	require.Equal(t, batchFailed, before[failed.Name].Metadata.State)
	results := h1.download(before[finishedFile.Name].Metadata.Output.ResponsesFile)

	// Created at 10m, unfinished at the restart.
	pendingInline := h1.create(asyncPath, inlineBody(item("p"), item("q"), item("r")))
	pendingFile := h1.create(asyncPath, fileBody("files/input"))
	require.NoError(t, h1.batches.FailJobs(Failure{Code: 9, Message: "doomed"}))
	pendingFailed := h1.create(asyncPath, inlineBody(item("x")))
	deleted := h1.create(asyncPath, inlineBody(item("d")))
	require.Equal(t, http.StatusOK, h1.do(http.MethodDelete, "/v1beta/"+deleted.Name, "").Status)
	listed, _ := h1.listAll(100)
	require.Len(t, listed, 7)

	files := jobFiles(t, dir)
	for _, op := range []operation{finishedInline, finishedFile, cancelled, failed, pendingInline, pendingFile, pendingFailed} {
		assert.Contains(t, files, batchID(op.Name)+".json")
	}
	assert.Contains(t, files, batchID(finishedInline.Name)+".output", "inline results are stored")
	assert.NotContains(t, files, batchID(finishedFile.Name)+".output", "file results are a file of the Files API")
	assert.NotContains(t, files, batchID(deleted.Name)+".json")

	// A new Family over the same dir, with another delay: the jobs keep
	// theirs.
	cfg := testConfig()
	cfg.Delay = 24 * time.Hour
	h2 := newHarness(t, setup{cfg: cfg, clock: clock, dir: dir})
	for name, op := range before {
		assert.Equal(t, op, h2.get(name), "finished jobs keep their results")
	}
	assert.Equal(t, results, h2.download(before[finishedFile.Name].Metadata.Output.ResponsesFile))
	again, _ := h2.listAll(3)
	assert.Equal(t, listed, again)
	assert.Equal(t, http.StatusNotFound, h2.do(http.MethodGet, "/v1beta/"+deleted.Name, "").Status)

	for _, op := range []operation{pendingInline, pendingFile, pendingFailed} {
		got := h2.get(op.Name)
		assert.Equal(t, batchPending, got.Metadata.State)
		assert.Equal(t, op.Metadata.CreateTime, got.Metadata.CreateTime)
	}
	clock.Advance(5 * time.Minute)
	assert.Equal(t, batchRunning, h2.get(pendingInline.Name).Metadata.State)
	clock.Advance(5 * time.Minute)

	done := h2.get(pendingInline.Name)
	require.Equal(t, batchSucceeded, done.Metadata.State)
	assert.Equal(t, stamp(20*time.Minute), done.Metadata.EndTime)
	assert.Len(t, done.items(t), 3)
	// The inline requests were kept in the data dir: the vectors are the
	// ones the first Family computes.
	sameOnH1 := h1.create(asyncPath, inlineBody(item("p"), item("q"), item("r")))
	clock.Advance(10 * time.Minute)
	assert.Equal(t, h1.get(sameOnH1.Name).items(t), done.items(t))

	fileDone := h2.get(pendingFile.Name)
	require.Equal(t, batchSucceeded, fileDone.Metadata.State)
	assert.Equal(t, results, h2.download(fileDone.Metadata.Output.ResponsesFile), "same input, same results")

	failedDone := h2.get(pendingFailed.Name)
	assert.Equal(t, batchFailed, failedDone.Metadata.State)
	assert.Equal(t, &rpcStatus{Code: 9, Message: "doomed"}, failedDone.Error, "the scheduled failure was kept with the job")

	// And once more: what h2 finished is stored too.
	h3 := newHarness(t, setup{cfg: cfg, clock: clock, dir: dir})
	assert.Equal(t, done, h3.get(pendingInline.Name))
	assert.Equal(t, fileDone, h3.get(pendingFile.Name))
}

// TestDataDirModelGone: a pending job whose model the restarted server no
// longer serves ends FAILED with NOT_FOUND.
func TestDataDirModelGone(t *testing.T) {
	dir := t.TempDir()
	clock := newTestClock()
	h1 := newHarness(t, setup{cfg: testConfig(), clock: clock, dir: dir})
	created := h1.create("/v1beta/models/gemini-embedding-2:asyncBatchEmbedContent", inlineBody(item("a")))

	disk, err := store.Open(dir)
	require.NoError(t, err)
	env := familytest.Env()
	env.Now = clock.Now
	var models []gemini.Model
	for _, m := range gemini.DefaultModels() {
		if m.Name != "models/gemini-embedding-2" {
			models = append(models, m)
		}
	}
	m := gemini.New(env, gemini.Config{Models: models})
	files, err := geminifiles.New(env, geminifiles.Config{MaxFileBytes: 1 << 20, MaxFiles: 10}, disk)
	require.NoError(t, err)
	b, err := New(env, testConfig(), m, files, disk)
	require.NoError(t, err)
	h2 := &harness{t: t, clock: clock, models: m, files: files, batches: b, base: familytest.Serve(t, m, files, b)}

	clock.Advance(10 * time.Minute)
	done := h2.get(created.Name)
	assert.Equal(t, batchFailed, done.Metadata.State)
	assert.Equal(t, &rpcStatus{Code: 5, Message: "models/gemini-embedding-2 is no longer served"}, done.Error)
}

// TestDataDirLoadErrors: a record that does not parse stops New; the
// temporary files a crash leaves are removed.
func TestDataDirLoadErrors(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "jobs"), 0o755))
	tmp := filepath.Join(dir, "jobs", ".tmp-abc.json-123")
	require.NoError(t, os.WriteFile(tmp, []byte("{"), 0o644))
	disk, err := store.Open(dir)
	require.NoError(t, err)
	env := familytest.Env()
	models := gemini.New(env, gemini.Config{Models: gemini.DefaultModels()})
	files, err := geminifiles.New(env, geminifiles.Config{MaxFileBytes: 1 << 20, MaxFiles: 10}, disk)
	require.NoError(t, err)

	_, err = New(env, testConfig(), models, files, disk)
	require.NoError(t, err)
	assert.NoFileExists(t, tmp)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "jobs", "broken.json"), []byte("{"), 0o644))
	_, err = New(env, testConfig(), models, files, disk)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "jobs/broken.json")
}

// TestReset: Reset forgets every job, in memory and in the data dir, and
// makes room for new ones.
func TestReset(t *testing.T) {
	for _, where := range []string{"memory", "data dir"} {
		t.Run(where, func(t *testing.T) {
			dir := ""
			if where == "data dir" {
				dir = t.TempDir()
			}
			cfg := testConfig()
			cfg.MaxJobs = 3
			clock := newTestClock()
			h := newHarness(t, setup{cfg: cfg, clock: clock, dir: dir})
			var names []string
			for _, text := range []string{"a", "b", "c"} {
				names = append(names, h.create(asyncPath, inlineBody(item(text))).Name)
			}
			clock.Advance(10 * time.Minute)
			h.get(names[0]) // finished, with stored results
			require.NoError(t, h.batches.FailJobs(Failure{}))
			if dir != "" {
				require.Len(t, jobFiles(t, dir), 4)
			}

			h.batches.Reset()
			assert.Empty(t, h.batches.Failures())
			assert.Empty(t, h.list("").Operations)
			for _, name := range names {
				assert.Equal(t, http.StatusNotFound, h.do(http.MethodGet, "/v1beta/"+name, "").Status)
			}
			if dir != "" {
				assert.Empty(t, jobFiles(t, dir), "removed from disk")
				restarted := newHarness(t, setup{cfg: cfg, clock: clock, dir: dir})
				assert.Empty(t, restarted.list("").Operations, "a new Family finds nothing")
			}
			for _, text := range []string{"d", "e", "f"} {
				names = append(names, h.create(asyncPath, inlineBody(item(text))).Name)
			}
			got, _ := h.listAll(10)
			assert.ElementsMatch(t, names[3:], got)
		})
	}
}

// TestDataDirWriteErrors: when the data dir cannot be written, a create is
// refused with 503 (and gives its scheduled failure back), a due job is
// reported RUNNING rather than finished, and a cancel is refused; once the
// dir is writable again the next observation finishes the job.
func TestDataDirWriteErrors(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, setup{cfg: testConfig(), dir: dir})
	created := h.create(asyncPath, inlineBody(item("a"), item("b")))

	// A file where the jobs folder was: no write can succeed, even as root.
	jobs := filepath.Join(dir, "jobs")
	require.NoError(t, os.RemoveAll(jobs))
	require.NoError(t, os.WriteFile(jobs, nil, 0o644))

	require.NoError(t, h.batches.FailJobs(Failure{Code: 13, Message: "boom"}))
	r := h.do(http.MethodPost, asyncPath, inlineBody(item("c")))
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)
	assert.Contains(t, decodeError(t, r).Message, "embedmock: cannot write the data dir: ")
	assert.Equal(t, []Failure{{Count: 1, Code: 13, Message: "boom"}}, h.batches.Failures(), "the failure was given back")

	h.clock.Advance(10 * time.Minute)
	for range 2 {
		op := h.get(created.Name)
		assert.False(t, op.Done)
		assert.Equal(t, batchRunning, op.Metadata.State, "due, but its results could not be stored")
		assert.Equal(t, stamp(5*time.Minute), op.Metadata.UpdateTime)
		assert.Nil(t, op.Metadata.Output)
	}
	page := h.list("")
	require.Len(t, page.Operations, 1)
	assert.Equal(t, batchRunning, page.Operations[0].Metadata.State)
	r = h.do(http.MethodPost, "/v1beta/"+created.Name+":cancel", "")
	assert.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)

	require.NoError(t, os.Remove(jobs))
	require.NoError(t, os.Mkdir(jobs, 0o755))
	done := h.get(created.Name)
	assert.Equal(t, batchSucceeded, done.Metadata.State, "finished at the next observation")
	assert.Equal(t, stamp(10*time.Minute), done.Metadata.EndTime)
	assert.Len(t, done.items(t), 2)
	assert.ElementsMatch(t, []string{batchID(created.Name) + ".json", batchID(created.Name) + ".output"}, jobFiles(t, dir))
}
