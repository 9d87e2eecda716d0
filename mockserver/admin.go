package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/embedmock/embedmock/schemas"
)

// BatchFailure makes the next Count batch jobs created end in
// BATCH_STATE_FAILED with the error {Code, Message} instead of succeeding,
// so that tests can exercise a client's failure path.
type BatchFailure struct {
	Count   int    `json:"count"`   // jobs to fail; default 1
	Code    int    `json:"code"`    // google.rpc.Code; default 8 (RESOURCE_EXHAUSTED)
	Message string `json:"message"` // default "Enqueued token quota exceeded for this model."
}

func (f BatchFailure) withDefaults() BatchFailure {
	if f.Count == 0 {
		f.Count = 1
	}
	if f.Code == 0 {
		f.Code = 8
	}
	if f.Message == "" {
		f.Message = "Enqueued token quota exceeded for this model."
	}
	return f
}

// FailBatches schedules batch job failures (see BatchFailure); schedules
// are used in the order they were added.
func (s *Server) FailBatches(f BatchFailure) error {
	f = f.withDefaults()
	if f.Count < 0 || f.Code < 1 || f.Code > 16 {
		return fmt.Errorf("mockserver: batch failure needs count >= 1 and a google.rpc.Code from 1 to 16, got %+v", f)
	}
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	s.batchFailures = append(s.batchFailures, f)
	return nil
}

// BatchFailures returns the scheduled batch failures not used yet.
func (s *Server) BatchFailures() []BatchFailure {
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	return append([]BatchFailure{}, s.batchFailures...)
}

// ClearBatchFailures drops all scheduled batch failures.
func (s *Server) ClearBatchFailures() {
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	s.batchFailures = nil
}

// takeBatchFailure consumes one scheduled failure, if any.
func (s *Server) takeBatchFailure() *rpcStatus {
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	if len(s.batchFailures) == 0 {
		return nil
	}
	f := &s.batchFailures[0]
	status := &rpcStatus{Code: f.Code, Message: f.Message}
	if f.Count--; f.Count == 0 {
		s.batchFailures = s.batchFailures[1:]
	}
	return status
}

// handleBatchFailures serves /_embedmock/batch-failures: POST schedules
// (body: BatchFailure), GET lists, DELETE clears.
func (s *Server) handleBatchFailures(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		var f BatchFailure
		if gerr := s.decodeAdminBody(w, r, &f); gerr != nil {
			writeGoogleError(w, gerr)
			return
		}
		if err := s.FailBatches(f); err != nil {
			writeGoogleError(w, newGoogleError(http.StatusBadRequest, err.Error()))
			return
		}
		writeJSON(w, http.StatusOK, mustMarshal(f.withDefaults()))
	case http.MethodGet:
		writeJSON(w, http.StatusOK, mustMarshal(map[string][]BatchFailure{"batchFailures": s.BatchFailures()}))
	case http.MethodDelete:
		s.ClearBatchFailures()
		writeJSON(w, http.StatusOK, []byte("{}"))
	}
}

// decodeAdminBody reads an admin request's JSON body into v, rejecting
// unknown fields; an empty body leaves v as it is.
func (s *Server) decodeAdminBody(w http.ResponseWriter, r *http.Request, v any) *googleError {
	body, gerr := s.readBody(w, r)
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
		return newGoogleError(http.StatusBadRequest, "embedmock: "+r.URL.Path+": "+err.Error())
	}
	return nil
}

// handleRequests serves /_embedmock/requests: GET lists the journal
// (filters: family, route, model, status; limit keeps the newest), DELETE
// clears it.
func (s *Server) handleRequests(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete {
		s.ClearRequests()
		writeJSON(w, http.StatusOK, []byte("{}"))
		return
	}
	filters, limit, gerr := journalQuery(r.URL.Query())
	if gerr != nil {
		writeGoogleError(w, gerr)
		return
	}
	list := s.Requests(filters...)
	if limit > 0 && len(list) > limit {
		list = list[len(list)-limit:]
	}
	if list == nil {
		list = []Request{}
	}
	writeJSON(w, http.StatusOK, mustMarshal(map[string][]Request{"requests": list}))
}

// handleFaults serves /_embedmock/faults: POST schedules one (see Fault),
// GET lists the pending ones, DELETE clears them.
func (s *Server) handleFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		var fj faultJSON
		if gerr := s.decodeAdminBody(w, r, &fj); gerr != nil {
			writeGoogleError(w, gerr)
			return
		}
		f, err := fj.fault()
		if err == nil {
			err = s.InjectFault(f)
		}
		if err != nil {
			writeGoogleError(w, newGoogleError(http.StatusBadRequest, "embedmock: "+strings.TrimPrefix(err.Error(), "mockserver: ")))
			return
		}
		if f.Count == 0 {
			f.Count = 1
		}
		writeJSON(w, http.StatusOK, mustMarshal(f.toJSON()))
	case http.MethodGet:
		list := []faultJSON{}
		for _, f := range s.Faults() {
			list = append(list, f.toJSON())
		}
		writeJSON(w, http.StatusOK, mustMarshal(map[string][]faultJSON{"faults": list}))
	case http.MethodDelete:
		s.ClearFaults()
		writeJSON(w, http.StatusOK, []byte("{}"))
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
			writeGoogleError(w, newGoogleError(http.StatusConflict, "embedmock: the server follows the real clock; start it with --fake-clock to move time"))
			return
		}
		var req struct {
			Advance string `json:"advance"`
			Now     string `json:"now"`
		}
		if gerr := s.decodeAdminBody(w, r, &req); gerr != nil {
			writeGoogleError(w, gerr)
			return
		}
		switch {
		case req.Advance != "" && req.Now != "":
			writeGoogleError(w, newGoogleError(http.StatusBadRequest, "embedmock: give advance or now, not both"))
			return
		case req.Advance != "":
			d, err := time.ParseDuration(req.Advance)
			if err != nil {
				writeGoogleError(w, newGoogleError(http.StatusBadRequest, "embedmock: advance must be a Go duration such as 90m, got "+strconv.Quote(req.Advance)))
				return
			}
			fc.Advance(d)
		case req.Now != "":
			t, err := time.Parse(time.RFC3339Nano, req.Now)
			if err != nil {
				writeGoogleError(w, newGoogleError(http.StatusBadRequest, "embedmock: now must be an RFC 3339 time, got "+strconv.Quote(req.Now)))
				return
			}
			fc.SetNow(t)
		default:
			writeGoogleError(w, newGoogleError(http.StatusBadRequest, "embedmock: give advance (a duration) or now (an RFC 3339 time)"))
			return
		}
	}
	writeJSON(w, http.StatusOK, mustMarshal(map[string]any{"now": formatTimestamp(s.now()), "fake": fc != nil}))
}

// Reset forgets everything the server accumulated: the journal, scheduled
// faults and batch failures, rate limit state, batch jobs, files and
// uploads in progress (also in the data dir). Cassettes and configuration
// stay.
func (s *Server) Reset() {
	s.ClearRequests()
	s.ClearFaults()
	s.ClearBatchFailures()
	if s.limiter != nil {
		s.limiter.reset()
	}
	s.store.reset()
}

func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	s.Reset()
	writeJSON(w, http.StatusOK, []byte("{}"))
}
