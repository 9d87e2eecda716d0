package geminiopenai_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/family/familytest"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/geminiopenai"
)

// FuzzGeminiOpenAIRequest sends arbitrary bodies to the endpoint: every
// answer is a 200 with one embedding per input, or a Google error with a
// 4xx status; never a panic or a 5xx.
func FuzzGeminiOpenAIRequest(f *testing.F) {
	for _, seed := range []string{
		`{"model":"gemini-embedding-001","input":"hello"}`,
		`{"model":"models/gemini-embedding-001","input":["a","b"],"dimensions":8,"encoding_format":"base64"}`,
		`{"model":"gemini-embedding-001","input":[]}`, `{"model":"gemini-embedding-001","input":[[1,2]]}`,
		`{"model":"nope","input":"x"}`, `{"model":"gemini-embedding-001","input":"x","dimensions":-1}`,
		`{"model":"gemini-embedding-001","input":""}`, `{"input":"x"}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	env := familytest.Env()
	g := gemini.New(env, gemini.Config{Models: gemini.DefaultModels()})
	table, err := family.NewTable(geminiopenai.New(env, g), g)
	if err != nil {
		f.Fatal(err)
	}
	handler := table.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, geminiopenai.Path, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer fuzz")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		familytest.CheckGoogleAnswer(t, body, rec)
		if rec.Code == http.StatusOK {
			var out struct {
				Data []json.RawMessage `json:"data"`
			}
			if json.Unmarshal(rec.Body.Bytes(), &out) != nil || len(out.Data) == 0 {
				t.Fatalf("%q: 200 with %s", body, rec.Body)
			}
		}

	})
}
