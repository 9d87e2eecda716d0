package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/mockserver"
)

// Real-looking credentials, each sent where its API expects it. None may
// come back out of embedmock: not in its logs, its admin API, a cassette,
// its data dir, or any answer it gives.
var (
	secretGoogleHeader  = "AIzaSyB3x9Qm7Lp2Vt8Rk4Wn6Yc1Zf5Hd0Js2Ue" // x-goog-api-key
	secretGoogleQuery   = "AIzaSyD7Hq2Nw5Kz8Mv1Xp4Rb6Tc9Lf3Gj0Ys5E" // ?key=
	secretGoogleInvalid = "AIzaSyF0Np3Xr8Tq5Wv2Zy7Bc4Dg9Hk1Lm6Ps3U" // not in --api-key
	secretOpenAI        = "sk-proj-Xq7Lm2Np9Rt4Vw8Zb3Cd6Fg1Hj5Kk0Ms2Pu7Qy4Sa9Te3Wc6Vx1Yb8Zd5Af2Gh"
	secretOpenAIInvalid = "sk-proj-Invalid9Rt4Vw8Zb3Cd6Fg1Hj5Kk0Ms2Pu7Qy4Sa9Te3Wc6Vx1Yb8Zd5Af2Gh"
	secretAzure         = "9f1c2b7e4d8a4f6b9c3e5a7d1b2c4e6f"
	secretAzureInvalid  = "0a2d3c8f5e9b4a7c0d4f6b8e2c3d5f7a"
	secretGradientToken = "gAAAAABnR8kT2vXq9LmP4wZc7Hs1Nb5Yd3Fj6Kt8Qr0Ue2Ia4Og7Ws9Ev1Mx3Cz5Bn"
	secretGradientBad   = "gAAAAABnBadTokenXq9LmP4wZc7Hs1Nb5Yd3Fj6Kt8Qr0Ue2Ia4Og7Ws9Ev1Mx3Cz"
	secretWorkspace     = "7c3e9a1f-2b4d-4e6f-8a0c-1d3e5f7a9b2c_workspace"
	secretOAuth         = "ya29.a0AfB_byC3kQ9xLm2Np7Rt4Vw8Zb3Cd6Fg1Hj5Kk0Ms2Pu7Qy4Sa9Te3Wc6Vx1Yb8Zd5Af2Gh0Jk"
)

var secretNames = map[string]string{
	secretGoogleHeader: "the x-goog-api-key key", secretGoogleQuery: "the ?key= key", secretGoogleInvalid: "the invalid Google key",
	secretOpenAI: "the OpenAI key", secretOpenAIInvalid: "the invalid OpenAI key", secretAzure: "the Azure api-key",
	secretAzureInvalid: "the invalid Azure api-key", secretGradientToken: "the Gradient token", secretGradientBad: "the invalid Gradient token",
	secretWorkspace: "the Gradient workspace id", secretOAuth: "the OAuth access token",
}

// secretExchange is one request of the suite and what came back.
type secretExchange struct {
	mode, name string
	status     int
	header     http.Header
	body       []byte
	err        error
	echo       bool // the fake upstream itself echoed credentials (passed through unchanged by the recording proxy)
}

// TestSecretsStayOut runs the binary as a recording proxy in front of a
// fake upstream, then as a server and a replayer of the cassette it wrote,
// with requests carrying real-looking credentials (valid, invalid, in
// headers and in the query, on good and bad requests), and looks for
// every credential everywhere embedmock writes or answers.
func TestSecretsStayOut(t *testing.T) {
	emBinary(t)
	require.Len(t, secretGoogleHeader, 39)
	require.Len(t, secretGoogleQuery, 39)
	require.Len(t, secretGoogleInvalid, 39)
	valid := []string{secretGoogleHeader, secretGoogleQuery, secretOpenAI, secretAzure, secretGradientToken}

	// The fake upstream is embedmock accepting the valid keys; a request
	// with X-Test-Echo gets what the real Gemini API sends back at times:
	// the key in an error's DebugInfo and in an upload URL.
	fake, err := mockserver.New(mockserver.WithAPIKeys(valid...))
	require.NoError(t, err)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test-Echo") == "" {
			fake.ServeHTTP(w, r)
			return
		}
		key := r.Header.Get("X-Goog-Api-Key") + r.URL.Query().Get("key")
		w.Header().Set("X-Test-Upstream-Echo", "1")
		w.Header().Set("X-Goog-Upload-URL", "http://"+r.Host+"/upload/v1beta/files?key="+key+"&upload_id=echo")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.DebugInfo","detail":"key %s rejected"}]}}`, key)
	}))
	t.Cleanup(upstream.Close)

	dir := t.TempDir()
	cassettePath := filepath.Join(dir, "secrets.yaml")
	dataDir := filepath.Join(dir, "data")
	var exchanges []secretExchange
	var admin []secretExchange
	logs := map[string]*emProc{}

	// Record.
	rec := startEmProc(t, "record", "--upstream", upstream.URL, "--cassette", cassettePath)
	exchanges = append(exchanges, secretSuite(t, "record", rec.url)...)
	exchanges = append(exchanges, secretExchangeOf("record", "echoing upstream", rec.url, http.MethodPost,
		"/v1beta/models/gemini-embedding-001:embedContent?key="+secretGoogleQuery, `{}`, "X-Test-Echo", "1"))
	admin = append(admin, secretAdmin(t, "record", rec.url)...)
	require.NoError(t, rec.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-rec.done:
	case <-time.After(15 * time.Second):
		t.Fatal("embedmock record did not stop within 15s of SIGTERM")
	}
	logs["record"] = rec

	var stdout, stderr bytes.Buffer
	check := exec.Command(emBinary(t), "cassette", "check", cassettePath)
	check.Stdout, check.Stderr = &stdout, &stderr
	assert.NoError(t, check.Run(), "embedmock cassette check: %s%s", stdout.String(), stderr.String())

	// Serve (misses answered by the fake) and replay (misses are errors),
	// both with --api-key so that the key-invalid paths run.
	keyFlags := []string{}
	for _, k := range valid {
		keyFlags = append(keyFlags, "--api-key", k)
	}
	srv := startEmProc(t, "serve", append(slices.Clone(keyFlags), "--data-dir", dataDir)...)
	exchanges = append(exchanges, secretSuite(t, "serve", srv.url)...)
	admin = append(admin, secretAdmin(t, "serve", srv.url)...)
	logs["serve"] = srv
	mixed := startEmProc(t, "serve", append(slices.Clone(keyFlags), "--cassette", cassettePath)...)
	exchanges = append(exchanges, secretSuite(t, "serve-cassette", mixed.url)...)
	admin = append(admin, secretAdmin(t, "serve-cassette", mixed.url)...)
	logs["serve-cassette"] = mixed
	rep := startEmProc(t, "replay", append(slices.Clone(keyFlags), "--cassette", cassettePath)...)
	exchanges = append(exchanges, secretSuite(t, "replay", rep.url)...)
	admin = append(admin, secretAdmin(t, "replay", rep.url)...)
	logs["replay"] = rep

	// The suite really ran the paths it means to: successes, key errors
	// and bad requests.
	statuses := map[string]int{}
	for _, x := range exchanges {
		statuses[x.mode+" "+x.name] = x.status
	}
	for name, want := range map[string]int{
		"serve gemini header key": 200, "serve gemini query key": 200, "serve gemini invalid header key": 400,
		"serve gemini invalid query key": 400, "serve gemini malformed JSON": 400, "serve openai": 200,
		"serve openai invalid key": 401, "serve azure": 200, "serve azure invalid key": 401, "serve gradient": 200,
		"serve gradient invalid token": 401, "serve gradient no workspace": 401, "record gemini header key": 200,
		"record gemini query key": 200, "record openai": 200, "record gradient": 200, "record azure": 200,
		"serve upload finalize": 200, "replay gemini invalid header key": 400, "replay gemini unrecorded": 400,
		"serve-cassette gemini header key": 200, "serve-cassette gemini unrecorded": 200, "serve-cassette openai invalid key": 401,
	} {
		assert.Equal(t, want, statuses[name], "status of %q", name)
	}

	// The journal kept the requests whose query carried a credential.
	for _, x := range admin {
		if x.mode == "serve" && x.name == "GET /_embedmock/requests" {
			for _, want := range []string{"key=REDACTED", "access_token=REDACTED", "api-key=REDACTED"} {
				assert.Contains(t, string(x.body), want, "the serve journal lists the request with %s", want)
			}
		}
	}

	// Look everywhere.
	var findings []string
	look := func(where, text string) {
		for secret, name := range secretNames {
			for _, form := range secretForms(secret) {
				if i := strings.Index(text, form); i >= 0 {
					findings = append(findings, fmt.Sprintf("%s found in %s: …%s…", name, where, secretContext(text, i, len(form))))
					break
				}
			}
		}
	}
	for _, mode := range []string{"record", "serve", "serve-cassette", "replay"} {
		look("the "+mode+" process's stdout and stderr", logs[mode].out.String())
	}
	for _, x := range admin {
		look(fmt.Sprintf("the %s admin answer to %s", x.mode, x.name), secretDump(x))
	}
	cassetteData, err := os.ReadFile(cassettePath)
	require.NoError(t, err)
	look("the cassette "+cassettePath, string(cassetteData))
	filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			look("the data dir file "+path, string(data))
		}
		return nil
	})
	for _, x := range exchanges {
		if x.echo {
			continue // the upstream's own answer, which the proxy passes on unchanged by design
		}
		where := fmt.Sprintf("the %s answer to %q (status %d)", x.mode, x.name, x.status)
		if x.mode == "record" && x.status == http.StatusBadGateway {
			where += " — the recording proxy's 502 when the upstream does not answer: forward (mockserver/replay.go) puts the HTTP client's error into the message, " +
				"and that error (*url.Error) quotes the whole upstream URL, query and key included"
		}
		look(where, secretDump(x))
	}
	assert.Contains(t, string(cassetteData), "key REDACTED rejected", "the upstream's echo of the key was recorded, redacted")
	t.Logf("looked for %d credentials in %d answers, %d admin answers, 4 processes' logs, the cassette (%d bytes) and the data dir",
		len(secretNames), len(exchanges), len(admin), len(cassetteData))
	if os.Getenv("EMBEDMOCK_SECRETS_VERBOSE") != "" {
		for _, x := range exchanges {
			t.Logf("%s %s: %d %.150s", x.mode, x.name, x.status, x.body)
		}
	}
	for _, f := range findings {
		t.Errorf("credential leaked: %s", f)
	}
}

// secretForms are the ways a secret can be written: as is, URL-escaped
// and JSON-escaped.
func secretForms(secret string) []string {
	forms := []string{secret}
	for _, f := range []string{url.QueryEscape(secret), url.PathEscape(secret), strings.ReplaceAll(secret, "/", `\/`)} {
		if !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	return forms
}

// secretContext shows where a secret was found without repeating it.
func secretContext(text string, i, n int) string {
	before := text[max(0, i-80):i]
	after := text[i+n : min(len(text), i+n+80)]
	return strings.ReplaceAll(before+text[i:i+min(n, 8)]+"[…]"+after, "\n", `\n`)
}

// secretDump is what the server sent: headers and body.
func secretDump(x secretExchange) string {
	var b strings.Builder // a transport error is the client's own text: not looked in
	for name, values := range x.header {
		for _, v := range values {
			fmt.Fprintf(&b, "%s: %s\n", name, v)
		}
	}
	b.Write(x.body)
	return b.String()
}

func secretExchangeOf(mode, name, base, method, path, body string, headers ...string) secretExchange {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	r, err := crashDo(ctx, &http.Client{Timeout: 20 * time.Second}, method, base+path, b, headers...)
	return secretExchange{mode: mode, name: name, status: r.status, header: r.header, body: r.body, err: err,
		echo: r.header.Get("X-Test-Upstream-Echo") != ""}
}

// secretSuite sends every kind of request with credentials.
func secretSuite(t *testing.T, mode, base string) []secretExchange {
	t.Helper()
	var out []secretExchange
	do := func(name, method, path, body string, headers ...string) secretExchange {
		x := secretExchangeOf(mode, name, base, method, path, body, append([]string{"Content-Type", "application/json"}, headers...)...)
		out = append(out, x)
		return x
	}
	gemini := []string{"X-Goog-Api-Key", secretGoogleHeader}
	embed := "/v1beta/models/gemini-embedding-001:embedContent"
	embedBody := `{"content":{"parts":[{"text":"secrets stay out"}]},"outputDimensionality":128}`
	q := "?key=" + secretGoogleQuery

	// Gemini: header and query keys, good and bad requests, key errors.
	do("gemini header key", http.MethodPost, embed, embedBody, gemini...)
	do("gemini query key", http.MethodPost, embed+q, embedBody)
	do("gemini batch", http.MethodPost, "/v1beta/models/gemini-embedding-001:batchEmbedContents"+q,
		`{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]}},{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"b"}]}}]}`)
	do("gemini models.get", http.MethodGet, "/v1beta/models/gemini-embedding-001"+q, "")
	do("gemini models.list", http.MethodGet, "/v1beta/models?pageSize=2", "", gemini...)
	do("gemini malformed JSON", http.MethodPost, embed+q, `{"content":{"parts":[{"text":"x"}]`)
	do("gemini unknown field", http.MethodPost, embed, `{"content":{"parts":[{"text":"x"}]},"secretive":true}`, gemini...)
	do("gemini unknown model", http.MethodPost, "/v1beta/models/no-such-model:embedContent"+q, embedBody)
	do("gemini unknown query parameter", http.MethodPost, embed+q+"&bogus=1", embedBody)
	do("gemini invalid header key", http.MethodPost, embed, embedBody, "X-Goog-Api-Key", secretGoogleInvalid)
	do("gemini invalid query key", http.MethodPost, embed+"?key="+secretGoogleInvalid, embedBody)
	do("gemini no key", http.MethodPost, embed, embedBody)
	do("gemini OAuth bearer", http.MethodPost, embed, embedBody, "Authorization", "Bearer "+secretOAuth)
	do("gemini access_token query", http.MethodPost, embed+"?access_token="+secretOAuth, embedBody)
	do("gemini unrecorded", http.MethodPost, embed+q, `{"content":{"parts":[{"text":"sent only in `+mode+` mode"}]}}`)
	do("gemini wrong method", http.MethodDelete, embed+q, "")
	do("gemini injected 503", http.MethodPost, embed+q, embedBody, "X-Embedmock-Fault", "503")
	do("gemini injected drop", http.MethodPost, embed+q, embedBody, "X-Embedmock-Fault", "drop")

	// Files and batches with the key in the query, as the SDKs' upload
	// URLs carry it.
	start := do("upload start", http.MethodPost, "/upload/v1beta/files"+q, `{"file":{"displayName":"secrets"}}`,
		"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start", "X-Goog-Upload-Header-Content-Length", "5")
	if u, err := url.Parse(start.header.Get("X-Goog-Upload-URL")); err == nil && u.Path != "" {
		path := u.RequestURI()
		if !strings.Contains(path, "key=") {
			path += "&key=" + secretGoogleQuery
		}
		do("upload bad offset", http.MethodPost, path, "hello", "X-Goog-Upload-Command", "upload", "X-Goog-Upload-Offset", "3")
		fin := do("upload finalize", http.MethodPost, path, "hello", "X-Goog-Upload-Command", "upload, finalize", "X-Goog-Upload-Offset", "0")
		if name := secretJSONField(fin.body, "name"); name != "" {
			do("file get", http.MethodGet, "/v1beta/"+name+q, "")
			do("file download", http.MethodGet, "/v1beta/"+name+":download?alt=media&key="+secretGoogleQuery, "")
			do("file delete", http.MethodDelete, "/v1beta/"+name, "", gemini...)
		}
	}
	do("upload unknown session", http.MethodPost, "/upload/v1beta/files?upload_id=nosuchsession&upload_protocol=resumable&key="+secretGoogleQuery, "x",
		"X-Goog-Upload-Command", "upload", "X-Goog-Upload-Offset", "0")
	job := do("batch create", http.MethodPost, "/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent"+q,
		`{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}}}}`)
	if name := secretJSONField(job.body, "name"); strings.HasPrefix(name, "batches/") {
		do("batch get", http.MethodGet, "/v1beta/"+name+q, "")
		do("batch delete", http.MethodDelete, "/v1beta/"+name, "", gemini...)
	}
	do("batch bad input", http.MethodPost, "/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent"+q, `{"batch":{"inputConfig":{"fileName":"files/missing"}}}`)

	// OpenAI and Azure OpenAI.
	openAI := []string{"Authorization", "Bearer " + secretOpenAI}
	do("openai", http.MethodPost, "/v1/embeddings", `{"model":"text-embedding-3-small","input":"secrets stay out","dimensions":64}`, openAI...)
	do("openai models", http.MethodGet, "/v1/models", "", openAI...)
	do("openai invalid key", http.MethodPost, "/v1/embeddings", `{"model":"text-embedding-3-small","input":"x"}`, "Authorization", "Bearer "+secretOpenAIInvalid)
	do("openai bad body", http.MethodPost, "/v1/embeddings", `not json`, openAI...)
	do("openai unknown model", http.MethodPost, "/v1/embeddings", `{"model":"text-embedding-9","input":"x"}`, openAI...)
	do("openai unknown parameter", http.MethodPost, "/v1/embeddings", `{"model":"text-embedding-3-small","input":"x","secret":"y"}`, openAI...)
	do("openai injected drop", http.MethodPost, "/v1/embeddings", `{"model":"text-embedding-3-small","input":"x"}`, append(slices.Clone(openAI), "X-Embedmock-Fault", "drop")...)
	azure := "/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-02-01"
	do("azure", http.MethodPost, azure, `{"input":"secrets stay out"}`, "Api-Key", secretAzure)
	do("azure invalid key", http.MethodPost, azure, `{"input":"x"}`, "Api-Key", secretAzureInvalid)
	do("azure key in query", http.MethodPost, azure+"&api-key="+secretAzure, `{"input":"x"}`)
	do("azure unknown deployment", http.MethodPost, "/openai/deployments/nope/embeddings?api-version=2024-02-01", `{"input":"x"}`, "Api-Key", secretAzure)

	// Gradient.
	gradient := []string{"Authorization", "Bearer " + secretGradientToken, "X-Gradient-Workspace-Id", secretWorkspace}
	do("gradient", http.MethodPost, "/api/embeddings/bge-large", `{"inputs":[{"input":"secrets stay out"}]}`, gradient...)
	do("gradient models", http.MethodGet, "/api/embeddings", "", gradient...)
	do("gradient invalid token", http.MethodPost, "/api/embeddings/bge-large", `{"inputs":[{"input":"x"}]}`,
		"Authorization", "Bearer "+secretGradientBad, "X-Gradient-Workspace-Id", secretWorkspace)
	do("gradient no workspace", http.MethodPost, "/api/embeddings/bge-large", `{"inputs":[{"input":"x"}]}`, "Authorization", "Bearer "+secretGradientToken)
	do("gradient bad body", http.MethodPost, "/api/embeddings/bge-large", `{"inputs":[]}`, gradient...)
	do("gradient unknown slug", http.MethodPost, "/api/embeddings/other-model", `{"inputs":[{"input":"x"}]}`, gradient...)
	return out
}

// secretAdmin calls every admin route that answers with state.
func secretAdmin(t *testing.T, mode, base string) []secretExchange {
	t.Helper()
	var out []secretExchange
	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, "/_embedmock/health", ""},
		{http.MethodGet, "/_embedmock/requests", ""},
		{http.MethodGet, "/_embedmock/requests?family=gemini&limit=50", ""},
		{http.MethodGet, "/_embedmock/requests?status=401", ""},
		{http.MethodGet, "/_embedmock/requests?route=embeddings", ""},
		{http.MethodPost, "/_embedmock/faults", `{"status":429,"count":1,"route":"models.get"}`},
		{http.MethodGet, "/_embedmock/faults", ""},
		{http.MethodDelete, "/_embedmock/faults", ""},
		{http.MethodGet, "/_embedmock/batch-failures", ""},
		{http.MethodGet, "/_embedmock/clock", ""},
	} {
		x := secretExchangeOf(mode, c.method+" "+c.path, base, c.method, c.path, c.body, "X-Goog-Api-Key", secretGoogleHeader)
		require.NoError(t, x.err, "%s %s %s", mode, c.method, c.path)
		out = append(out, x)
	}
	return out
}

// secretJSONField finds "field":"value" in a JSON body, at any depth.
func secretJSONField(body []byte, field string) string {
	_, rest, ok := strings.Cut(string(body), `"`+field+`":"`)
	if !ok {
		return ""
	}
	value, _, _ := strings.Cut(rest, `"`)
	return value
}
