package mockserver

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

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

// rpcStatus is a google.rpc.Status: the error of an operation or of one
// request in a batch.
type rpcStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// batchJob is an async batch embedding job. Its state follows the server
// clock: PENDING for the first half of the batch delay, RUNNING for the
// second, then finished; the results are computed when a client first
// observes the job finished, and are then fixed.
type batchJob struct {
	batchRecord
	output  []byte     // inline results, {"inlinedResponses":{...}}, when the store is memory only
	mu      sync.Mutex // serialises finishing, cancelling and deleting
	deleted bool       // set under mu and the store's mutex
}

// batchRecord is what is stored of a job (in the data dir as JSON).
type batchRecord struct {
	ID           string          `json:"id"`
	Model        string          `json:"model"` // "models/{id}"
	APIVersion   string          `json:"apiVersion"`
	DisplayName  string          `json:"displayName,omitempty"`
	Priority     int64           `json:"priority,omitempty"`
	InputFile    string          `json:"inputFile,omitempty"` // file id, for file input
	Inline       json.RawMessage `json:"inline,omitempty"`    // the inline requests, until the job finishes
	RequestCount int             `json:"requestCount"`
	CreateTime   time.Time       `json:"createTime"`
	Delay        time.Duration   `json:"delay"`
	TTL          time.Duration   `json:"ttl"`
	Failure      *rpcStatus      `json:"failure,omitempty"` // injected: finish FAILED with this error

	// Set once the job is finished.
	Final      string     `json:"final,omitempty"`
	EndTime    time.Time  `json:"endTime"`
	Succeeded  int        `json:"succeeded,omitempty"`
	Failed     int        `json:"failed,omitempty"`
	Error      *rpcStatus `json:"error,omitempty"`
	OutputFile string     `json:"outputFile,omitempty"` // file id of the results, for file input
	HasOutput  bool       `json:"hasOutput,omitempty"`  // inline results stored
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

func errTooManyBatchRequests(field string, limit int) *googleError {
	return invalidFields(fmt.Sprintf("%s: at most %d requests can be in one batch job (embedmock's limit, --max-batch-requests)", field, limit))
}

func errBatchNotFound() *googleError {
	return newGoogleError(http.StatusNotFound, "Requested entity was not found.")
}

func (s *Server) handleAsyncBatchEmbedContent(w http.ResponseWriter, r *http.Request, call geminiCall) {
	obj, gerr := s.readGeminiBody(w, r, call, schemas.GeminiAsyncBatchEmbedContentRequest)
	if gerr != nil {
		writeGoogleError(w, gerr)
		return
	}
	model, ok := s.gemini.lookup(call.modelID)
	if !ok || !slices.Contains(model.SupportedGenerationMethods, "asyncBatchEmbedContent") {
		writeGoogleError(w, newGoogleError(http.StatusNotFound, fmt.Sprintf(
			"models/%s is not found for API version %s, or is not supported for asyncBatchEmbedContent. Call ListModels to see the list of available models and their supported methods.",
			call.modelID, call.apiVersion)))
		return
	}
	job, gerr := s.newBatchJob(obj, model, call)
	if gerr != nil {
		writeGoogleError(w, gerr)
		return
	}
	created, gerr := s.addBatchJob(job)
	if gerr != nil {
		writeGoogleError(w, gerr)
		return
	}
	writeOperationResponse(w, created, false)
}

// newBatchJob validates an AsyncBatchEmbedContentRequest and builds its job.
func (s *Server) newBatchJob(obj map[string]any, model *GeminiModel, call geminiCall) (*batchJob, *googleError) {
	batch, ok := obj["batch"].(map[string]any)
	if !ok {
		return nil, invalidFields("AsyncBatchEmbedContentRequest.batch: batch is not specified")
	}
	if name, ok := batch["model"].(string); ok && name != "" && name != model.Name {
		if !validModelName(name) {
			return nil, invalidFields("EmbedContentBatch.model: unexpected model name format")
		}
		return nil, invalidFields(fmt.Sprintf("EmbedContentBatch.model: the batch's model %s must match the model in the URL (%s)", name, model.Name))
	}
	job := &batchJob{batchRecord: batchRecord{
		ID: newID(36), Model: model.Name, APIVersion: call.apiVersion,
		CreateTime: s.now(), Delay: s.cfg.batchDelay, TTL: s.cfg.batchTTL,
	}}
	job.DisplayName, _ = field(batch, "displayName", "display_name").(string)
	var gerr *googleError
	if job.Priority, gerr = decodeInt64(batch, "priority", "", schemas.Path{"batch"}); gerr != nil {
		return nil, gerr
	}
	input, _ := field(batch, "inputConfig", "input_config").(map[string]any)
	var sources []string
	for _, k := range []string{"fileName", "file_name", "requests"} {
		if v, ok := input[k]; ok && v != nil {
			sources = append(sources, k)
		}
	}
	slices.Sort(sources)
	switch {
	case len(sources) == 0:
		return nil, invalidFields("EmbedContentBatch.input_config: input_config is not specified")
	case len(sources) > 1:
		return nil, errBadPayload("batch.input_config", fmt.Sprintf(
			"Invalid value at 'batch.input_config' (oneof), oneof field 'source' is already set. Cannot set '%s'", sources[1]))
	case sources[0] == "requests":
		requests, _ := input["requests"].(map[string]any)
		items, _ := requests["requests"].([]any)
		if len(items) == 0 {
			return nil, invalidFields("EmbedContentBatch.input_config.requests.requests: requests is not specified")
		}
		if len(items) > s.cfg.maxBatchRequests {
			return nil, errTooManyBatchRequests("EmbedContentBatch.input_config.requests.requests", s.cfg.maxBatchRequests)
		}
		raw, err := json.Marshal(items)
		if err != nil {
			return nil, newGoogleError(http.StatusBadRequest, "embedmock: cannot store the requests: "+err.Error())
		}
		job.Inline, job.RequestCount = raw, len(items)
	default:
		name, _ := field(input, "fileName", "file_name").(string)
		id, ok := strings.CutPrefix(name, "files/")
		if !ok || id == "" {
			return nil, invalidFields("EmbedContentBatch.input_config.file_name: the file name must be files/{id}")
		}
		f, ok := s.store.getFile(id, job.CreateTime)
		if !ok {
			return nil, errFileNotFound(id)
		}
		n, err := s.countRequestLines(f)
		if err != nil {
			return nil, errStorage(err)
		}
		if n == 0 {
			return nil, invalidFields("EmbedContentBatch.input_config.file_name: " + name + " holds no requests")
		}
		if n > s.cfg.maxBatchRequests {
			return nil, errTooManyBatchRequests("EmbedContentBatch.input_config.file_name", s.cfg.maxBatchRequests)
		}
		job.InputFile, job.RequestCount = id, n
	}
	return job, nil
}

// addBatchJob stores a new job if there is room and returns it as created.
func (s *Server) addBatchJob(j *batchJob) (jobSnapshot, *googleError) {
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.jobs) >= s.cfg.maxBatches {
		return jobSnapshot{}, errStoreFull("batch jobs", s.cfg.maxBatches)
	}
	j.Failure = s.takeBatchFailure()
	if st.disk != nil {
		if err := st.disk.writeJSON("jobs", j.ID+".json", &j.batchRecord); err != nil {
			return jobSnapshot{}, errStorage(err)
		}
	}
	// The snapshot is taken before the job is published: from then on a
	// concurrent get or list may finish it and rewrite its record.
	created := jobSnapshot{batchRecord: j.batchRecord, state: batchPending, changed: j.CreateTime}
	st.jobs[j.ID] = j
	return created, nil
}

// job is the stored job id, or nil.
func (st *store) job(id string) *batchJob {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.jobs[id]
}

// observeJob returns a snapshot of job id at now, finishing it first if it
// is due; it reports false if there is no such job.
func (s *Server) observeJob(id string) (jobSnapshot, bool) {
	j := s.store.job(id)
	if j == nil {
		return jobSnapshot{}, false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.deleted {
		return jobSnapshot{}, false
	}
	return s.settleJobLocked(j), true
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
func (s *Server) settleJobLocked(j *batchJob) jobSnapshot {
	st := s.store
	st.mu.Lock()
	state, changed, due := j.progress(s.now())
	st.mu.Unlock()
	if due {
		s.finishJob(j, state, changed)
		st.mu.Lock()
		state, changed, _ = j.progress(s.now())
		st.mu.Unlock()
	}
	snap := jobSnapshot{batchRecord: j.batchRecord, state: state, changed: changed}
	if snap.Final == "" && due { // could not be stored; report it as still running
		snap.state, snap.changed = batchRunning, j.CreateTime.Add(j.Delay/2)
	}
	if state == batchSucceeded && j.HasOutput {
		snap.output = s.jobOutput(j)
	}
	return snap
}

// finishJob computes the job's results (or its failure) and stores them.
// It runs with j.mu held and st.mu not held.
func (s *Server) finishJob(j *batchJob, state string, end time.Time) {
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
		var failure *rpcStatus
		output, failure = s.computeBatchResults(&done)
		if failure != nil {
			done.Final, done.Error = batchFailed, failure
		} else {
			done.Final = batchSucceeded
		}
	}
	done.Inline = nil
	done.HasOutput = output != nil
	st := s.store
	if st.disk != nil {
		if output != nil {
			if err := writeFileAtomic(st.disk.path("jobs", j.ID+".output"), func(wr io.Writer) error {
				_, err := wr.Write(output)
				return err
			}); err != nil {
				return // stays unfinished; the next observation tries again
			}
		}
		if err := st.disk.writeJSON("jobs", j.ID+".json", &done); err != nil {
			return
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	j.batchRecord = done
	if st.disk == nil {
		j.output = output
	}
}

// jobOutput returns the stored inline results of a finished job.
func (s *Server) jobOutput(j *batchJob) []byte {
	if !j.HasOutput {
		return nil
	}
	if s.store.disk == nil {
		return j.output
	}
	data, err := os.ReadFile(s.store.disk.path("jobs", j.ID+".output"))
	if err != nil {
		return nil
	}
	return data
}

func (s *Server) handleGetBatch(w http.ResponseWriter, r *http.Request, call geminiCall) {
	if err := checkQuery(r); err != nil {
		writeGoogleError(w, err)
		return
	}
	snap, ok := s.observeJob(call.batchID)
	if !ok {
		writeGoogleError(w, errBatchNotFound())
		return
	}
	writeOperationResponse(w, snap, true)
}

func (s *Server) handleListBatches(w http.ResponseWriter, r *http.Request, call geminiCall) {
	size, after, gerr := pageParams(r, "ListOperationsRequest", defaultBatchesPageSize, maxBatchesPageSize)
	if gerr != nil {
		writeGoogleError(w, gerr)
		return
	}
	// Creation time and id never change, but are read under the lock like
	// every other field of a record.
	type listed struct {
		job     *batchJob
		created time.Time
		id      string
	}
	st := s.store
	st.mu.Lock()
	jobs := make([]listed, 0, len(st.jobs))
	for _, j := range st.jobs {
		if after == nil || after.before(j.CreateTime, j.ID) {
			jobs = append(jobs, listed{j, j.CreateTime, j.ID})
		}
	}
	st.mu.Unlock()
	slices.SortFunc(jobs, func(a, b listed) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return compareStrings(a.id, b.id)
	})
	more := len(jobs) > size
	jobs = jobs[:min(size, len(jobs))]

	w.Header()["Content-Type"] = contentTypeJSON
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
		snap := s.settleJobLocked(l.job)
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
		io.WriteString(bw, `,"nextPageToken":"`+pageCursor{last.created, last.id}.token()+`"`)
	}
	bw.WriteByte('}')
}

func (s *Server) handleCancelBatch(w http.ResponseWriter, r *http.Request, call geminiCall) {
	if err := checkQuery(r); err != nil {
		writeGoogleError(w, err)
		return
	}
	if _, gerr := s.readBody(w, r); gerr != nil { // empty, or {} from JS
		writeGoogleError(w, gerr)
		return
	}
	st := s.store
	j := st.job(call.batchID)
	if j == nil {
		writeGoogleError(w, errBatchNotFound())
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.deleted {
		writeGoogleError(w, errBatchNotFound())
		return
	}
	if snap := s.settleJobLocked(j); snap.state == batchPending || snap.state == batchRunning {
		done := j.batchRecord
		done.Final, done.EndTime, done.Inline = batchCancelled, s.now(), nil
		done.Error = &rpcStatus{Code: 1, Message: "The batch was cancelled."}
		if st.disk != nil {
			if err := st.disk.writeJSON("jobs", j.ID+".json", &done); err != nil {
				writeGoogleError(w, errStorage(err))
				return
			}
		}
		st.mu.Lock()
		j.batchRecord = done
		st.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, []byte("{}"))
}

func (s *Server) handleDeleteBatch(w http.ResponseWriter, r *http.Request, call geminiCall) {
	if err := checkQuery(r); err != nil {
		writeGoogleError(w, err)
		return
	}
	st := s.store
	j := st.job(call.batchID)
	if j == nil {
		writeGoogleError(w, errBatchNotFound())
		return
	}
	// Wait for a finish or cancel in progress, so that it cannot write the
	// job back to the data dir after it is gone.
	j.mu.Lock()
	defer j.mu.Unlock()
	st.mu.Lock()
	if st.jobs[call.batchID] != j {
		st.mu.Unlock()
		writeGoogleError(w, errBatchNotFound())
		return
	}
	delete(st.jobs, call.batchID)
	j.deleted = true
	st.mu.Unlock()
	if st.disk != nil {
		st.disk.remove("jobs", call.batchID+".json", call.batchID+".output")
	}
	writeJSON(w, http.StatusOK, []byte("{}"))
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
		return int64String(int64(n))
	}
	name := "batches/" + j.ID
	meta := metadata{
		Type: batchTypeURL, Model: j.Model, DisplayName: j.DisplayName,
		CreateTime: formatTimestamp(j.CreateTime), UpdateTime: formatTimestamp(j.changed),
		BatchStats: batchStats{RequestCount: count(j.RequestCount)},
		State:      j.state, Name: name,
	}
	if j.Priority != 0 {
		meta.Priority = int64String(j.Priority)
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
			output = mustMarshal(map[string]string{"responsesFile": "files/" + j.OutputFile})
		} else {
			output = j.output
		}
	}
	if done {
		meta.EndTime = formatTimestamp(j.EndTime)
	}
	m := mustMarshal(meta)
	io.WriteString(w, `{"name":`)
	w.Write(mustMarshal(name))
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
		w.Write(mustMarshal(j.Error))
	}
	if withResponse && len(output) > 1 {
		io.WriteString(w, `,"response":{"@type":"`+batchOutputTypeURL+`",`)
		w.Write(output[1:])
	}
	io.WriteString(w, "}")
}

// writeOperationResponse answers with one Operation.
func writeOperationResponse(w http.ResponseWriter, j jobSnapshot, withResponse bool) {
	w.Header()["Content-Type"] = contentTypeJSON
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	writeOperation(bw, j, withResponse)
	bw.Flush()
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only JSON-safe types are marshalled here
	}
	return b
}
