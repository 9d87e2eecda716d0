package mockserver

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/embedmock/embedmock/mockserver/family/familytest"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/stretchr/testify/require"
)

const testKey = "test-key"

// The Google envelope and status types, as the tests decode them.
type (
	googleError = googleapi.Error
	rpcStatus   = googleapi.RPCStatus
)

var googleStatusName = googleapi.StatusName

// The wire values of batch operations, as the API documents them.
const (
	batchTypeURL   = "type.googleapis.com/google.ai.generativelanguage.v1main.EmbedContentBatch"
	batchPending   = "BATCH_STATE_PENDING"
	batchSucceeded = "BATCH_STATE_SUCCEEDED"
	batchFailed    = "BATCH_STATE_FAILED"

	batchOutputTypeURL = "type.googleapis.com/google.ai.generativelanguage.v1main.EmbedContentBatchOutput"
	// uploadChunkGranularity is the chunk size the Files API announces.
	uploadChunkGranularity = 8 << 20
	// openAIMaxInputs is the OpenAI API's limit on inputs per request.
	openAIMaxInputs = 2048
)

var taskTypeNames = gemini.TaskTypeNames

// formatTimestamp and parseGoogleJSON are Google's conventions, as the
// server applies them.
var (
	formatTimestamp = googleapi.Timestamp
	parseGoogleJSON = googleapi.ParseJSON
)

// newTestServer starts a Server on a loopback port for the test.
func newTestServer(t testing.TB, opts ...Option) (*Server, string) {
	t.Helper()
	s, err := New(opts...)
	require.NoError(t, err)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; headers are name, value pairs. The API key header is
// added unless headers set it (to "" to send none).
func do(t testing.TB, method, url, body string, headers ...string) response {
	t.Helper()
	r := familytest.Do(t, method, url, body, append([]string{"X-Goog-Api-Key", testKey}, headers...)...)
	return response{status: r.Status, header: r.Header, body: r.Body}
}

// googleErr decodes a Google error envelope, failing the test if the body
// is not one.
func googleErr(t testing.TB, r response) googleError {
	t.Helper()
	require.Contains(t, r.header.Get("Content-Type"), "application/json", string(r.body))
	var env struct {
		Error *googleError `json:"error"`
	}
	require.NoError(t, json.Unmarshal(r.body, &env), string(r.body))
	require.NotNil(t, env.Error, string(r.body))
	require.Equal(t, r.status, env.Error.Code, "HTTP status equals error.code")
	require.Equal(t, googleStatusName(r.status), env.Error.Status)
	return *env.Error
}

type embedResponse struct {
	Embedding struct {
		Values []float32 `json:"values"`
	} `json:"embedding"`
	Embeddings []struct {
		Values []float32 `json:"values"`
	} `json:"embeddings"`
	UsageMetadata *struct {
		PromptTokenCount int `json:"promptTokenCount"`
	} `json:"usageMetadata"`
}

func decodeEmbed(t testing.TB, r response) embedResponse {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var out embedResponse
	require.NoError(t, json.Unmarshal(r.body, &out))
	return out
}

func norm(v []float32) float64 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	return math.Sqrt(sum)
}

// openAIAnswer is the wire form of an OpenAI embeddings answer.
type openAIAnswer struct {
	Object string `json:"object"`
	Data   []struct {
		Object    string          `json:"object"`
		Index     int             `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	} `json:"data"`
	Model string `json:"model"`
	Usage *struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

// openAIEmbedding decodes an answer's embedding: a list of numbers, or with
// b64 a string of little-endian float32s in standard base64.
func openAIEmbedding(raw json.RawMessage, b64 bool) ([]float32, error) {
	if !b64 {
		var v []float32
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("not a list of numbers: %w", err)
		}
		return v, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("not a base64 string: %w", err)
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if len(data)%4 != 0 {
		return nil, fmt.Errorf("%d bytes of base64 are not float32s", len(data))
	}
	v := make([]float32, len(data)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return v, nil
}
