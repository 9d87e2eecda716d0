package testkit_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/genai"

	"github.com/embedmock/embedmock/mockserver"
	"github.com/embedmock/embedmock/testkit"
)

// Make the next batchEmbedContents call fail with the API's own 429, as a
// client's retry logic would meet it.
func ExampleServer_InjectFault() {
	srv, _ := testkit.Start()
	defer srv.Close()
	client, _ := genai.NewClient(context.Background(), srv.GenAIConfig())

	srv.InjectFault(mockserver.Fault{Status: 429, Route: "batchEmbedContents"})
	_, err := client.Models.EmbedContent(context.Background(), "gemini-embedding-001", genai.Text("hello"), nil)
	var apiErr genai.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Code, apiErr.Status)
	}
	_, err = client.Models.EmbedContent(context.Background(), "gemini-embedding-001", genai.Text("hello"), nil)
	fmt.Println(err)
	// Output:
	// 429 RESOURCE_EXHAUSTED
	// <nil>
}

// Assert on the requests a client sent.
func ExampleServer_Requests() {
	srv, _ := testkit.Start()
	defer srv.Close()
	client, _ := genai.NewClient(context.Background(), srv.GenAIConfig())

	client.Models.EmbedContent(context.Background(), "gemini-embedding-001", []*genai.Content{
		genai.NewContentFromText("first", genai.RoleUser),
		genai.NewContentFromText("second", genai.RoleUser),
	}, &genai.EmbedContentConfig{TaskType: "RETRIEVAL_DOCUMENT", OutputDimensionality: genai.Ptr[int32](768)})

	for _, r := range srv.Requests(mockserver.ByRoute("batchEmbedContents")) {
		fmt.Println(r.Route, r.Model, r.Inputs, r.TaskType, r.Dimensions, r.Status)
	}
	// Output: batchEmbedContents gemini-embedding-001 2 RETRIEVAL_DOCUMENT 768 200
}

// The exact vector the server answers, without a round trip.
func ExampleVector() {
	v := testkit.Vector(mockserver.VectorQuery{
		Model:      "gemini-embedding-001",
		Text:       "What is the capital of France?",
		TaskType:   "RETRIEVAL_QUERY",
		Dimensions: 768,
	})
	fmt.Println(len(v), v[0])
	// Output: 768 0.0031488454
}

// Step a batch job through its states with the server's fake clock.
func ExampleServer_Advance() {
	srv, _ := testkit.Start(mockserver.WithBatchDelay(time.Hour))
	defer srv.Close()
	client, _ := genai.NewClient(context.Background(), srv.GenAIConfig())
	ctx := context.Background()

	job, _ := client.Batches.CreateEmbeddings(ctx, genai.Ptr("gemini-embedding-001"),
		&genai.EmbeddingsBatchJobSource{InlinedRequests: &genai.EmbedContentBatch{Contents: genai.Text("hello")}}, nil)
	for _, step := range []time.Duration{0, 40 * time.Minute, 40 * time.Minute} {
		srv.Advance(step)
		job, _ = client.Batches.Get(ctx, job.Name, nil)
		fmt.Println(job.State)
	}
	// Output:
	// JOB_STATE_PENDING
	// JOB_STATE_RUNNING
	// JOB_STATE_SUCCEEDED
}
