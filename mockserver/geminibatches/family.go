// Package geminibatches fakes the Gemini API's asynchronous batch
// embedding jobs (https://ai.google.dev/gemini-api/docs/batch-mode):
// models.asyncBatchEmbedContent with inline requests or a JSONL file of
// the Files API, and the batches resource (get, list, cancel, delete) as
// long-running operations in the shapes the official SDKs parse.
//
// A job's state follows the server clock (PENDING, RUNNING, then
// SUCCEEDED, FAILED, CANCELLED or EXPIRED); its results are computed with
// package gemini's embedding of each request when a client first observes
// it finished. It owns the jobs, in memory or in a data dir, and the
// schedule of injected job failures; files are package geminifiles'.
package geminibatches

import (
	"net/http"
	"time"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/geminifiles"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/store"
)

// Config configures batch jobs.
type Config struct {
	Delay       time.Duration // how long a job takes
	TTL         time.Duration // how long a job may take before it expires
	MaxJobs     int           // most jobs stored
	MaxRequests int           // most requests in one job
}

// Family is the batches API.
type Family struct {
	googleapi.Base
	env      *family.Env
	cfg      Config
	gemini   *gemini.Family
	files    *geminifiles.Family
	jobs     *jobStore
	failures failures
}

// New returns the batches API over env, embedding with models and reading
// and writing files of files; jobs are kept in back (and what it holds
// read back).
func New(env *family.Env, cfg Config, models *gemini.Family, files *geminifiles.Family, back store.Backend) (*Family, error) {
	jobs, err := newJobStore(back)
	if err != nil {
		return nil, err
	}
	return &Family{Base: googleapi.Base{Env: env}, env: env, cfg: cfg, gemini: models, files: files, jobs: jobs}, nil
}

// Routes are the batch methods.
func (g *Family) Routes() []family.Route {
	var routes []family.Route
	for _, v := range gemini.Versions {
		route := func(method, path, kind string, h func(http.ResponseWriter, *http.Request, *family.Call)) family.Route {
			return family.Route{Method: method, Path: "/" + v + path, Kind: kind, APIVersion: v, ModelVar: "model",
				Handle: func(w http.ResponseWriter, r *http.Request, c *family.Call) {
					googleapi.SetHeaders(w.Header())
					h(w, r, c)
				}}
		}
		routes = append(routes,
			route(http.MethodPost, "/models/{model:[^/:]+}:asyncBatchEmbedContent", "asyncBatchEmbedContent", g.handleAsyncBatchEmbedContent),
			route(http.MethodGet, "/batches", "batches.list", g.handleListBatches),
			route(http.MethodGet, "/batches/{batch:[^/:]+}", "batches.get", g.handleGetBatch),
			route(http.MethodPost, "/batches/{batch:[^/:]+}:cancel", "batches.cancel", g.handleCancelBatch),
			route(http.MethodDelete, "/batches/{batch:[^/:]+}", "batches.delete", g.handleDeleteBatch),
		)
	}
	return routes
}

// Summarize counts the inline requests of a new job and reports the first
// one's task type and dimension.
func (g *Family) Summarize(c *family.Call, body []byte) family.Summary {
	if c.Kind != "asyncBatchEmbedContent" {
		return family.Summary{}
	}
	doc, err := googleapi.ParseJSON(body)
	if err != nil {
		return family.Summary{}
	}
	obj, _ := doc.(map[string]any)
	batch, _ := obj["batch"].(map[string]any)
	input, _ := googleapi.Field(batch, "inputConfig", "input_config").(map[string]any)
	requests, _ := input["requests"].(map[string]any)
	items, _ := requests["requests"].([]any)
	s := family.Summary{Inputs: len(items)}
	if len(items) > 0 {
		item, _ := items[0].(map[string]any)
		req, _ := item["request"].(map[string]any)
		first := gemini.SummarizeRequest(req)
		s.TaskType, s.Dimensions = first.TaskType(), first.OutputDimensionality()
	}
	return s
}

// FailJobs schedules job failures (see Failure).
func (g *Family) FailJobs(f Failure) error { return g.failures.add(f) }

// Failures returns the scheduled failures not used yet.
func (g *Family) Failures() []Failure { return g.failures.list() }

// ClearFailures drops the scheduled failures.
func (g *Family) ClearFailures() { g.failures.clear() }

// Reset forgets every job and scheduled failure.
func (g *Family) Reset() {
	g.jobs.reset()
	g.failures.clear()
}
