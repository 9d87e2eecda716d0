package recording

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"gopkg.in/dnaeon/go-vcr.v3/cassette"

	"github.com/embedmock/embedmock/schemas"
)

// Library holds recorded interactions for replay. It answers a request
// from the interactions recorded for the same key; a Gemini embed request
// whose inputs were all recorded (in any grouping) is answered from the
// recorded vectors. Lookups are safe for concurrent use and repeatable:
// the same request can be replayed any number of times, in any order.
type Library struct {
	mu      sync.RWMutex
	entries map[string]*entry          // by Key.Request, within a family
	vectors map[string]json.RawMessage // by family and input (Matcher.Inputs)
	matcher Matcher
	size    int
}

// entry is every interaction recorded for one key, in recorded order.
// Replays walk through them and then repeat the last one, so a polled
// resource (a batch job going PENDING, RUNNING, SUCCEEDED) replays its
// history, and a request recorded once answers the same every time.
type entry struct {
	key          Key
	interactions []recorded
	next         atomic.Int64
}

type recorded struct {
	in     *cassette.Interaction
	source string // "file.yaml#id"
}

// NewLibrary returns an empty library that keys requests with m; with a
// nil m, requests match by method, path and canonical body alone.
func NewLibrary(m Matcher) *Library {
	if m == nil {
		m = plainMatcher{}
	}
	return &Library{entries: map[string]*entry{}, vectors: map[string]json.RawMessage{}, matcher: m}
}

// Len returns the number of interactions held.
func (l *Library) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.size
}

// AddCassettes adds every interaction of the cassettes, in order. The
// interactions are indexed (keys computed, vectors picked out of the
// responses) on every processor, and added in order.
func (l *Library) AddCassettes(cassettes []Loaded) {
	var all []*prepared
	for _, c := range cassettes {
		for _, in := range c.Cassette.Interactions {
			all = append(all, &prepared{in: in, source: c.Path + "#" + strconv.Itoa(in.ID)})
		}
	}
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(all)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(all)); i = next.Add(1) - 1 {
				all[i].index(l.matcher)
			}
		}()
	}
	wg.Wait()
	for _, p := range all {
		l.insert(p)
	}
}

// Add indexes one interaction; source names it in messages.
func (l *Library) Add(in *cassette.Interaction, source string) {
	p := &prepared{in: in, source: source}
	p.index(l.matcher)
	l.insert(p)
}

// prepared is an interaction with what indexing it takes, computed before
// the library is locked.
type prepared struct {
	in      *cassette.Interaction
	source  string
	ok      bool // the URL parsed
	key     Key
	inputs  []string          // an embedding request's inputs (Matcher.Inputs)
	vectors []json.RawMessage // and its response's vectors, one per input
}

func (p *prepared) index(m Matcher) {
	in := p.in
	u, err := url.Parse(in.Request.URL)
	if err != nil {
		return
	}
	p.ok = true
	p.key = m.Key(in.Request.Method, u, in.Request.Headers, []byte(in.Request.Body))
	if in.Response.Code/100 != 2 {
		return
	}
	inputs, ok := m.Inputs(p.key, []byte(in.Request.Body))
	if !ok {
		return
	}
	vectors, ok := m.Vectors(p.key, []byte(in.Response.Body))
	if !ok || len(vectors) != len(inputs) {
		return
	}
	p.inputs, p.vectors = inputs, vectors
}

func (l *Library) insert(p *prepared) {
	if !p.ok {
		return
	}
	key := p.key
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[key.Family+" "+key.Request]
	if !ok {
		e = &entry{key: key}
		l.entries[key.Family+" "+key.Request] = e
	}
	e.interactions = append(e.interactions, recorded{in: p.in, source: p.source})
	l.size++
	for i, input := range p.inputs {
		if k := key.Family + "\x00" + input; l.vectors[k] == nil {
			l.vectors[k] = p.vectors[i]
		}
	}
}

// Answer is a recorded response to replay.
type Answer struct {
	Status   int
	Header   http.Header
	Body     []byte
	Duration time.Duration // the recorded latency
	Source   string        // which interaction(s) it came from
}

// Lookup finds the recorded answer to the request of key and body, or
// explains the miss.
func (l *Library) Lookup(key Key, body []byte) (*Answer, *Miss) {
	// The interaction is picked under the lock: recording appends to
	// e.interactions while others replay.
	l.mu.RLock()
	e, ok := l.entries[key.Family+" "+key.Request]
	var r recorded
	if ok {
		r = e.interactions[min(int(e.next.Add(1))-1, len(e.interactions)-1)]
	}
	l.mu.RUnlock()
	if ok {
		return &Answer{
			Status: r.in.Response.Code, Header: r.in.Response.Headers.Clone(),
			Body: []byte(r.in.Response.Body), Duration: r.in.Response.Duration, Source: r.source,
		}, nil
	}
	if a := l.fromVectors(key, body); a != nil {
		return a, nil
	}
	return nil, l.miss(key)
}

// fromVectors answers an embedding request whose inputs were all
// recorded.
func (l *Library) fromVectors(key Key, body []byte) *Answer {
	inputs, ok := l.matcher.Inputs(key, body)
	if !ok {
		return nil
	}
	vectors := make([]json.RawMessage, len(inputs))
	l.mu.RLock()
	for i, input := range inputs {
		if vectors[i], ok = l.vectors[key.Family+"\x00"+input]; !ok {
			l.mu.RUnlock()
			return nil
		}
	}
	l.mu.RUnlock()
	return &Answer{
		Status: http.StatusOK,
		Header: http.Header{"Content-Type": {"application/json; charset=UTF-8"}},
		Body:   l.matcher.Answer(key, vectors),
		Source: "recorded vectors",
	}
}

// Miss describes a request that no recording answers.
type Miss struct {
	Key     Key
	Nearest *Nearest // nil when nothing comparable was recorded
}

// Nearest is the recorded request closest to a missed one.
type Nearest struct {
	Source      string
	Key         Key
	Differences []Difference
}

// Difference is one field where two requests differ.
type Difference struct {
	Path     string // e.g. "requests[0].content.parts[0].text", or "url"
	Recorded string
	Got      string
}

// Message explains the miss in one paragraph.
func (m *Miss) Message() string {
	var b strings.Builder
	fmt.Fprintf(&b, "embedmock: no recorded interaction matches this request (%s).", m.Key)
	if m.Nearest == nil {
		b.WriteString(" The cassettes hold no comparable request.")
	} else {
		fmt.Fprintf(&b, " Nearest recorded: %s (%s), which differs in ", m.Nearest.Source, m.Nearest.Key)
		for i, d := range m.Nearest.Differences {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s (recorded %s, got %s)", d.Path, d.Recorded, d.Got)
		}
		b.WriteString(".")
	}
	b.WriteString(" Record it (--on-miss record) or answer misses with fake vectors (--on-miss fake).")
	return b.String()
}

// maxDifferences bounds the differences a miss lists.
const maxDifferences = 5

// miss finds the recorded request nearest to key: the same family, route
// and model if possible, with the fewest differing fields.
func (l *Library) miss(key Key) *Miss {
	// What is needed of each entry is copied under the lock: recording
	// appends to the entries' interactions meanwhile.
	type candidate struct {
		key    Key
		source string // of the first interaction
	}
	l.mu.RLock()
	candidates := make([]candidate, 0, len(l.entries))
	for _, e := range l.entries {
		candidates = append(candidates, candidate{e.key, e.interactions[0].source})
	}
	l.mu.RUnlock()
	rank := func(e candidate) int {
		switch {
		case e.key.Family != key.Family:
			return 3
		case e.key.Route != key.Route:
			return 2
		case e.key.Model != key.Model:
			return 1
		}
		return 0
	}
	var best *candidate
	var bestDiffs []Difference
	bestRank, bestCount := 4, 0
	for i, e := range candidates {
		r := rank(e)
		if r > bestRank || r == 3 {
			continue
		}
		diffs := requestDifferences(e.key.Request, key.Request)
		better := r < bestRank || len(diffs) < bestCount ||
			(len(diffs) == bestCount && best != nil && e.source < best.source)
		if best == nil || better {
			best, bestDiffs, bestRank, bestCount = &candidates[i], diffs, r, len(diffs)
		}
	}
	m := &Miss{Key: key}
	if best != nil {
		if len(bestDiffs) > maxDifferences {
			bestDiffs = bestDiffs[:maxDifferences]
		}
		m.Nearest = &Nearest{Source: best.source, Key: best.key, Differences: bestDiffs}
	}
	return m
}

// requestDifferences compares two canonical requests field by field.
func requestDifferences(recorded, got string) []Difference {
	rLine, rBody := splitCanonical(recorded)
	gLine, gBody := splitCanonical(got)
	var diffs []Difference
	if rLine != gLine {
		diffs = append(diffs, Difference{Path: "url", Recorded: rLine, Got: gLine})
	}
	rv, errR := schemas.Decode([]byte(rBody))
	gv, errG := schemas.Decode([]byte(gBody))
	if errR != nil || errG != nil {
		if rBody != gBody {
			diffs = append(diffs, Difference{Path: "body", Recorded: shorten(rBody), Got: shorten(gBody)})
		}
		return diffs
	}
	return diffValues("", rv, gv, diffs)
}

// splitCanonical separates "METHOD path?query" from the body.
func splitCanonical(s string) (line, body string) {
	method, rest, _ := strings.Cut(s, " ")
	path, body, _ := strings.Cut(rest, " ")
	return method + " " + path, body
}

func diffValues(path string, recorded, got any, diffs []Difference) []Difference {
	rm, rIsMap := recorded.(map[string]any)
	gm, gIsMap := got.(map[string]any)
	if rIsMap && gIsMap {
		var keys []string
		for k := range rm {
			keys = append(keys, k)
		}
		for k := range gm {
			if _, ok := rm[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			diffs = diffValues(p, rm[k], gm[k], diffs)
		}
		return diffs
	}
	ra, rIsList := recorded.([]any)
	ga, gIsList := got.([]any)
	if rIsList && gIsList {
		for i := range max(len(ra), len(ga)) {
			var r, g any
			if i < len(ra) {
				r = ra[i]
			}
			if i < len(ga) {
				g = ga[i]
			}
			diffs = diffValues(path+"["+strconv.Itoa(i)+"]", r, g, diffs)
		}
		return diffs
	}
	rs, gs := render(recorded), render(got)
	if rs != gs {
		if path == "" {
			path = "body"
		}
		diffs = append(diffs, Difference{Path: path, Recorded: rs, Got: gs})
	}
	return diffs
}

func render(v any) string {
	if v == nil {
		return "nothing"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return shorten(string(b))
}

func shorten(s string) string {
	const limit = 80
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
