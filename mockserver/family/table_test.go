package family

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeFamily serves routes given by a test.
type fakeFamily struct {
	name   string
	routes []Route
	claim  string // a path prefix it claims
}

func (f *fakeFamily) Name() string    { return f.name }
func (f *fakeFamily) Routes() []Route { return f.routes }
func (f *fakeFamily) Claim(r *http.Request) (string, string, bool) {
	if f.claim != "" && len(r.URL.Path) >= len(f.claim) && r.URL.Path[:len(f.claim)] == f.claim {
		return "claimed", "", true
	}
	return "", "", false
}
func (f *fakeFamily) CanonicalPath(path string) string                                 { return path }
func (f *fakeFamily) Caller(*http.Request) string                                      { return "" }
func (f *fakeFamily) Authenticate(*http.Request, *Call) *Failure                       { return nil }
func (f *fakeFamily) WriteFailure(http.ResponseWriter, *http.Request, *Call, *Failure) {}
func (f *fakeFamily) Summarize(*Call, []byte) Summary                                  { return Summary{} }

func testTable(t testing.TB) *Table {
	t.Helper()
	embed := &fakeFamily{name: "embed", claim: "/v1alpha/", routes: []Route{
		{Method: http.MethodPost, Path: "/v1beta/models/{model:[^/:]+}:embedContent", Kind: "embedContent", ModelVar: "model", Hot: true},
		{Method: http.MethodPost, Path: "/v1beta/models/{model:[^/:]+}:batchEmbedContents", Kind: "batchEmbedContents", ModelVar: "model", Hot: true},
		{Method: http.MethodGet, Path: "/v1beta/models/{model:[^/:]+}", Kind: "models.get", ModelVar: "model"},
		{Method: http.MethodGet, Path: "/v1beta/batches/{batch:[^/:]+}", Kind: "batches.get"},
	}}
	plain := &fakeFamily{name: "plain", routes: []Route{
		{Method: http.MethodPost, Path: "/v1/embeddings", Kind: "embeddings", Hot: true},
		{Method: http.MethodGet, Path: "/v1/models", Kind: "models.list",
			When: func(r *http.Request) bool { return r.Header.Get("Authorization") != "" }},
	}}
	table, err := NewTable(plain, embed)
	require.NoError(t, err)
	return table
}

func TestClassify(t *testing.T) {
	table := testTable(t)
	tests := []struct {
		method, path, auth     string
		family, kind, model, v string
		routed                 bool
	}{
		{"POST", "/v1beta/models/m-1:embedContent", "", "embed", "embedContent", "m-1", "", true},
		{"POST", "/v1beta/models/m:batchEmbedContents", "", "embed", "batchEmbedContents", "m", "", true},
		{"GET", "/v1beta/models/m", "", "embed", "models.get", "m", "", true},
		{"GET", "/v1beta/batches/b1", "", "embed", "batches.get", "", "b1", true},
		{"POST", "/v1/embeddings", "", "plain", "embeddings", "", "", true},
		{"GET", "/v1/models", "Bearer k", "plain", "models.list", "", "", true},
		{"GET", "/v1/models", "", Unclaimed, "GET /v1/models", "", "", false},
		{"GET", "/v1beta/models/m:embedContent", "", "embed", "models.get", "m:embedContent", "", false},
		{"POST", "/v1alpha/models/m:embedContent", "", "embed", "claimed", "", "", false},
		{"DELETE", "/v1beta/models/m", "", Unclaimed, "DELETE /v1beta/models/m", "", "", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		c := table.Classify(r)
		if tt.kind == "models.get" && !tt.routed {
			// [^/:]+ does not take the verb: GET of an embed path is not a model.
			assert.Nil(t, c.Route, tt.path)
			continue
		}
		assert.Equal(t, tt.family, c.Family, tt.path)
		assert.Equal(t, tt.kind, c.Kind, tt.path)
		assert.Equal(t, tt.model, c.Model, tt.path)
		assert.Equal(t, tt.routed, c.Route != nil, tt.path)
		if tt.v != "" {
			assert.Equal(t, tt.v, c.Var("batch"), tt.path)
		}
	}
}

func TestHotPatternsAreRestricted(t *testing.T) {
	for _, path := range []string{"/a/{x}", "/a/{x:[^/]+}", "/a/{x:[^/:]+}/{y:[^/:]+}", "/a/{x:[^/:]+"} {
		_, err := NewTable(&fakeFamily{name: "f", routes: []Route{{Method: "POST", Path: path, Hot: true}}})
		assert.Error(t, err, path)
	}
}

// checkHotAgrees classifies path by the hot matcher and by the router
// alone: they must pick the same route and model.
func checkHotAgrees(t *testing.T, table *Table, path string) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.URL.Path = path
	var hot *tableRoute
	var hotVar string
	for _, tr := range table.hot {
		if v, ok := tr.hot.match(path); ok {
			hot, hotVar = tr, v
			break
		}
	}
	var m mux.RouteMatch
	routed := table.router.Match(r, &m) && m.MatchErr == nil && m.Route != nil
	var viaRouter *tableRoute
	if routed {
		for i, tr := range table.routes {
			if m.Route.GetName() == strconv.Itoa(i) {
				viaRouter = tr
			}
		}
	}
	if hot == nil {
		if viaRouter != nil && viaRouter.Hot {
			t.Fatalf("%q: the router matches hot route %s, the hot matcher does not", path, viaRouter.Path)
		}
		return
	}
	if viaRouter != hot {
		t.Fatalf("%q: hot matcher picks %s, router %v", path, hot.Path, viaRouter)
	}
	if hot.ModelVar != "" && m.Vars[hot.ModelVar] != hotVar {
		t.Fatalf("%q: hot matcher reads %q, router %q", path, hotVar, m.Vars[hot.ModelVar])
	}
}

func TestHotMatcherAgreesWithTheRouter(t *testing.T) {
	table := testTable(t)
	for _, path := range []string{
		"/v1beta/models/gemini-embedding-001:embedContent", "/v1beta/models/m:batchEmbedContents",
		"/v1alpha/models/gemini-embedding-001:embedContent", "/v1beta/models/:embedContent",
		"/v1beta/models/a/b:embedContent", "/v1beta/models/a:b:embedContent", "/v1beta/models/a:embedContents",
		"/v1beta/models/a:embedContent/", "/v1beta/models/a", "/v1beta/models/", "/v1/embeddings", "/v1/embeddings/",
		"/upload/v1beta/models/a:embedContent", "v1beta/models/a:embedContent", "/v1beta/tunedModels/a:embedContent",
	} {
		checkHotAgrees(t, table, path)
	}
}

func FuzzHotMatcher(f *testing.F) {
	f.Add("/v1beta/models/gemini-embedding-001:embedContent")
	f.Add("/v1beta/models/m:batchEmbedContents")
	f.Add("/v1beta/models/a/b:embedContent")
	f.Add("/v1/embeddings")
	table := testTable(f)
	f.Fuzz(func(t *testing.T, path string) {
		checkHotAgrees(t, table, path)
	})
}

func TestShadowedRoutesAreRefused(t *testing.T) {
	first := &fakeFamily{name: "first", routes: []Route{{Method: http.MethodGet, Path: "/v1/{anything}", Kind: "any"}}}
	second := &fakeFamily{name: "second", routes: []Route{{Method: http.MethodGet, Path: "/v1/models", Kind: "models.list"}}}
	_, err := NewTable(first, second)
	assert.ErrorContains(t, err, "family second: route GET /v1/models is taken by family first (any)")
	_, err = NewTable(second, first)
	assert.NoError(t, err, "the more specific route first")
}

func TestExclusive(t *testing.T) {
	table := testTable(t)
	assert.NoError(t, table.Exclusive("plain", "/api"))
	assert.ErrorContains(t, table.Exclusive("plain", "/v1beta"), "taken by family embed")
	assert.NoError(t, table.Exclusive("embed", "/v1beta"))
}
