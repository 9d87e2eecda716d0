package family

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
)

// Route is one endpoint of a family.
type Route struct {
	Method string
	// Path is a gorilla/mux template: literal text and {name} or
	// {name:pattern} variables.
	Path string
	// Kind names the route in the journal, faults and recordings
	// ("embedContent", "batches.get", "embeddings", ...).
	Kind string
	// APIVersion is the version the route is served under, if any.
	APIVersion string
	// ModelVar names the path variable that holds the model, if any.
	ModelVar string
	// Embeds marks the routes that embed inputs: rate limits apply to
	// them.
	Embeds bool
	// Hot routes carry nearly all of a load and are matched without the
	// router. Their path must be literal text with at most one variable
	// of pattern [^/:]+ (see hotPattern); the router matches the same
	// template, and hot routes come first in its order, so both agree.
	Hot bool
	// When, if set, must also hold for the route to match (routes that
	// share a path with another family's, told apart by headers).
	When func(r *http.Request) bool
	// Handle answers the request.
	Handle func(w http.ResponseWriter, r *http.Request, c *Call)
}

// Call is a request as the table classified it: which family and route it
// is for, and the variables of its path.
type Call struct {
	Family     string // the family's name; "http" for requests no family claims
	Kind       string // the route kind; for unclaimed requests "METHOD path"
	Model      string // from the path (without "models/"); "" if none
	APIVersion string
	// Route is the matched route; nil when the request matched none (a
	// family may still claim it, for replay and the journal).
	Route *Route
	// Owner is the family of the request; nil for unclaimed requests.
	Owner Family
	vars  map[string]string
}

// Var returns a path variable of the matched route.
func (c *Call) Var(name string) string {
	if name == c.Route.ModelVar {
		return c.Model
	}
	return c.vars[name]
}

// Unclaimed is the family name of requests no family claims.
const Unclaimed = "http"

// Table is the one route table of a server: the router and the hot-path
// matcher are both built from it, and it classifies every request.
type Table struct {
	router   *mux.Router
	routes   []*tableRoute
	hot      []*tableRoute
	families []Family
}

type tableRoute struct {
	Route
	owner Family
	hot   hotPattern
}

// NewTable builds the table of families' routes: hot routes first, then
// every family's other routes in order.
func NewTable(families ...Family) (*Table, error) {
	t := &Table{router: mux.NewRouter(), families: families}
	t.router.SkipClean(true)
	var rest []*tableRoute
	for _, f := range families {
		for _, r := range f.Routes() {
			tr := &tableRoute{Route: r, owner: f}
			if r.Hot {
				p, err := parseHotPattern(r.Path)
				if err != nil {
					return nil, fmt.Errorf("family %s: route %s %s: %w", f.Name(), r.Method, r.Path, err)
				}
				tr.hot = p
				t.hot = append(t.hot, tr)
			} else {
				rest = append(rest, tr)
			}
		}
	}
	t.routes = append(t.hot, rest...)
	for i, tr := range t.routes {
		mr := t.router.NewRoute().Path(tr.Path).Methods(tr.Method).Name(strconv.Itoa(i))
		if tr.When != nil {
			when := tr.When
			mr.MatcherFunc(func(r *http.Request, _ *mux.RouteMatch) bool { return when(r) })
		}
		if err := mr.GetError(); err != nil {
			return nil, fmt.Errorf("family %s: route %s %s: %w", tr.owner.Name(), tr.Method, tr.Path, err)
		}
	}
	// Every route must be reachable: an earlier route (another family's,
	// with a clashing prefix) must not take its requests.
	for _, tr := range t.routes {
		if tr.When != nil {
			continue
		}
		r, err := http.NewRequest(tr.Method, "http://embedmock"+examplePath(tr.Path), nil)
		if err != nil {
			return nil, fmt.Errorf("family %s: route %s %s: %w", tr.owner.Name(), tr.Method, tr.Path, err)
		}
		if c := t.Classify(r); c.Route != &tr.Route {
			return nil, fmt.Errorf("family %s: route %s %s is taken by family %s (%s)", tr.owner.Name(), tr.Method, tr.Path, c.Family, c.Kind)
		}
	}
	return t, nil
}

// examplePath is a path a route template matches: each variable x.
func examplePath(template string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(template, '{')
		if open < 0 {
			b.WriteString(template)
			return b.String()
		}
		end := strings.IndexByte(template[open:], '}')
		if end < 0 {
			b.WriteString(template)
			return b.String()
		}
		b.WriteString(template[:open])
		b.WriteByte('x')
		template = template[open+end+1:]
	}
}

// Classify names the family, route and model of a request. It does not
// read the body.
func (t *Table) Classify(r *http.Request) Call {
	if r.Method == http.MethodPost {
		for _, tr := range t.hot {
			if v, ok := tr.hot.match(r.URL.Path); ok {
				return tr.call(v, nil)
			}
		}
	}
	var m mux.RouteMatch
	if t.router.Match(r, &m) && m.MatchErr == nil && m.Route != nil {
		i, _ := strconv.Atoi(m.Route.GetName())
		tr := t.routes[i]
		return tr.call(m.Vars[tr.ModelVar], m.Vars)
	}
	for _, f := range t.families {
		if kind, model, ok := f.Claim(r); ok {
			return Call{Family: f.Name(), Kind: kind, Model: model, Owner: f}
		}
	}
	return Call{Family: Unclaimed, Kind: r.Method + " " + r.URL.Path}
}

func (tr *tableRoute) call(model string, vars map[string]string) Call {
	return Call{Family: tr.owner.Name(), Kind: tr.Kind, Model: model, APIVersion: tr.APIVersion,
		Route: &tr.Route, Owner: tr.owner, vars: vars}
}

// Families returns the families of the table, in order.
func (t *Table) Families() []Family { return append([]Family(nil), t.families...) }

// hotPattern is a route template the hot path matches by hand: literal
// prefix, optionally one variable free of '/' and ':', literal suffix.
type hotPattern struct {
	prefix, suffix string
	hasVar         bool
}

// hotVarPattern is the only variable pattern hot routes may use.
const hotVarPattern = "[^/:]+"

func parseHotPattern(path string) (hotPattern, error) {
	open := strings.IndexByte(path, '{')
	if open < 0 {
		if strings.ContainsAny(path, "}") {
			return hotPattern{}, fmt.Errorf("not a hot path template")
		}
		return hotPattern{prefix: path}, nil
	}
	end := strings.IndexByte(path[open:], '}')
	if end < 0 {
		return hotPattern{}, fmt.Errorf("unclosed variable")
	}
	_, pattern, _ := strings.Cut(path[open+1:open+end], ":")
	suffix := path[open+end+1:]
	if pattern != hotVarPattern || strings.ContainsAny(suffix, "{}") || strings.ContainsAny(path[:open], "{}") {
		return hotPattern{}, fmt.Errorf("a hot route has literal text and at most one variable of pattern %s", hotVarPattern)
	}
	return hotPattern{prefix: path[:open], suffix: suffix, hasVar: true}, nil
}

// match reports whether path fits the pattern, and the variable's value.
func (p hotPattern) match(path string) (string, bool) {
	if !p.hasVar {
		return "", path == p.prefix
	}
	rest, ok := strings.CutPrefix(path, p.prefix)
	if !ok {
		return "", false
	}
	v, ok := strings.CutSuffix(rest, p.suffix)
	if !ok || v == "" || strings.ContainsAny(v, "/:") {
		return "", false
	}
	return v, true
}

// Handler serves the table alone: each request is classified,
// authenticated by its family and answered by its route, with no journal,
// test controls or replay (package mockserver adds those). It lets a
// family package be tested on its own.
func (t *Table) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := t.Classify(r)
		if c.Route == nil {
			http.NotFound(w, r)
			return
		}
		if f := c.Owner.Authenticate(r, &c); f != nil {
			c.Owner.WriteFailure(w, r, &c, f)
			return
		}
		c.Route.Handle(w, r, &c)
	})
}

// Exclusive checks that no route of a family other than name lies under
// the path prefix: for families served under a configurable prefix.
func (t *Table) Exclusive(name, prefix string) error {
	for _, tr := range t.routes {
		if tr.owner.Name() != name && (tr.Path == prefix || strings.HasPrefix(tr.Path, prefix+"/")) {
			return fmt.Errorf("the prefix %s is taken by family %s (%s %s)", prefix, tr.owner.Name(), tr.Method, tr.Path)
		}
	}
	return nil
}
