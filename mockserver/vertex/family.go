package vertex

import (
	"net/http"
	"strings"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/googleapi"
)

// Name is the family's name in the journal, faults and recordings.
const Name = "vertex"

// The route kinds, as the methods of Vertex AI's PredictionService.
const (
	KindPredict      = "predict"
	KindEmbedContent = "embedContent"
)

// Versions are the API versions served: v1beta1 is the SDKs' default for
// Vertex AI, v1 the stable one.
var Versions = []string{"v1beta1", "v1"}

// Family is Vertex AI's embedding methods as a family of the server.
// Create one with New; it is safe for concurrent use.
type Family struct {
	env    *family.Env
	gemini *gemini.Family
}

var _ family.Family = (*Family)(nil)

// New returns the family over env, answering the Gemini embedding models
// with the models and vectors of g.
func New(env *family.Env, g *gemini.Family) *Family {
	return &Family{env: env, gemini: g}
}

// Name implements family.Family.
func (f *Family) Name() string { return Name }

// Routes implements family.Family: predict and embedContent of a Google
// publisher model, with a project and location and without (express
// mode), under each version. They embed: rate limits apply.
func (f *Family) Routes() []family.Route {
	const model = "/publishers/google/models/{model:[^/:]+}"
	var routes []family.Route
	for _, v := range Versions {
		for _, scope := range []string{"/projects/{project:[^/]+}/locations/{location:[^/]+}", ""} {
			routes = append(routes,
				family.Route{Method: http.MethodPost, Path: "/" + v + scope + model + ":predict", Kind: KindPredict,
					APIVersion: v, ModelVar: "model", Embeds: true, Handle: f.handlePredict},
				family.Route{Method: http.MethodPost, Path: "/" + v + scope + model + ":embedContent", Kind: KindEmbedContent,
					APIVersion: v, ModelVar: "model", Embeds: true, Handle: f.handleEmbedContent},
			)
		}
	}
	return routes
}

// splitPath splits a Vertex AI path into its version and the resource
// after it: /v1*/projects/... or /v1*/publishers/....
func splitPath(path string) (version, rest string, ok bool) {
	p, found := strings.CutPrefix(path, "/")
	if !found {
		return "", "", false
	}
	version, rest, found = strings.Cut(p, "/")
	if !found || (version != "v1" && version != "v1beta1") {
		return "", "", false
	}
	if !strings.HasPrefix(rest, "projects/") && !strings.HasPrefix(rest, "publishers/") {
		return "", "", false
	}
	return version, rest, true
}

// Claim implements family.Family: every other Vertex AI path
// (/v1/projects/..., /v1beta1/publishers/..., ...), named by its method
// (the verb after ':', else METHOD and the path) and its publisher model.
// The family must come before the Gemini routes' in the table, which claim
// every path under /v1.
func (f *Family) Claim(r *http.Request) (kind, model string, ok bool) {
	_, rest, ok := splitPath(r.URL.Path)
	if !ok {
		return "", "", false
	}
	resource, verb, _ := strings.Cut(rest, ":")
	if _, after, found := strings.Cut("/"+resource, "/models/"); found && !strings.Contains(after, "/") {
		model = after
	}
	if verb != "" {
		return verb, model, true
	}
	return r.Method + " " + rest, model, true
}

// CanonicalPath implements family.Family: the path without its version
// (v1 and v1beta1 answer alike).
func (f *Family) CanonicalPath(path string) string {
	if _, rest, ok := splitPath(path); ok {
		return "/" + rest
	}
	return path
}

// Caller implements family.Family: the bearer token, else the API key.
func (f *Family) Caller(r *http.Request) string {
	if token := family.BearerToken(r); token != "" {
		return token
	}
	return googleapi.APIKey(r)
}

// CredentialHeaders implements family.Credentialed: express mode's key.
func (f *Family) CredentialHeaders() []string { return []string{"X-Goog-Api-Key"} }

// Authenticate implements family.Family: an OAuth 2 access token
// (Authorization: Bearer), or an API key (x-goog-api-key or ?key=, express
// mode). Any non-empty credential passes unless the server restricts keys,
// when tokens and keys alike must be accepted keys.
func (f *Family) Authenticate(r *http.Request, c *family.Call) *family.Failure {
	if token := family.BearerToken(r); token != "" {
		if !f.env.Accepts(token) {
			return invalidToken(c).Failure()
		}
		return nil
	}
	switch key := googleapi.APIKey(r); {
	case key == "":
		return missingCredentials(c).Failure()
	case !f.env.Accepts(key):
		return invalidAPIKey().Failure()
	}
	return nil
}

// WriteFailure implements family.Family: f in Google's envelope, with
// Vertex AI's words for quotas.
func (f *Family) WriteFailure(w http.ResponseWriter, _ *http.Request, c *family.Call, fl *family.Failure) {
	writeError(w, render(fl, c.Model))
}

// writeError answers with e and the front end's headers.
func writeError(w http.ResponseWriter, e *googleapi.Error) {
	googleapi.SetHeaders(w.Header())
	googleapi.WriteError(w, e)
}
