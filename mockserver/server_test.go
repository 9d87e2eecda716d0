package mockserver

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

// routerPattern is what the router's Gemini embedding routes match.
var routerPattern = regexp.MustCompile(`^/(v1beta|v1)/models/([^/:]+):(embedContent|batchEmbedContents)$`)

func checkHotRoute(t *testing.T, path string) {
	call, ok := hotGeminiRoute(path)
	m := routerPattern.FindStringSubmatch(path)
	if !assert.Equal(t, m != nil, ok, "%q", path) || !ok {
		return
	}
	assert.Equal(t, geminiCall{apiVersion: m[1], modelID: m[2], route: m[3]}, call, "%q", path)
}

func TestHotGeminiRouteMatchesTheRouter(t *testing.T) {
	for _, path := range []string{
		"/v1beta/models/gemini-embedding-001:embedContent",
		"/v1/models/gemini-embedding-001:batchEmbedContents",
		"/v1alpha/models/gemini-embedding-001:embedContent",
		"/v1beta/models/:embedContent",
		"/v1beta/models/a/b:embedContent",
		"/v1beta/models/a:b:embedContent",
		"/v1beta/models/a:embedContents",
		"/v1beta/models/a:embedContent/",
		"/v1beta/models/a:asyncBatchEmbedContent",
		"/v1beta/models/a",
		"/v1beta/models/",
		"/upload/v1beta/models/a:embedContent",
		"v1beta/models/a:embedContent",
		"/v1beta/tunedModels/a:embedContent",
	} {
		checkHotRoute(t, path)
	}
}

func FuzzHotGeminiRoute(f *testing.F) {
	f.Add("/v1beta/models/gemini-embedding-001:embedContent")
	f.Add("/v1/models/m:batchEmbedContents")
	f.Add("/v1beta/models/a/b:embedContent")
	f.Fuzz(func(t *testing.T, path string) {
		checkHotRoute(t, path)
	})
}
