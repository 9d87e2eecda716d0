package vertex

import (
	"cmp"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/googleapi"
)

// service is Vertex AI's API name, as ErrorInfo details give it.
const service = "aiplatform.googleapis.com"

// learnMore ends Vertex AI's texts about embedding requests.
const learnMore = "Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings"

// methodName is the RPC a route serves, for ErrorInfo metadata.
func methodName(c *family.Call) string {
	version := cmp.Or(c.APIVersion, "v1")
	if c.Kind == KindEmbedContent {
		return "google.cloud.aiplatform." + version + ".PredictionService.EmbedContent"
	}
	return "google.cloud.aiplatform." + version + ".PredictionService.Predict"
}

// Google's texts for a request without credentials and with a token it
// does not accept.
const (
	missingCredentialsText = "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	invalidCredentialsText = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)

// missingCredentials is the 401 for a request with neither a token nor a
// key.
func missingCredentials(c *family.Call) *googleapi.Error {
	return googleapi.NewError(http.StatusUnauthorized, missingCredentialsText, map[string]any{
		"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
		"reason":   "CREDENTIALS_MISSING",
		"domain":   "googleapis.com",
		"metadata": map[string]any{"service": service, "method": methodName(c)},
	})
}

// invalidToken is the 401 for a bearer token the server does not accept.
func invalidToken(c *family.Call) *googleapi.Error {
	return googleapi.NewError(http.StatusUnauthorized, invalidCredentialsText, map[string]any{
		"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
		"reason":   "ACCESS_TOKEN_TYPE_UNSUPPORTED",
		"domain":   "googleapis.com",
		"metadata": map[string]any{"service": service, "method": methodName(c)},
	})
}

// invalidAPIKey is the 400 for an express-mode key the server does not
// accept.
func invalidAPIKey() *googleapi.Error {
	return googleapi.NewError(http.StatusBadRequest, "API key not valid. Please pass a valid API key.", map[string]any{
		"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
		"reason":   "API_KEY_INVALID",
		"domain":   "googleapis.com",
		"metadata": map[string]any{"service": service},
	})
}

// modelResource is the publisher model a request names, with its project
// and location when the path has them.
func modelResource(c *family.Call) string {
	name := "publishers/google/models/" + c.Model
	if c.Route == nil {
		return name
	}
	if project, location := c.Var("project"), c.Var("location"); project != "" {
		name = "projects/" + project + "/locations/" + location + "/" + name
	}
	return name
}

// modelNotFound is the 404 for a model the family does not serve.
func modelNotFound(c *family.Call) *googleapi.Error {
	return googleapi.NewError(http.StatusNotFound, fmt.Sprintf(
		"Publisher Model `%s` was not found or your project does not have access to it. Please ensure you are using a valid model version. For more information, see: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions",
		modelResource(c)))
}

// wrongMethod is the 400 for a model served by the other method
// (embedmock's words).
func wrongMethod(c *family.Call, other string) *googleapi.Error {
	return googleapi.NewError(http.StatusBadRequest, fmt.Sprintf(
		"embedmock: %s is not supported for %s; Vertex AI serves this model with %s",
		c.Kind, modelResource(c), other))
}

// tooManyInstances is the 400 for n instances where the model takes at
// most max.
func tooManyInstances(n, max int) *googleapi.Error {
	detail := fmt.Sprintf("Unable to submit request because batchSize must be 1 but the entered value was %d. Update the batchSize value and try again.", n)
	if max != 1 {
		detail = fmt.Sprintf("Unable to submit request because it has a batchSize value of %d but the supported range is from 1 (inclusive) to %d (exclusive). Update the batchSize value and try again.", n, max+1)
	}
	return googleapi.NewError(http.StatusBadRequest,
		"Unable to submit request because it included too many instances. Reduce the number of instances and try again. "+learnMore+": "+detail)
}

// noInstances is the 400 for a predict request without instances
// (embedmock's guess at the words).
func noInstances() *googleapi.Error {
	return googleapi.NewError(http.StatusBadRequest, "Unable to submit request because it has no instances. Add at least one instance and try again. "+learnMore)
}

// badInstance is the 400 for an instance the model cannot read
// (embedmock's guess at the words).
func badInstance(i int, what string) *googleapi.Error {
	return googleapi.NewError(http.StatusBadRequest, fmt.Sprintf(
		"Unable to submit request because instances[%d] is invalid: %s. %s", i, what, learnMore))
}

// badParameter is the 400 for an invalid parameter (embedmock's guess at
// the words).
func badParameter(what string) *googleapi.Error {
	return googleapi.NewError(http.StatusBadRequest, "Unable to submit request because of an invalid parameter: "+what+". "+learnMore)
}

// overLimit is the 400 for an input over the model's token limit with
// autoTruncate false (the documented INVALID_ARGUMENT; the words are
// embedmock's guess).
func overLimit(tokens, limit int) *googleapi.Error {
	return googleapi.NewError(http.StatusBadRequest, fmt.Sprintf(
		"Unable to submit request because the input token count is %d but the model supports up to %d. Reduce the input token count and try again. You can also set autoTruncate to true to truncate the input. %s",
		tokens, limit, learnMore))
}

// quotaExceeded is Vertex AI's 429 for a per-base-model quota.
func quotaExceeded(model string, retry time.Duration) *googleapi.Error {
	model = cmp.Or(model, "gemini-embedding-001")
	e := googleapi.NewError(http.StatusTooManyRequests, fmt.Sprintf(
		"Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: %s. Please submit a quota increase request. https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai.",
		model))
	if retry > 0 {
		e.Details = append(e.Details, map[string]any{
			"@type":      "type.googleapis.com/google.rpc.RetryInfo",
			"retryDelay": strconv.Itoa(int((retry+time.Second-1)/time.Second)) + "s",
		})
	}
	return e
}

// render is a pipeline failure in Vertex AI's words: quotas its own, the
// rest as the Gemini API's front end words them (the same Google front
// end).
func render(f *family.Failure, model string) *googleapi.Error {
	if e, ok := f.Detail.(*googleapi.Error); ok {
		return e
	}
	switch {
	case f.Reason == family.QuotaExhausted:
		return quotaExceeded(model, f.RetryAfter)
	case f.Reason == family.Fault && f.Status == http.StatusTooManyRequests:
		return quotaExceeded(model, time.Second)
	}
	return googleapi.Render(f, model)
}
