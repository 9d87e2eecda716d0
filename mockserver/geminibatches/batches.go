package geminibatches

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/geminifiles"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/store"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
	"github.com/embedmock/embedmock/schemas"
)

// Batch job states, as on the wire.
const (
	batchPending   = "BATCH_STATE_PENDING"
	batchRunning   = "BATCH_STATE_RUNNING"
	batchSucceeded = "BATCH_STATE_SUCCEEDED"
	batchFailed    = "BATCH_STATE_FAILED"
	batchCancelled = "BATCH_STATE_CANCELLED"
	batchExpired   = "BATCH_STATE_EXPIRED"
)

const (
	batchTypeURL       = "type.googleapis.com/google.ai.generativelanguage.v1main.EmbedContentBatch"
	batchOutputTypeURL = "type.googleapis.com/google.ai.generativelanguage.v1main.EmbedContentBatchOutput"
)

// Page sizes of batches.list (the real API's are not documented).
const (
	defaultBatchesPageSize = 50
	maxBatchesPageSize     = 1000
)

// batchJob is an async batch embedding job. Its state follows the server
// clock: PENDING for the first half of the batch delay, RUNNING for the
// second, then finished; the results are computed when a client first
// observes the job finished, and are then fixed.
type batchJob struct {
	batchRecord
	mu      sync.Mutex // serialises finishing, cancelling and deleting
	deleted bool       // set under mu and the store's mutex
}

// batchRecord is what is stored of a job (in the data dir as JSON).
type batchRecord struct {
	ID           string               `json:"id"`
	Model        string               `json:"model"` // "models/{id}"
	APIVersion   string               `json:"apiVersion"`
	DisplayName  string               `json:"displayName,omitempty"`
	Priority     int64                `json:"priority,omitempty"`
	InputFile    string               `json:"inputFile,omitempty"` // file id, for file input
	Inline       json.RawMessage      `json:"inline,omitempty"`    // the inline requests, until the job finishes
	RequestCount int                  `json:"requestCount"`
	CreateTime   time.Time            `json:"createTime"`
	Delay        time.Duration        `json:"delay"`
	TTL          time.Duration        `json:"ttl"`
	Failure      *googleapi.RPCStatus `json:"failure,omitempty"` // injected: finish FAILED with this error

	// Set once the job is finished.
	Final      string               `json:"final,omitempty"`
	EndTime    time.Time            `json:"endTime"`
	Succeeded  int                  `json:"succeeded,omitempty"`
	Failed     int                  `json:"failed,omitempty"`
	Error      *googleapi.RPCStatus `json:"error,omitempty"`
	OutputFile string               `json:"outputFile,omitempty"` // file id of the results, for file input
	HasOutput  bool                 `json:"hasOutput,omitempty"`  // inline results stored
}

// progress returns the job's state at now and when it last changed, for a
// job that has not finished yet; due reports that it should finish now.
func (j *batchRecord) progress(now time.Time) (state string, changed time.Time, due bool) {
	if j.Final != "" {
		return j.Final, j.EndTime, false
	}
	if j.TTL <= j.Delay && !now.Before(j.CreateTime.Add(j.TTL)) {
		return batchExpired, j.CreateTime.Add(j.TTL), true
	}
	half := j.CreateTime.Add(j.Delay / 2)
	switch {
	case now.Before(half):
		return batchPending, j.CreateTime, false
	case now.Before(j.CreateTime.Add(j.Delay)):
		return batchRunning, half, false
	}
	return batchSucceeded, j.CreateTime.Add(j.Delay), true
}

func errTooManyBatchRequests(field string, limit int) *googleapi.Error {
	return googleapi.InvalidFields(fmt.Sprintf("%s: at most %d requests can be in one batch job (embedmock's limit, --max-batch-requests)", field, limit))
}

func errBatchNotFound() *googleapi.Error {
	return googleapi.NewError(http.StatusNotFound, "Requested entity was not found.")
}

func (g *Family) handleAsyncBatchEmbedContent(w http.ResponseWriter, r *http.Request, c *family.Call) {
	obj, gerr := googleapi.ReadRequest(w, r, g.env.MaxBodyBytes, schemas.GeminiAsyncBatchEmbedContentRequest, c.APIVersion)
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	model, ok := g.gemini.Catalog().Lookup(c.Model)
	if !ok || !slices.Contains(model.SupportedGenerationMethods, "asyncBatchEmbedContent") {
		googleapi.WriteError(w, googleapi.NewError(http.StatusNotFound, fmt.Sprintf(
			"models/%s is not found for API version %s, or is not supported for asyncBatchEmbedContent. Call ListModels to see the list of available models and their supported methods.",
			c.Model, c.APIVersion)))
		return
	}
	job, gerr := g.newBatchJob(obj, model, c)
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	created, gerr := g.addBatchJob(job)
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	writeOperationResponse(w, created, false)
}

// newBatchJob validates an AsyncBatchEmbedContentRequest and builds its job.
func (g *Family) newBatchJob(obj map[string]any, model *gemini.Model, c *family.Call) (*batchJob, *googleapi.Error) {
	batch, ok := obj["batch"].(map[string]any)
	if !ok {
		return nil, googleapi.InvalidFields("AsyncBatchEmbedContentRequest.batch: batch is not specified")
	}
	if name, ok := batch["model"].(string); ok && name != "" && name != model.Name {
		if !gemini.ValidModelName(name) {
			return nil, googleapi.InvalidFields("EmbedContentBatch.model: unexpected model name format")
		}
		return nil, googleapi.InvalidFields(fmt.Sprintf("EmbedContentBatch.model: the batch's model %s must match the model in the URL (%s)", name, model.Name))
	}
	job := &batchJob{batchRecord: batchRecord{
		ID: googleapi.NewID(36), Model: model.Name, APIVersion: c.APIVersion,
		CreateTime: g.env.Now(), Delay: g.cfg.Delay, TTL: g.cfg.TTL,
	}}
	job.DisplayName, _ = googleapi.Field(batch, "displayName", "display_name").(string)
	var gerr *googleapi.Error
	if job.Priority, gerr = googleapi.Int64(batch, "priority", "", schemas.Path{"batch"}); gerr != nil {
		return nil, gerr
	}
	input, _ := googleapi.Field(batch, "inputConfig", "input_config").(map[string]any)
	var sources []string
	for _, k := range []string{"fileName", "file_name", "requests"} {
		if v, ok := input[k]; ok && v != nil {
			sources = append(sources, k)
		}
	}
	slices.Sort(sources)
	switch {
	case len(sources) == 0:
		return nil, googleapi.InvalidFields("EmbedContentBatch.input_config: input_config is not specified")
	case len(sources) > 1:
		return nil, googleapi.BadPayload("batch.input_config", fmt.Sprintf(
			"Invalid value at 'batch.input_config' (oneof), oneof field 'source' is already set. Cannot set '%s'", sources[1]))
	case sources[0] == "requests":
		requests, _ := input["requests"].(map[string]any)
		items, _ := requests["requests"].([]any)
		if len(items) == 0 {
			return nil, googleapi.InvalidFields("EmbedContentBatch.input_config.requests.requests: requests is not specified")
		}
		if len(items) > g.cfg.MaxRequests {
			return nil, errTooManyBatchRequests("EmbedContentBatch.input_config.requests.requests", g.cfg.MaxRequests)
		}
		raw, err := json.Marshal(items)
		if err != nil {
			return nil, googleapi.NewError(http.StatusBadRequest, "embedmock: cannot store the requests: "+err.Error())
		}
		job.Inline, job.RequestCount = raw, len(items)
	default:
		name, _ := googleapi.Field(input, "fileName", "file_name").(string)
		id, ok := strings.CutPrefix(name, "files/")
		if !ok || id == "" {
			return nil, googleapi.InvalidFields("EmbedContentBatch.input_config.file_name: the file name must be files/{id}")
		}
		n, err := g.countRequestLines(id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, geminifiles.FileNotFound(id)
		case err != nil:
			return nil, googleapi.StorageError(err)
		}
		if n == 0 {
			return nil, googleapi.InvalidFields("EmbedContentBatch.input_config.file_name: " + name + " holds no requests")
		}
		if n > g.cfg.MaxRequests {
			return nil, errTooManyBatchRequests("EmbedContentBatch.input_config.file_name", g.cfg.MaxRequests)
		}
		job.InputFile, job.RequestCount = id, n
	}
	return job, nil
}

// addBatchJob stores a new job if there is room and returns it as created.
func (g *Family) addBatchJob(j *batchJob) (jobSnapshot, *googleapi.Error) {
	// The snapshot is taken before the job is published: from then on a
	// concurrent get or list may finish it and rewrite its record. A
	// scheduled failure is taken only by a job that is stored.
	var created jobSnapshot
	gerr := g.jobs.add(j, g.cfg.MaxJobs, func(j *batchJob) func() {
		var undo func()
		j.Failure, undo = g.failures.take()
		created = jobSnapshot{batchRecord: j.batchRecord, state: batchPending, changed: j.CreateTime}
		return undo
	})
	if gerr != nil {
		return jobSnapshot{}, gerr
	}
	return created, nil
}

// observeJob returns a snapshot of job id at now, finishing it first if it
// is due; it reports false if there is no such job.
func (g *Family) observeJob(id string) (jobSnapshot, bool) {
	j, gerr := g.lockJob(id)
	if gerr != nil {
		return jobSnapshot{}, false
	}
	defer j.mu.Unlock()
	return g.settleJobLocked(j), true
}

// lockJob finds job id and locks it; the caller unlocks it.
func (g *Family) lockJob(id string) (*batchJob, *googleapi.Error) {
	j := g.jobs.get(id)
	if j == nil {
		return nil, errBatchNotFound()
	}
	j.mu.Lock()
	if j.deleted {
		j.mu.Unlock()
		return nil, errBatchNotFound()
	}
	return j, nil
}

// jobSnapshot is a copy of a job at one moment, for rendering.
type jobSnapshot struct {
	batchRecord
	state   string
	changed time.Time // when the state last changed
	output  []byte    // inline results of a finished job
}

// settleJobLocked finishes j if it is due and returns a snapshot; j.mu is
// held.
func (g *Family) settleJobLocked(j *batchJob) jobSnapshot {
	state, changed, due := g.jobs.progress(j, g.env.Now())
	if due {
		g.finishJob(j, state, changed)
		state, changed, _ = g.jobs.progress(j, g.env.Now())
	}
	snap := jobSnapshot{batchRecord: j.batchRecord, state: state, changed: changed}
	if snap.Final == "" && due { // could not be stored; report it as still running
		snap.state, snap.changed = batchRunning, j.CreateTime.Add(j.Delay/2)
	}
	if state == batchSucceeded && j.HasOutput {
		snap.output = g.jobs.output(j)
	}
	return snap
}

// finishJob computes the job's results (or its failure) and stores them;
// j.mu is held. A job whose results cannot be stored stays unfinished, and
// the next observation tries again.
func (g *Family) finishJob(j *batchJob, state string, end time.Time) {
	if j.deleted {
		return
	}
	done := j.batchRecord // the fields to fill, on a copy
	done.EndTime = end
	var output []byte
	switch {
	case state == batchExpired:
		done.Final = batchExpired
	case j.Failure != nil:
		done.Final, done.Error = batchFailed, j.Failure
	default:
		var failure *googleapi.RPCStatus
		output, failure = g.computeBatchResults(&done)
		if failure != nil {
			done.Final, done.Error = batchFailed, failure
		} else {
			done.Final = batchSucceeded
		}
	}
	done.Inline = nil
	done.HasOutput = output != nil
	g.jobs.update(j, done, output)
}

func (g *Family) handleGetBatch(w http.ResponseWriter, r *http.Request, c *family.Call) {
	if err := googleapi.CheckQuery(r); err != nil {
		googleapi.WriteError(w, err)
		return
	}
	snap, ok := g.observeJob(c.Var("batch"))
	if !ok {
		googleapi.WriteError(w, errBatchNotFound())
		return
	}
	writeOperationResponse(w, snap, true)
}

func (g *Family) handleListBatches(w http.ResponseWriter, r *http.Request, c *family.Call) {
	size, after, gerr := googleapi.CursorPage(r, "ListOperationsRequest", defaultBatchesPageSize, maxBatchesPageSize)
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	jobs := g.jobs.list(func(created time.Time, id string) bool { return after == nil || after.Before(created, id) })
	slices.SortFunc(jobs, func(a, b listed) int {
		return cmp.Or(b.created.Compare(a.created), cmp.Compare(a.id, b.id))
	})
	more := len(jobs) > size
	jobs = jobs[:min(size, len(jobs))]

	w.Header()["Content-Type"] = vectorwire.ContentTypeJSON
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	defer bw.Flush()
	if len(jobs) == 0 {
		io.WriteString(bw, "{}")
		return
	}
	io.WriteString(bw, `{"operations":[`)
	written := 0
	for _, l := range jobs {
		l.job.mu.Lock()
		if l.job.deleted { // since the list was taken
			l.job.mu.Unlock()
			continue
		}
		snap := g.settleJobLocked(l.job)
		l.job.mu.Unlock()
		if written > 0 {
			bw.WriteByte(',')
		}
		written++
		// Listed operations carry full metadata but no response, as the
		// real API's do.
		writeOperation(bw, snap, false)
	}
	bw.WriteByte(']')
	if more {
		last := jobs[len(jobs)-1]
		io.WriteString(bw, `,"nextPageToken":"`+googleapi.PageCursor{CreateTime: last.created, ID: last.id}.Token()+`"`)
	}
	bw.WriteByte('}')
}

func (g *Family) handleCancelBatch(w http.ResponseWriter, r *http.Request, c *family.Call) {
	if _, gerr := googleapi.ReadQueryBody(w, r, g.env.MaxBodyBytes); gerr != nil { // empty, or {} from JS
		googleapi.WriteError(w, gerr)
		return
	}
	j, gerr := g.lockJob(c.Var("batch"))
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	defer j.mu.Unlock()
	if snap := g.settleJobLocked(j); snap.state == batchPending || snap.state == batchRunning {
		done := j.batchRecord
		done.Final, done.EndTime, done.Inline = batchCancelled, g.env.Now(), nil
		done.Error = &googleapi.RPCStatus{Code: 1, Message: "The batch was cancelled."}
		if err := g.jobs.update(j, done, nil); err != nil {
			googleapi.WriteError(w, googleapi.StorageError(err))
			return
		}
	}
	vectorwire.WriteJSON(w, http.StatusOK, []byte("{}"))
}

func (g *Family) handleDeleteBatch(w http.ResponseWriter, r *http.Request, c *family.Call) {
	if err := googleapi.CheckQuery(r); err != nil {
		googleapi.WriteError(w, err)
		return
	}
	// Locking waits for a finish or cancel in progress, so that it cannot
	// write the job back to the data dir after it is gone.
	j, gerr := g.lockJob(c.Var("batch"))
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	defer j.mu.Unlock()
	if !g.jobs.remove(j) {
		googleapi.WriteError(w, errBatchNotFound())
		return
	}
	vectorwire.WriteJSON(w, http.StatusOK, []byte("{}"))
}

// writeOperation writes a job as a long-running Operation. A finished
// job's results are written straight from where they are stored, without
// copies.
func writeOperation(w io.Writer, j jobSnapshot, withResponse bool) {
	type inputConfig struct {
		FileName string `json:"fileName"`
	}
	type batchStats struct {
		RequestCount           string `json:"requestCount,omitempty"`
		SuccessfulRequestCount string `json:"successfulRequestCount,omitempty"`
		FailedRequestCount     string `json:"failedRequestCount,omitempty"`
		PendingRequestCount    string `json:"pendingRequestCount,omitempty"`
	}
	type metadata struct {
		Type        string       `json:"@type"`
		Model       string       `json:"model"`
		DisplayName string       `json:"displayName,omitempty"`
		InputConfig *inputConfig `json:"inputConfig,omitempty"`
		CreateTime  string       `json:"createTime"`
		EndTime     string       `json:"endTime,omitempty"`
		UpdateTime  string       `json:"updateTime"`
		BatchStats  batchStats   `json:"batchStats"`
		State       string       `json:"state"`
		Name        string       `json:"name"`
		Priority    string       `json:"priority,omitempty"`
	}
	count := func(n int) string {
		if n == 0 {
			return ""
		}
		return googleapi.Int64String(int64(n))
	}
	name := "batches/" + j.ID
	meta := metadata{
		Type: batchTypeURL, Model: j.Model, DisplayName: j.DisplayName,
		CreateTime: googleapi.Timestamp(j.CreateTime), UpdateTime: googleapi.Timestamp(j.changed),
		BatchStats: batchStats{RequestCount: count(j.RequestCount)},
		State:      j.state, Name: name,
	}
	if j.Priority != 0 {
		meta.Priority = googleapi.Int64String(j.Priority)
	}
	if j.InputFile != "" {
		meta.InputConfig = &inputConfig{FileName: "files/" + j.InputFile}
	}
	var output []byte
	done := true
	switch j.state {
	case batchPending, batchRunning:
		meta.BatchStats.PendingRequestCount = count(j.RequestCount)
		done = false
	case batchSucceeded:
		meta.BatchStats.SuccessfulRequestCount = count(j.Succeeded)
		meta.BatchStats.FailedRequestCount = count(j.Failed)
		if j.OutputFile != "" {
			output = vectorwire.MustMarshal(map[string]string{"responsesFile": "files/" + j.OutputFile})
		} else {
			output = j.output
		}
	}
	if done {
		meta.EndTime = googleapi.Timestamp(j.EndTime)
	}
	m := vectorwire.MustMarshal(meta)
	io.WriteString(w, `{"name":`)
	w.Write(vectorwire.MustMarshal(name))
	io.WriteString(w, `,"metadata":`)
	if len(output) > 1 {
		w.Write(m[:len(m)-1])
		io.WriteString(w, `,"output":`)
		w.Write(output)
		io.WriteString(w, "}")
	} else {
		w.Write(m)
	}
	if done {
		io.WriteString(w, `,"done":true`)
	}
	if done && j.Error != nil {
		io.WriteString(w, `,"error":`)
		w.Write(vectorwire.MustMarshal(j.Error))
	}
	if withResponse && len(output) > 1 {
		io.WriteString(w, `,"response":{"@type":"`+batchOutputTypeURL+`",`)
		w.Write(output[1:])
	}
	io.WriteString(w, "}")
}

// writeOperationResponse answers with one Operation.
func writeOperationResponse(w http.ResponseWriter, j jobSnapshot, withResponse bool) {
	w.Header()["Content-Type"] = vectorwire.ContentTypeJSON
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	writeOperation(bw, j, withResponse)
	bw.Flush()
}
