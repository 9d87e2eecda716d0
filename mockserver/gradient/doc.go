// Package gradient fakes the embeddings endpoints of the Gradient AI API
// (https://api.gradient.ai/api, as the gradientai SDKs and LangChain's
// GradientEmbeddings call it), for package mockserver: GET
// {prefix}/embeddings lists the one model, bge-large, and POST
// {prefix}/embeddings/{slug} embeds {"inputs": [{"input": "..."}]}.
//
// A Family answers with the deterministic vectors of package fakeembed,
// validates bodies against the schema gradient.GenerateEmbeddingRequest
// of package schemas, and answers errors as {"message": ...}. The real
// API's error texts and codes are not documented; these are embedmock's,
// and so are the texts it gives the server's failures (faults, rate
// limits, cassette misses).
//
// It is not the server: the request pipeline (journal, rate limits,
// faults, replay, recording), the options and their validation (of the
// prefix among the other APIs' paths) live in package mockserver, which
// serves a Family through a family.Table. Gradient's other endpoints
// (models, fine-tuning, completions) are not faked.
package gradient
