package mockserver

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// openAIFuzzRoutes are the OpenAI embeddings routes FuzzOpenAIRequest picks
// from: OpenAI's two paths and Azure OpenAI's, with a deployment named
// after a model and one that is not (which serves the body's model).
var openAIFuzzRoutes = []string{
	"/v1/embeddings",
	"/embeddings",
	"/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-02-01",
	"/openai/deployments/my-deployment/embeddings?api-version=2024-02-01",
}

// FuzzOpenAIRequest sends arbitrary bodies, with a valid bearer key, to the
// OpenAI and Azure OpenAI embeddings routes. The server must never panic or
// answer 5xx; a 200 is the embeddings list with one embedding per input,
// in the requested encoding; every 4xx is OpenAI's error envelope (Azure's
// for an unknown deployment) with a message.
func FuzzOpenAIRequest(f *testing.F) {
	for _, body := range captureBodies(f, "/embeddings", "openai-node.jsonl", "langchain-openai.jsonl", "go-openai.jsonl") {
		f.Add(uint8(0), body)
	}
	for _, seed := range []string{
		``, `null`, `[]`, `"text"`, `{}`, `{"input":"a"}`, `{"model":"text-embedding-3-small"}`,
		`{"model":"text-embedding-3-small","input":""}`,
		`{"model":"text-embedding-3-small","input":[]}`,
		`{"model":"text-embedding-3-small","input":["a",""]}`,
		`{"model":"text-embedding-3-small","input":[1,"a"]}`,
		`{"model":"text-embedding-3-small","input":["a",1]}`,
		`{"model":"text-embedding-3-small","input":[[1,2],[3]]}`,
		`{"model":"text-embedding-3-small","input":[[1],[]]}`,
		`{"model":"text-embedding-3-small","input":[[1],["a"]]}`,
		`{"model":"text-embedding-3-small","input":[-1]}`,
		`{"model":"text-embedding-3-small","input":[1.0,2e3]}`,
		`{"model":"text-embedding-3-small","input":[99999999999999999999999]}`,
		`{"model":"text-embedding-3-small","input":"a","dimensions":1.0}`,
		`{"model":"text-embedding-3-small","input":"a","dimensions":1e3}`,
		`{"model":"text-embedding-3-small","input":"a","dimensions":99999999999999999999}`,
		`{"model":"text-embedding-3-small","input":"a","dimensions":0}`,
		`{"model":"text-embedding-3-large","input":"a","dimensions":3072,"encoding_format":"base64","user":"u"}`,
		`{"model":"text-embedding-ada-002","input":"a","dimensions":8}`,
		`{"model":"text-embedding-ada-002","input":["a","b"],"encoding_format":"float"}`,
		`{"model":"text-embedding-3-small","input":"a","encoding_format":"hex"}`,
		`{"model":"text-embedding-3-small","input":"a","extra":true}`,
		`{"model":"no-such-model","input":"a"}`,
		`{"model":null,"input":"a"}`,
		`{"model":"text-embedding-3-small","input":"a","model":"text-embedding-3-large"}`,
		`{"model":"text-embedding-3-small","input":"\ud800\udc00 \u00e9"}`,
		`{"model":"text-embedding-3-small","input":"a"} {}`,
		`{"model":"text-embedding-3-small","input":"a"}}`,
		`{"model":"text-embedding-3-small","input":["a"]}]`,
		`{"model":"text-embedding-3-small","input":"` + strings.Repeat("word ", 7000) + `"}`,
		`{"model":"text-embedding-3-small","input":[` + strings.Repeat(`"a",`, 2048) + `"a"]}`,
		`{"model":"text-embedding-3-small","input":[` + strings.Repeat(`[1],`, 10) + `[1]]}`,
	} {
		for route := range uint8(len(openAIFuzzRoutes)) {
			f.Add(route, []byte(seed))
		}
	}
	f.Add(uint8(0x10), []byte(`{"model":"text-embedding-3-small","input":["chunked","body"]}`))

	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := openAIFuzzRoutes[int(route&0x0f)%len(openAIFuzzRoutes)]
		req := fuzzRequest(http.MethodPost, path, body, route&0x10 != 0,
			"Authorization", "Bearer sk-fuzz", "Content-Type", "application/json")
		rec := fuzzServe(s, req)
		checkOpenAIAnswer(t, rec, body, strings.HasPrefix(path, "/openai/"))
	})
}

// checkOpenAIAnswer checks an answer of the OpenAI embeddings routes.
func checkOpenAIAnswer(t *testing.T, rec *httptest.ResponseRecorder, body []byte, azure bool) {
	t.Helper()
	if rec.Code == http.StatusOK {
		var out openAIAnswer
		requireOKJSON(t, rec, string(body), &out)
		if out.Object != "list" || out.Model == "" || out.Usage == nil || len(out.Data) == 0 {
			t.Fatalf("200 for %q is not an embeddings list: %.300s", body, rec.Body)
		}
		// The request was accepted, so it is JSON: count its inputs.
		var req struct {
			Input          any         `json:"input"`
			EncodingFormat string      `json:"encoding_format"`
			Dimensions     json.Number `json:"dimensions"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if !json.Valid(body) {
			t.Fatalf("200 for a body that is not one JSON value: %q", body)
		}
		if err := dec.Decode(&req); err != nil {
			t.Fatalf("200 for a body encoding/json cannot decode (%v): %q", err, body)
		}
		inputs := 1
		if list, ok := req.Input.([]any); ok {
			if _, tokens := list[0].(json.Number); !tokens {
				inputs = len(list)
			}
		}
		if len(out.Data) != inputs {
			t.Fatalf("%d embeddings for %d inputs: %q", len(out.Data), inputs, body)
		}
		// dimensions=d (an integer, possibly written 8.0 or 1e1) gives d values.
		dims := 0
		if req.Dimensions != "" {
			d, err := strconv.ParseFloat(string(req.Dimensions), 64)
			if err != nil || d != math.Trunc(d) || d < 1 || d > 1<<20 {
				t.Fatalf("200 for dimensions %s: %q", req.Dimensions, body)
			}
			dims = int(d)
		}
		for i, d := range out.Data {
			if d.Object != "embedding" || d.Index != i {
				t.Fatalf("data[%d] is %q with index %d", i, d.Object, d.Index)
			}
			v, err := openAIEmbedding(d.Embedding, req.EncodingFormat == "base64")
			if err != nil || len(v) == 0 {
				t.Fatalf("data[%d].embedding is not an %s embedding (%v): %.100s", i, cmp.Or(req.EncodingFormat, "float"), err, d.Embedding)
			}
			if dims > 0 && len(v) != dims {
				t.Fatalf("data[%d].embedding has %d values for dimensions %d: %q", i, len(v), dims, body)
			}
		}
		return
	}
	if rec.Code < 400 || rec.Code > 499 {
		t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
	}
	if !strings.Contains(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%d with Content-Type %q for %q", rec.Code, rec.Header().Get("Content-Type"), body)
	}
	var env struct {
		Error map[string]json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error == nil {
		t.Fatalf("%d without an error envelope for %q: %s", rec.Code, body, rec.Body)
	}
	var message string
	if json.Unmarshal(env.Error["message"], &message) != nil || message == "" {
		t.Fatalf("%d without an error message for %q: %s", rec.Code, body, rec.Body)
	}
	if azure && rec.Code == http.StatusNotFound {
		// Azure's own envelope: {"error": {"code", "message"}}.
		var code string
		if len(env.Error) != 2 || json.Unmarshal(env.Error["code"], &code) != nil || code != "DeploymentNotFound" {
			t.Fatalf("Azure 404 for %q is not DeploymentNotFound: %s", body, rec.Body)
		}
		return
	}
	if len(env.Error) != 4 {
		t.Fatalf("%d envelope for %q does not have exactly message, type, param and code: %s", rec.Code, body, rec.Body)
	}
	var typ string
	if json.Unmarshal(env.Error["type"], &typ) != nil || typ == "" {
		t.Fatalf("%d envelope for %q without a type: %s", rec.Code, body, rec.Body)
	}
	for _, k := range []string{"param", "code"} {
		var v *string
		if raw, ok := env.Error[k]; !ok || json.Unmarshal(raw, &v) != nil {
			t.Fatalf("%d envelope for %q: %s is not a string or null: %s", rec.Code, body, k, rec.Body)
		}
	}
}

// FuzzGradientRequest sends arbitrary bodies to POST /api/embeddings/bge-large
// with a token and a workspace id. The server must never panic or answer
// 5xx; a 200 has one embedding per input, indexed in order; every 4xx is
// Gradient's {"message": ...}.
func FuzzGradientRequest(f *testing.F) {
	for _, body := range captureBodies(f, "/embeddings/", "gradient-sdk.jsonl", "langchain-community-gradient.jsonl") {
		f.Add(false, body)
	}
	for _, seed := range []string{
		``, `null`, `[]`, `{}`, `"x"`, `{"inputs":[]}`, `{"inputs":[{}]}`, `{"inputs":[{"input":""}]}`,
		`{"inputs":[{"input":"a","extra":1}]}`, `{"inputs":[{"input":1}]}`, `{"inputs":{"input":"a"}}`,
		`{"inputs":[{"input":"a"}],"extra":1}`, `{"inputs":[{"input":"a"}]} x`, `{"inputs":["a"]}`,
		`{"inputs":[null]}`, `{"inputs":[{"input":null}]}`, `{"inputs":[{"input":"\ud800"}]}`,
		`{"inputs":[` + strings.Repeat(`{"input":"a"},`, 256) + `{"input":"a"}]}`,
	} {
		f.Add(false, []byte(seed))
	}
	f.Add(true, []byte(`{"inputs":[{"input":"chunked"}]}`))

	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, chunked bool, body []byte) {
		req := fuzzRequest(http.MethodPost, "/api/embeddings/bge-large", body, chunked,
			"Authorization", "Bearer x", "X-Gradient-Workspace-Id", "w", "Content-Type", "application/json")
		rec := fuzzServe(s, req)
		if rec.Code == http.StatusOK {
			var out struct {
				Embeddings []struct {
					Embedding []float32 `json:"embedding"`
					Index     *int      `json:"index"`
				} `json:"embeddings"`
			}
			requireOKJSON(t, rec, string(body), &out)
			var in struct {
				Inputs []json.RawMessage `json:"inputs"`
			}
			if err := json.Unmarshal(body, &in); err != nil {
				t.Fatalf("200 for a body encoding/json cannot decode (%v): %q", err, body)
			}
			if len(out.Embeddings) != len(in.Inputs) || len(in.Inputs) == 0 {
				t.Fatalf("%d embeddings for %d inputs: %q", len(out.Embeddings), len(in.Inputs), body)
			}
			for i, e := range out.Embeddings {
				if e.Index == nil || *e.Index != i || len(e.Embedding) != DefaultGradientDimensions {
					t.Fatalf("embeddings[%d]: index %v, %d values", i, e.Index, len(e.Embedding))
				}
			}
			return
		}
		if rec.Code < 400 || rec.Code > 499 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		if !strings.Contains(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%d with Content-Type %q for %q", rec.Code, rec.Header().Get("Content-Type"), body)
		}
		var env map[string]json.RawMessage
		var message string
		if json.Unmarshal(rec.Body.Bytes(), &env) != nil || len(env) != 1 ||
			json.Unmarshal(env["message"], &message) != nil || message == "" {
			t.Fatalf("%d for %q is not {\"message\": ...}: %s", rec.Code, body, rec.Body)
		}
	})
}
