package geminibatches

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/store"
)

// jobStore holds the batch jobs, in memory and, with a data dir, on disk:
//
//	DIR/jobs/{id}.json      batch job              DIR/jobs/{id}.output    results once finished
//
// Locking, the one place it is decided: a job's own mutex serialises the
// work on it (finishing, cancelling, deleting), and is taken first; the
// store's mutex guards the map and is held only to read or swap records,
// never while a job's mutex is awaited. A job's record is written with
// both held, so either one suffices to read it. The only lock taken under
// the store's is the leaf lock of the failure schedule.
type jobStore struct {
	mu   sync.Mutex
	back store.Backend
	jobs map[string]*batchJob
}

func newJobStore(back store.Backend) (*jobStore, error) {
	st := &jobStore{back: back, jobs: map[string]*batchJob{}}
	err := back.Load("jobs", func(id string, record []byte) error {
		j := &batchJob{}
		if err := json.Unmarshal(record, &j.batchRecord); err != nil {
			return err
		}
		st.jobs[id] = j
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// add stores a new job if fewer than limit are stored. prepare, when
// set, completes the job once it has room (it may take only leaf locks),
// and returns what undoes that if the job cannot be stored after all.
func (st *jobStore) add(j *batchJob, limit int, prepare func(*batchJob) (undo func())) *googleapi.Error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.jobs) >= limit {
		return googleapi.StoreFull("batch jobs", limit)
	}
	undo := func() {}
	if prepare != nil {
		undo = prepare(j)
	}
	if err := st.back.PutRecord("jobs", j.ID, &j.batchRecord); err != nil {
		undo()
		return googleapi.StorageError(err)
	}
	st.jobs[j.ID] = j
	return nil
}

// get returns the stored job id, or nil.
func (st *jobStore) get(id string) *batchJob {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.jobs[id]
}

// progress reads j's state at now.
func (st *jobStore) progress(j *batchJob, now time.Time) (state string, changed time.Time, due bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return j.progress(now)
}

// update stores done as j's record, with its inline results; j.mu is
// held. Nothing changes if it cannot be stored.
func (st *jobStore) update(j *batchJob, done batchRecord, output []byte) error {
	if output != nil {
		if err := st.back.PutContent("jobs", j.ID+".output", output); err != nil {
			return err
		}
	}
	if err := st.back.PutRecord("jobs", j.ID, &done); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	j.batchRecord = done
	return nil
}

// output returns the stored inline results of a finished job; j.mu is
// held.
func (st *jobStore) output(j *batchJob) []byte {
	if !j.HasOutput {
		return nil
	}
	data, err := st.back.Read("jobs", j.ID+".output")
	if err != nil {
		return nil
	}
	return data
}

// listed is a job as a listing sees it.
type listed struct {
	job     *batchJob
	created time.Time
	id      string
}

// list returns the jobs that pass keep.
func (st *jobStore) list(keep func(created time.Time, id string) bool) []listed {
	st.mu.Lock()
	defer st.mu.Unlock()
	jobs := make([]listed, 0, len(st.jobs))
	for _, j := range st.jobs {
		if keep(j.CreateTime, j.ID) {
			jobs = append(jobs, listed{j, j.CreateTime, j.ID})
		}
	}
	return jobs
}

// remove deletes j if it is still the stored job of its id; j.mu is held,
// so that no finish or cancel can write the job back after it is gone.
func (st *jobStore) remove(j *batchJob) bool {
	st.mu.Lock()
	if st.jobs[j.ID] != j {
		st.mu.Unlock()
		return false
	}
	delete(st.jobs, j.ID)
	j.deleted = true
	st.mu.Unlock()
	st.back.Remove("jobs", j.ID+".json", j.ID+".output")
	return true
}

// reset forgets every job, waiting for jobs being finished.
func (st *jobStore) reset() {
	st.mu.Lock()
	jobs := make([]*batchJob, 0, len(st.jobs))
	for _, j := range st.jobs {
		jobs = append(jobs, j)
	}
	st.mu.Unlock()
	for _, j := range jobs {
		j.mu.Lock()
		st.remove(j)
		j.mu.Unlock()
	}
}
