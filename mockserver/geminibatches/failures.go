package geminibatches

import (
	"fmt"
	"sync"

	"github.com/embedmock/embedmock/mockserver/googleapi"
)

// Failure makes the next Count batch jobs created end in
// BATCH_STATE_FAILED with the error {Code, Message} instead of
// succeeding, so that tests can exercise a client's failure path.
type Failure struct {
	Count   int    `json:"count"`   // jobs to fail; default 1
	Code    int    `json:"code"`    // google.rpc.Code; default 8 (RESOURCE_EXHAUSTED)
	Message string `json:"message"` // default "Enqueued token quota exceeded for this model."
}

// WithDefaults fills in the defaults of unset fields.
func (f Failure) WithDefaults() Failure {
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

// failures are the scheduled batch failures, used in the order they were
// scheduled. Its mutex is a leaf: nothing else is locked while it is held.
type failures struct {
	mu        sync.Mutex
	scheduled []Failure
	clears    int // how many times the schedule was cleared
}

func (fs *failures) add(f Failure) error {
	f = f.WithDefaults()
	if f.Count < 0 || f.Code < 1 || f.Code > 16 {
		return fmt.Errorf("mockserver: batch failure needs count >= 1 and a google.rpc.Code from 1 to 16, got %+v", f)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.scheduled = append(fs.scheduled, f)
	return nil
}

func (fs *failures) list() []Failure {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]Failure{}, fs.scheduled...)
}

func (fs *failures) clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.scheduled = nil
	fs.clears++
}

// take consumes one scheduled failure, if any, and returns what puts it
// back first in line (for a job that could not be stored), unless the
// schedule was cleared meanwhile.
func (fs *failures) take() (*googleapi.RPCStatus, func()) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.scheduled) == 0 {
		return nil, func() {}
	}
	f := fs.scheduled[0]
	if fs.scheduled[0].Count--; fs.scheduled[0].Count == 0 {
		fs.scheduled = fs.scheduled[1:]
	}
	clears := fs.clears
	undo := func() {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if fs.clears != clears {
			return
		}
		fs.scheduled = append([]Failure{{Count: 1, Code: f.Code, Message: f.Message}}, fs.scheduled...)
	}
	return &googleapi.RPCStatus{Code: f.Code, Message: f.Message}, undo
}
