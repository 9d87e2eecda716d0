package mockserver

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/embedmock/embedmock/mockserver/family"
)

// Fault is a failure injected into the requests it matches: an error
// answer in the API's own format, a delay before the answer, or a dropped
// connection. At least one of Status, Delay and Drop is set; Drop excludes
// Status.
type Fault struct {
	Status int           // answer with the API's canonical error for this HTTP status (400-599)
	Delay  time.Duration // wait this long before answering
	Drop   bool          // close the connection without answering
	Count  int           // how many matching requests it applies to; 0 means 1
	Family string        // match only this API family ("gemini", "openai", "gradient"); "" matches any
	Route  string        // match only this route kind ("batchEmbedContents", "embeddings", ...)
	Model  string        // match only this model id (without "models/")
}

// faultJSON is a Fault on the admin API: the delay as a Go duration string.
type faultJSON struct {
	Status int    `json:"status,omitempty"`
	Delay  string `json:"delay,omitempty"`
	Drop   bool   `json:"drop,omitempty"`
	Count  int    `json:"count,omitempty"`
	Family string `json:"family,omitempty"`
	Route  string `json:"route,omitempty"`
	Model  string `json:"model,omitempty"`
}

func (f Fault) toJSON() faultJSON {
	j := faultJSON{Status: f.Status, Drop: f.Drop, Count: f.Count, Family: f.Family, Route: f.Route, Model: f.Model}
	if f.Delay > 0 {
		j.Delay = f.Delay.String()
	}
	return j
}

func (j faultJSON) fault() (Fault, error) {
	f := Fault{Status: j.Status, Drop: j.Drop, Count: j.Count, Family: j.Family, Route: j.Route, Model: strings.TrimPrefix(j.Model, "models/")}
	if j.Delay != "" {
		d, err := time.ParseDuration(j.Delay)
		if err != nil {
			return f, fmt.Errorf("delay %q is not a Go duration such as 250ms", j.Delay)
		}
		f.Delay = d
	}
	return f, nil
}

func (f Fault) validate() error {
	switch {
	case f.Status == 0 && f.Delay == 0 && !f.Drop:
		return errors.New("a fault needs a status, a delay or drop")
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("a fault's status must be an HTTP error status (400-599), got %d", f.Status)
	case f.Drop && f.Status != 0:
		return errors.New("a dropped connection has no status")
	case f.Delay < 0 || f.Count < 0:
		return errors.New("a fault's delay and count must not be negative")
	}
	return nil
}

func (f Fault) matches(c *family.Call) bool {
	return (f.Family == "" || f.Family == c.Family) && (f.Route == "" || f.Route == c.Kind) && (f.Model == "" || f.Model == c.Model)
}

// faults holds the scheduled faults and the random fault rate.
type faults struct {
	mu        sync.Mutex
	scheduled []Fault
	rate      float64
	status    int
	rng       *rand.Rand
}

// InjectFault schedules a fault for the next Count matching requests.
// Faults are used in the order they were scheduled.
func (s *Server) InjectFault(f Fault) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("mockserver: %w", err)
	}
	if f.Count == 0 {
		f.Count = 1
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.scheduled = append(s.faults.scheduled, f)
	return nil
}

// Faults returns the scheduled faults not used up yet, with their
// remaining counts.
func (s *Server) Faults() []Fault {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return append([]Fault{}, s.faults.scheduled...)
}

// ClearFaults drops every scheduled fault.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.scheduled = nil
}

// take returns the fault for a request: a scheduled one that matches, or
// a random one at the configured rate.
func (fs *faults) take(c *family.Call) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i := range fs.scheduled {
		f := &fs.scheduled[i]
		if !f.matches(c) {
			continue
		}
		taken := *f
		taken.Count = 1
		if f.Count--; f.Count == 0 {
			fs.scheduled = append(fs.scheduled[:i], fs.scheduled[i+1:]...)
		}
		return taken, true
	}
	if fs.rate > 0 && fs.rng.Float64() < fs.rate {
		return Fault{Status: fs.status}, true
	}
	return Fault{}, false
}

// headerFault reads the per-request fault headers: X-Embedmock-Fault (an
// HTTP status, or drop) and X-Embedmock-Delay (a Go duration).
func headerFault(r *http.Request) (Fault, bool, error) {
	var f Fault
	if v := strings.TrimSpace(r.Header.Get("X-Embedmock-Fault")); v != "" {
		if strings.EqualFold(v, "drop") {
			f.Drop = true
		} else {
			n, err := strconv.Atoi(v)
			if err != nil {
				return f, false, fmt.Errorf("X-Embedmock-Fault must be an HTTP status or drop, got %q", v)
			}
			f.Status = n
		}
	}
	if v := strings.TrimSpace(r.Header.Get("X-Embedmock-Delay")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return f, false, fmt.Errorf("X-Embedmock-Delay must be a Go duration such as 250ms, got %q", v)
		}
		f.Delay = d
	}
	if f == (Fault{}) {
		return f, false, nil
	}
	return f, true, f.validate()
}

// applyFault carries out a fault. It reports whether the request was
// answered (an error status) or aborted; after a delay alone the request
// goes on.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault, c *family.Call) bool {
	var marks []string
	if f.Delay > 0 {
		marks = append(marks, "delay "+f.Delay.String())
	}
	if f.Status != 0 {
		marks = append(marks, strconv.Itoa(f.Status))
	}
	if f.Drop {
		marks = append(marks, "drop")
	}
	w.Header().Set("X-Embedmock-Fault", strings.Join(marks, ", "))
	if f.Delay > 0 {
		timer := time.NewTimer(f.Delay)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return true
		}
	}
	switch {
	case f.Drop:
		panic(http.ErrAbortHandler) // net/http closes the connection without an answer
	case f.Status != 0:
		failure := &family.Failure{Status: f.Status, Reason: family.Fault, Message: http.StatusText(f.Status)}
		if f.Status == http.StatusTooManyRequests {
			failure.RetryAfter = time.Second
		}
		s.writeFailure(w, r, c, failure)
		return true
	}
	return false
}
