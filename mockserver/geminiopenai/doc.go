// Package geminiopenai fakes the embeddings endpoint of the Gemini API's
// OpenAI compatibility layer, POST /v1beta/openai/embeddings: what the
// official openai SDKs call when their base URL is
// https://generativelanguage.googleapis.com/v1beta/openai/
// (https://ai.google.dev/gemini-api/docs/openai#embeddings).
//
// Requests have OpenAI's shape (model, input as a string or a list of
// strings, dimensions, encoding_format, user) and Gemini's model names;
// answers have OpenAI's shape ({"object":"list","data":[{"object":
// "embedding","index","embedding"}],"model","usage"}, written by package
// openai) around the vectors of package gemini: for a model and a text, the
// same vector the Gemini routes answer with no task type and no title
// (gemini.Family.AppendEncodedEmbedding), so dimensions=d means
// outputDimensionality=d. Errors are Google's, in Google's envelope.
//
// It is one more surface of the Gemini API, not an API of its own: its
// family name is "gemini" (googleapi.Base), with the route kind
// "openai.embeddings". Real requests go to the same host with the same
// key and quotas as the Gemini routes, so a fault injected for family
// "gemini" fails them too, the journal's family "gemini" holds all Gemini
// API traffic, and recordings tell the routes apart by their kind. It gets
// the model catalog and the vectors from the *gemini.Family it is built
// with, and holds no state.
//
// # Evidence
//
//   - Route, bearer key, bare model names, float answers: the guide,
//     https://ai.google.dev/gemini-api/docs/openai#embeddings (curl with
//     Authorization: Bearer GEMINI_API_KEY and "model":
//     "gemini-embedding-001"); a captured answer, object list with data[i]
//     {object, embedding}, in
//     https://github.com/TuGraph-family/chat2graph/issues/203.
//   - "models/" + name: the compatibility reference prefixes a model name
//     with "models/" when it holds no slash
//     (https://ai.google.dev/api/compatibility, chatCompletions' model), so
//     "models/gemini-embedding-001" is taken as is; a name with another
//     slash is answered "BatchEmbedContentsRequest.model: unexpected model
//     name format" (https://github.com/tinyhumansai/openhuman/issues/4178,
//     https://github.com/tinyhumansai/openhuman/pull/4184; both lines, top
//     level and per request, as the native method words it in
//     https://github.com/agent0ai/agent-zero/issues/372).
//   - The endpoint is served by BatchEmbedContents: its limit of 100 inputs
//     and its text ("* BatchEmbedContentsRequest.requests: at most 100
//     requests can be in one batch\n") come back through it
//     (https://github.com/StarTrail-org/LEANN/pull/214,
//     https://github.com/geldata/gel/issues/9032), as does "EmbedContentRequest
//     .content contains an empty Part." for an empty text
//     (https://github.com/lingfengQAQ/webnovel-writer/issues/49). So the
//     other input checks are the native method's too (package gemini's
//     texts: no inputs, outputDimensionality out of range).
//   - Error envelope: Google's {"error":{"code","message","status",
//     "details"}}, not wrapped in a list. The one body captured from this
//     endpoint, logged verbatim by Gel's OpenAI-style client
//     (edb/server/protocol/ai_ext.py, _generate_openai_embeddings), is the
//     bare object (https://github.com/geldata/gel/issues/9032). The
//     compatibility layer's chat completions, a streaming method, wrap the
//     same envelope in a list ([{"error":...}]:
//     https://github.com/bytedance/deer-flow/issues/1515,
//     https://github.com/FuzzAnything/PromptFuzz/issues/42); that shape is
//     not used here. writeError is the one place that chooses.
//   - Unknown model: 404 NOT_FOUND "models/X is not found for API version
//     v1main, or is not supported for ...", the compatibility layer's
//     wording (API version v1main where the native routes say v1beta, and
//     ModelService.ListModels), found in public code for this endpoint
//     (text-embedding-004, retired) and, in full, for chat completions;
//     no issue thread quotes it. The method named ("embedContent", as the
//     native batch method says) is a guess.
//   - Keys: a bad key is 400 INVALID_ARGUMENT "API key not valid. Please
//     pass a valid API key." with ErrorInfo API_KEY_INVALID, no key 403
//     PERMISSION_DENIED "Method doesn't allow unregistered callers ...",
//     as from the rest of the compatibility layer (wrapped there in a list).
//     The Gemini API's usual key carriers (x-goog-api-key, ?key=) are
//     accepted too: the same front end serves them for every method, and
//     proxies send x-goog-api-key to this layer
//     (https://github.com/maximhq/bifrost/pull/731).
//   - dimensions: honoured, as outputDimensionality (clients size pgvector
//     columns with it: https://github.com/Mintplex-Labs/anything-llm,
//     server/utils/EmbeddingEngines/gemini; Gel sends it as "dimensions").
//     Gemini's rule applies, the first d components not re-normalised
//     (https://ai.google.dev/gemini-api/docs/embeddings#quality-for-smaller-dimensions);
//     nothing suggests the layer renormalises.
//   - encoding_format base64: honoured. The JS SDK asks for base64 when the
//     caller does not and decodes the strings itself; AnythingLLM's Gemini
//     embedder (openai 4.95) and the guide's JS example rely on that, and
//     would get vectors a quarter as long if the layer answered floats.
//
// # Guesses
//
// The answer's "model" is the model as sent; "usage" is
// {"prompt_tokens","total_tokens"} with the Gemini routes' token estimate;
// answers are compact JSON (the real front end pretty-prints). The body is
// parsed as Google's front end parses (lenient JSON, unknown fields
// rejected: "Invalid JSON payload received. Unknown name \"x\": Cannot find
// field.", seen for this layer in deer-flow#1515); a value of the wrong
// type, an encoding_format other than float or base64 and token-id input
// are answered "Invalid value at 'field' (TYPE_...), value" (invented in
// the proto parser's words). dimensions 0 means none; a negative one gets
// the native range error. With both a bearer token and a Google key, the
// bearer token is the key.
//
// It is not the Gemini routes (package gemini) nor the OpenAI API
// (package openai), whose exported pieces it reuses; it fakes no other
// endpoint of the compatibility layer (chat completions, models).
package geminiopenai
