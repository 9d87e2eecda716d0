// Package vertex fakes Vertex AI's embedding methods as the official SDKs
// call them with the Vertex AI backend (google.golang.org/genai with
// Backend: genai.BackendVertexAI, @google/genai with vertexai: true):
//
//	POST /{v1beta1|v1}/projects/{project}/locations/{location}/publishers/google/models/{model}:predict
//	POST /{v1beta1|v1}/projects/{project}/locations/{location}/publishers/google/models/{model}:embedContent
//	POST /{v1beta1|v1}/publishers/google/models/{model}:predict        (express mode, API key)
//	POST /{v1beta1|v1}/publishers/google/models/{model}:embedContent   (express mode, API key)
//
// :predict serves the text models (gemini-embedding-001, text-embedding-005,
// text-multilingual-embedding-002): {"instances":[{"content","task_type",
// "title"}],"parameters":{"outputDimensionality","autoTruncate"}} is
// answered {"predictions":[{"embeddings":{"values",
// "statistics":{"truncated","token_count"}}}],"metadata":
// {"billableCharacterCount"}}. :embedContent serves the Gemini embedding
// models (gemini-embedding-2, gemini-embedding-2-preview, and
// gemini-embedding-001): {"content":{"parts","role"},"embedContentConfig":
// {"taskType","title","outputDimensionality","autoTruncate"}} is answered
// {"embedding":{"values"},"usageMetadata":{"promptTokenCount",
// "totalTokenCount","promptTokensDetails"},"truncated"}.
//
// Vectors are the Gemini routes' (package gemini, AppendEmbedding): for the
// same model, task type, title, text and dimension a Vertex route answers
// exactly the vector that models/{model}:embedContent answers. The Gemini
// models are looked up in the Gemini routes' catalog (so a --models catalog
// applies); the two Vertex-only text models have catalog entries of their
// own here (TextModels: 768 dimensions, outputDimensionality 1 to 768, 2048
// input tokens) in package gemini's format, so their vectors are defined
// the same way.
//
// Its family name is "vertex", not "gemini": Vertex AI is another host
// (aiplatform.googleapis.com), with other credentials (OAuth 2 access
// tokens, or an express-mode key of a Google Cloud project) and other
// quotas (per base model, per project). A fault injected for family
// "gemini" must not fail Vertex traffic, nor a Vertex fault the Gemini API's;
// the journal and recordings name the family and the route ("predict",
// "embedContent"). Every other Vertex AI path (/v1*/projects/...,
// /v1*/publishers/...) is claimed, named by its method (the verb after
// ':') and publisher model, so that cassettes of other Vertex methods are
// named too; the family comes before the Gemini routes in the server's
// table, whose claim covers every /v1 path. It holds no state.
//
// # Evidence
//
//   - Paths and routing: google.golang.org/genai v1.77.0. Models.EmbedContent
//     (models.go) sends a model to "{model}:embedContent" when
//     tIsVertexEmbedContentModel holds (transformer.go: the name contains
//     "gemini" and is not gemini-embedding-001, or contains "maas") and with
//     more than one content fails before sending ("the embedContent API for
//     this model only supports one content at a time"); every other model to
//     "{model}:predict". tModel makes a bare name publishers/google/models/
//     {name}; createAPIURL (api_client.go) prefixes projects/{project}/
//     locations/{location}/ when both are set and joins the API version,
//     v1beta1 by default (client.go); with an API key and neither, the path
//     has no project (express mode) and the key goes in x-goog-api-key.
//     @google/genai 3.3.0 sends the same paths and bodies
//     (testdata/captures/vertex-genai-js.jsonl).
//   - Request bodies: embedContentParametersPrivateToVertex and
//     embedContentConfigToVertex (models.go): for predict, instances[].content,
//     instances[].task_type, instances[].title, parameters.outputDimensionality,
//     parameters.autoTruncate; for embedContent, content and
//     embedContentConfig.{taskType,title,outputDimensionality,autoTruncate,
//     documentOcr,audioTrackExtraction}.
//   - Answers: embedContentResponseFromVertex reads predictions[].embeddings
//     {values, statistics{truncated, token_count}} and metadata
//     (EmbedContentMetadata.billableCharacterCount); for embedContent it reads
//     embedding, usageMetadata.promptTokenCount, usageMetadata.promptTokensDetails
//     and truncated. The predict shape is also that of LangChain.js's
//     VertexEmbeddingsResponsePrediction
//     (https://v03.api.js.langchain.com/interfaces/_langchain_google_vertexai.types.VertexEmbeddingsResponsePrediction.html);
//     EmbedContentResponse's fields embedding, usage_metadata, truncated:
//     https://docs.cloud.google.com/dotnet/docs/reference/Google.Cloud.AIPlatform.V1/3.55.0/Google.Cloud.AIPlatform.V1.EmbedContentResponse.
//   - One instance for gemini-embedding-001 on predict, in the API's words
//     (400 INVALID_ARGUMENT "Unable to submit request because it included too
//     many instances. Reduce the number of instances and try again. Learn
//     more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings:
//     Unable to submit request because batchSize must be 1 but the entered
//     value was 56. Update the batchSize value and try again."):
//     https://github.com/RooCodeInc/Roo-Code/issues/5123,
//     https://github.com/GoogleCloudPlatform/python-docs-samples/pull/13388,
//     https://github.com/mem0ai/mem0/issues/6189 (Google's sample: "gemini-embedding-001
//     takes one input at a time").
//   - 250 instances for text-embedding-005 and text-multilingual-embedding-002:
//     https://github.com/mem0ai/mem0/issues/6189, LangChain4j's
//     VertexAiEmbeddingModel (250 a call), and the range text "a batchSize
//     value of 1234 but the supported range is from 1 (inclusive) to 251
//     (exclusive)" quoted in https://github.com/topoteretes/cognee/pull/4856.
//   - 2048 input tokens and 768 dimensions for the text models, silent
//     truncation by default: https://epium.com/news/get-text-embeddings-on-vertex-ai
//     (a summary of Google's "Get text embeddings" page). autoTruncate false
//     makes an over-long input an INVALID_ARGUMENT error:
//     https://docs.cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/Shared.Types/TextEmbeddingPredictionParams.
//   - Unknown model: 404 NOT_FOUND "Publisher Model `projects/P/locations/L/
//     publishers/google/models/M` was not found or your project does not
//     have access to it. Please ensure you are using a valid model version.
//     For more information, see: https://cloud.google.com/vertex-ai/gen…"
//     (https://github.com/genkit-ai/genkit/issues/4688; the older "...`
//     not found." in https://github.com/google/adk-python/issues/833).
//   - No credentials: 401 UNAUTHENTICATED "Request is missing required
//     authentication credential. Expected OAuth 2 access token, login cookie
//     or other valid authentication credential. See
//     https://developers.google.com/identity/sign-in/web/devconsole-project."
//     (Google's front end, https://github.com/googlesamples/assistant-sdk-cpp/issues/12);
//     a token it refuses: "Request had invalid authentication credentials.
//     ..." with the same ending (https://github.com/cnpack/cnwizards/issues/215).
//     The ErrorInfo detail (reason CREDENTIALS_MISSING, domain googleapis.com,
//     metadata service aiplatform.googleapis.com and method
//     google.cloud.aiplatform.v1beta1.PredictionService.X) is Vertex AI's
//     (https://github.com/a2aproject/a2a-samples/issues/43).
//
// # Guesses
//
//   - The full URL ending the 404 text (.../docs/learn/model-versions); the
//     express-mode 404 names publishers/google/models/M without a project.
//   - The text for more than 250 instances (built from the quoted range
//     phrase), for no instances, for an instance or parameter the model
//     cannot read (unknown field, content not a string, bad task_type), and
//     for an input over the limit with autoTruncate false ("the input token
//     count is N but the model supports up to M ..."): Vertex AI's
//     "Unable to submit request because ..." style, embedmock's words. The
//     request-wide limit of 20,000 tokens is not enforced.
//   - outputDimensionality out of range answers package gemini's field
//     violation ("PredictRequest.parameters.output_dimensionality: ..." on
//     predict); an empty text on embedContent answers the Gemini API's
//     "contains an empty Part"; an empty content string on predict is
//     embedded.
//   - Which model serves which method: the SDKs' routing above. A model of
//     the other method is answered 400 in embedmock's words; gemini-embedding-001
//     is served by both (the SDKs only send it to predict).
//   - statistics.token_count and usageMetadata counts are the token estimate
//     of package fakeembed after truncation; truncated is whether the input
//     was over the limit. billableCharacterCount counts the Unicode
//     characters embedded, white space excluded, for every model.
//     usageMetadata carries totalTokenCount and promptTokensDetails (TEXT).
//   - A bearer token is any non-empty string (none is verified); with
//     restricted keys (Env.KeyAccepted) a token must be an accepted key, and
//     a refused one is answered the 401 above (its ErrorInfo reason
//     ACCESS_TOKEN_TYPE_UNSUPPORTED is a guess); a refused express key is 400
//     "API key not valid. Please pass a valid API key." with service
//     aiplatform.googleapis.com. A bearer token wins over a key.
//   - Rate limits answer 429 RESOURCE_EXHAUSTED "Quota exceeded for
//     aiplatform.googleapis.com/online_prediction_requests_per_base_model
//     with base model: M. Please submit a quota increase request.
//     https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai."
//     for both quotas (the text Vertex AI users report for requests; the
//     tokens quota's is not known). Other pipeline failures (body limits,
//     faults, cassette misses) are worded as on the Gemini routes.
//   - Field spellings: both lowerCamelCase and snake_case are read
//     (task_type/taskType in an instance, the config's fields); unknown
//     fields in the request, content and embedContentConfig get the proto
//     parser's "Unknown name" text; fields inside parts are not checked.
//   - Answers are compact JSON with the front end's headers.
//
// It is not the Gemini API (package gemini), whose catalog and vectors it
// reuses, nor any other Vertex AI method (generateContent, endpoints,
// batch prediction), which it claims but does not serve.
package vertex
