package mockserver

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/embedmock/embedmock/mockserver/geminibatches"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
	"github.com/embedmock/embedmock/schemas"
)

// BatchFailure makes the next Count batch jobs created end in
// BATCH_STATE_FAILED with the error {Code, Message} instead of
// succeeding, so that tests can exercise a client's failure path.
type BatchFailure = geminibatches.Failure

// FailBatches schedules batch job failures (see BatchFailure); schedules
// are used in the order they were added.
func (s *Server) FailBatches(f BatchFailure) error { return s.batches.FailJobs(f) }

// BatchFailures returns the scheduled batch failures not used yet.
func (s *Server) BatchFailures() []BatchFailure { return s.batches.Failures() }

// ClearBatchFailures drops all scheduled batch failures.
func (s *Server) ClearBatchFailures() { s.batches.ClearFailures() }

// handleBatchFailures serves /_embedmock/batch-failures: POST schedules
// (body: BatchFailure), GET lists, DELETE clears.
func (s *Server) handleBatchFailures(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		var f BatchFailure
		if gerr := s.decodeAdminBody(w, r, &f); gerr != nil {
			googleapi.WriteError(w, gerr)
			return
		}
		if err := s.FailBatches(f); err != nil {
			googleapi.WriteError(w, googleapi.NewError(http.StatusBadRequest, err.Error()))
			return
		}
		vectorwire.WriteJSON(w, http.StatusOK, vectorwire.MustMarshal(f.WithDefaults()))
	case http.MethodGet:
		vectorwire.WriteJSON(w, http.StatusOK, vectorwire.MustMarshal(map[string][]BatchFailure{"batchFailures": s.BatchFailures()}))
	case http.MethodDelete:
		s.ClearBatchFailures()
		vectorwire.WriteJSON(w, http.StatusOK, []byte("{}"))
	}
}

// decodeAdminBody reads an admin request's JSON body into v, rejecting
// unknown fields; an empty body leaves v as it is.
func (s *Server) decodeAdminBody(w http.ResponseWriter, r *http.Request, v any) *googleapi.Error {
	body, gerr := googleapi.ReadBody(w, r, s.cfg.maxBodyBytes)
	if gerr != nil {
		return gerr
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		err = schemas.AtEnd(dec)
	}
	if err != nil {
		return googleapi.NewError(http.StatusBadRequest, "embedmock: "+r.URL.Path+": "+err.Error())
	}
	return nil
}

// handleRequests serves /_embedmock/requests: GET lists the journal
// (filters: family, route, model, status; limit keeps the newest), DELETE
// clears it.
func (s *Server) handleRequests(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete {
		s.ClearRequests()
		vectorwire.WriteJSON(w, http.StatusOK, []byte("{}"))
		return
	}
	filters, limit, gerr := journalQuery(r.URL.Query())
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	list := s.Requests(filters...)
	if limit > 0 && len(list) > limit {
		list = list[len(list)-limit:]
	}
	if list == nil {
		list = []Request{}
	}
	vectorwire.WriteJSON(w, http.StatusOK, vectorwire.MustMarshal(map[string][]Request{"requests": list}))
}

// handleFaults serves /_embedmock/faults: POST schedules one (see Fault),
// GET lists the pending ones, DELETE clears them.
func (s *Server) handleFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		var fj faultJSON
		if gerr := s.decodeAdminBody(w, r, &fj); gerr != nil {
			googleapi.WriteError(w, gerr)
			return
		}
		f, err := fj.fault()
		if err == nil {
			err = s.InjectFault(f)
		}
		if err != nil {
			googleapi.WriteError(w, googleapi.NewError(http.StatusBadRequest, "embedmock: "+strings.TrimPrefix(err.Error(), "mockserver: ")))
			return
		}
		if f.Count == 0 {
			f.Count = 1
		}
		vectorwire.WriteJSON(w, http.StatusOK, vectorwire.MustMarshal(f.toJSON()))
	case http.MethodGet:
		list := []faultJSON{}
		for _, f := range s.Faults() {
			list = append(list, f.toJSON())
		}
		vectorwire.WriteJSON(w, http.StatusOK, vectorwire.MustMarshal(map[string][]faultJSON{"faults": list}))
	case http.MethodDelete:
		s.ClearFaults()
		vectorwire.WriteJSON(w, http.StatusOK, []byte("{}"))
	}
}

// FakeClock returns the server's fake clock, or nil if it follows another
// clock.
func (s *Server) FakeClock() *FakeClock { return s.cfg.fakeClock }

// handleClock serves /_embedmock/clock: GET reports the server time, POST
// moves a fake clock: {"advance": "1h"} or {"now": "2026-01-02T15:04:05Z"}.
func (s *Server) handleClock(w http.ResponseWriter, r *http.Request) {
	fc := s.cfg.fakeClock
	if r.Method == http.MethodPost {
		if fc == nil {
			googleapi.WriteError(w, googleapi.NewError(http.StatusConflict, "embedmock: the server follows the real clock; start it with --fake-clock to move time"))
			return
		}
		var req struct {
			Advance string `json:"advance"`
			Now     string `json:"now"`
		}
		if gerr := s.decodeAdminBody(w, r, &req); gerr != nil {
			googleapi.WriteError(w, gerr)
			return
		}
		switch {
		case req.Advance != "" && req.Now != "":
			googleapi.WriteError(w, googleapi.NewError(http.StatusBadRequest, "embedmock: give advance or now, not both"))
			return
		case req.Advance != "":
			d, err := time.ParseDuration(req.Advance)
			if err != nil {
				googleapi.WriteError(w, googleapi.NewError(http.StatusBadRequest, "embedmock: advance must be a Go duration such as 90m, got "+strconv.Quote(req.Advance)))
				return
			}
			fc.Advance(d)
		case req.Now != "":
			t, err := time.Parse(time.RFC3339Nano, req.Now)
			if err != nil {
				googleapi.WriteError(w, googleapi.NewError(http.StatusBadRequest, "embedmock: now must be an RFC 3339 time, got "+strconv.Quote(req.Now)))
				return
			}
			fc.SetNow(t)
		default:
			googleapi.WriteError(w, googleapi.NewError(http.StatusBadRequest, "embedmock: give advance (a duration) or now (an RFC 3339 time)"))
			return
		}
	}
	vectorwire.WriteJSON(w, http.StatusOK, vectorwire.MustMarshal(map[string]any{"now": googleapi.Timestamp(s.now()), "fake": fc != nil}))
}

// Reset forgets everything the server accumulated: the journal, scheduled
// faults, rate limit state, and what every family keeps (batch jobs and
// their scheduled failures, files and uploads in progress, also in the
// data dir). Cassettes and configuration
// stay.
func (s *Server) Reset() {
	s.ClearRequests()
	s.ClearFaults()
	if s.limiter != nil {
		s.limiter.reset()
	}
	for _, f := range s.table.Families() {
		if r, ok := f.(interface{ Reset() }); ok {
			r.Reset()
		}
	}
}

func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	s.Reset()
	vectorwire.WriteJSON(w, http.StatusOK, []byte("{}"))
}
