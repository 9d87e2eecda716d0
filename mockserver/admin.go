package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
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
		body, gerr := s.readBody(w, r)
		if gerr != nil {
			writeGoogleError(w, gerr)
			return
		}
		var f BatchFailure
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if len(body) > 0 {
			if err := dec.Decode(&f); err != nil {
				writeGoogleError(w, newGoogleError(http.StatusBadRequest, "embedmock: batch failure body: "+err.Error()))
				return
			}
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
