// Package mockserver is embedmock's HTTP server: a fake of embedding APIs
// that official SDKs accept when pointed at it by base URL. A Server is an
// http.Handler holding all state; the command embedmock and package
// testkit are thin layers over it.
//
// It serves these API families, each from a package of its own:
//
//   - the Gemini API: embedContent and batchEmbedContents with the model
//     catalog (package gemini), the Files API (geminifiles) and batch jobs
//     (geminibatches), under /v1beta and /v1;
//   - the Gemini API's OpenAI-compatible embeddings endpoint
//     (geminiopenai);
//   - Vertex AI's embedding routes, :predict and :embedContent (vertex);
//   - OpenAI's embeddings and models APIs, and Azure OpenAI's deployment
//     route (openai);
//   - Gradient's embeddings API (gradient).
//
// Every request goes through one pipeline: it is classified once from the
// route table of the families (package family), journaled, authenticated
// by its family, put through the test controls (rate limits, injected
// faults), answered from cassettes when the server has any (package
// recording), and else by its family's handler. Vectors are the
// deterministic ones of package fakeembed; request bodies are validated
// against the JSON Schemas of package schemas; failures are answered in
// the API's own error envelope.
//
// Known limits of the fake, which tests should not rely on:
//
//   - Vectors are deterministic functions of the input, not embeddings of
//     a real model: lexical mode makes texts that share words similar,
//     nothing more.
//   - Token counts are an estimate (UTF-8 bytes / 4), not a tokenizer's.
//   - Only text is embedded; image, audio and other parts are refused.
//   - Batch jobs finish by the server clock (instantly by default), not by
//     load; quotas are per API key, not per project.
//   - API keys are not verified beyond an optional list of accepted ones.
//   - Error texts follow what the real APIs were observed to answer; where
//     a text is not documented, the fake's own says so ("embedmock: ...").
package mockserver
