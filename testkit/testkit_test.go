package testkit_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver"
	"github.com/embedmock/embedmock/testkit"
)

func TestNewServesTheGenAIClient(t *testing.T) {
	srv := testkit.New(t)
	client := srv.GenAIClient(t)
	resp, err := client.Models.EmbedContent(context.Background(), "gemini-embedding-001", genai.Text("hello"), nil)
	require.NoError(t, err)
	want := fakeembed.Vector(fakeembed.Lexical, fakeembed.Input{Model: "gemini-embedding-001", Text: "hello"}, fakeembed.Shape{Dimensions: 3072})
	assert.Equal(t, want, resp.Embeddings[0].Values)
}

func TestURLAndHTTPClientReachTheSameServer(t *testing.T) {
	srv := testkit.New(t, mockserver.WithVectorMode(fakeembed.Hash))
	body := `{"content":{"parts":[{"text":"x"}]},"outputDimensionality":128}`
	var answers []string
	for _, client := range []*http.Client{http.DefaultClient, srv.HTTPClient()} {
		req, err := http.NewRequest(http.MethodPost, srv.URL()+"/v1beta/models/gemini-embedding-001:embedContent", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Goog-Api-Key", testkit.APIKey)
		resp, err := client.Do(req)
		require.NoError(t, err)
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode, string(data))
		answers = append(answers, string(data))
	}
	assert.Equal(t, answers[0], answers[1])
	assert.Equal(t, fakeembed.Hash, srv.VectorMode())
}

func TestServerIsClosedByCleanup(t *testing.T) {
	var url string
	t.Run("inner", func(t *testing.T) {
		url = testkit.New(t).URL()
	})
	_, err := http.Get(url + "/_embedmock/health")
	assert.Error(t, err)
}

func TestStartReportsBadOptions(t *testing.T) {
	_, err := testkit.Start(mockserver.WithMaxBodyBytes(-1))
	assert.Error(t, err)
}

// A test that embeds with the official SDK against a fake server.
func Example() {
	srv, err := testkit.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	ctx := context.Background()
	client, err := genai.NewClient(ctx, srv.GenAIConfig())
	if err != nil {
		panic(err)
	}
	resp, err := client.Models.EmbedContent(ctx, "gemini-embedding-001",
		[]*genai.Content{genai.NewContentFromText("capital of France", genai.RoleUser),
			genai.NewContentFromText("Paris is the capital of France.", genai.RoleUser)},
		&genai.EmbedContentConfig{OutputDimensionality: genai.Ptr[int32](768)})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(resp.Embeddings), len(resp.Embeddings[0].Values))
	// Output: 2 768
}

func TestOpenAIClientReachesTheServer(t *testing.T) {
	srv := testkit.New(t)
	client := srv.OpenAIClient()
	resp, err := client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")},
		Model: openai.EmbeddingModelTextEmbedding3Small, Dimensions: openai.Int(8),
	})
	require.NoError(t, err)
	assert.Len(t, resp.Data[0].Embedding, 8)
	assert.Len(t, srv.Requests(mockserver.ByFamily("openai")), 1)
}
