// Package openai fakes the embeddings endpoints of the OpenAI API
// (https://platform.openai.com/docs/api-reference/embeddings) and of Azure
// OpenAI, for package mockserver: POST /v1/embeddings and /embeddings,
// Azure OpenAI's POST /openai/deployments/{deployment}/embeddings (with
// its api-version query parameter, api-key header and error envelope),
// and the models API's GET /v1/models and /v1/models/{model}.
//
// A Family answers with the deterministic vectors of package fakeembed,
// validates bodies against the schema openai.EmbeddingRequest of package
// schemas (after a fast path for the bodies the SDKs send), and answers bad
// input with the API's own error envelope
// {"error": {"message", "type", "param", "code"}} (Azure:
// {"error": {"code", "message"}}) and texts, including the texts of the
// server's failures (faults, rate limits, cassette misses) that it
// renders for OpenAI requests.
//
// It is not the server: the request pipeline (journal, rate limits,
// faults, replay, recording), the options and their validation live in
// package mockserver, which serves a Family through a family.Table. It
// fakes no endpoint beyond embeddings and the models API.
package openai
