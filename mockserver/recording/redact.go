package recording

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"gopkg.in/dnaeon/go-vcr.v3/cassette"

	"github.com/embedmock/embedmock/schemas"
)

// Redacted replaces every secret in a recorded interaction.
const Redacted = "REDACTED"

// minSecretLen is the shortest secret that is also searched for and
// replaced inside other headers, URLs and bodies: shorter values are too
// likely to occur by chance ("k" in every body).
const minSecretLen = 8

// defaultSecretHeaders hold credentials by HTTP's and common API
// conventions; the server adds each API family's own.
var defaultSecretHeaders = []string{
	"Authorization", "Proxy-Authorization", "Api-Key", "X-Api-Key", "Cookie", "Set-Cookie",
}

// Redactor removes credentials from interactions before they are saved:
// the values of secret headers and of the key query parameter, every other
// occurrence of those values in any header, URL or body (APIs echo keys in
// error details), and the values of chosen JSON fields.
type Redactor struct {
	headers []string        // canonical names of secret headers
	fields  map[string]bool // JSON field names whose values are redacted
}

// NewRedactor returns a Redactor for the default secret headers plus
// extraHeaders, and for the JSON fields named in fields.
func NewRedactor(extraHeaders, fields []string) *Redactor {
	r := &Redactor{fields: map[string]bool{}}
	for _, h := range append(slices.Clone(defaultSecretHeaders), extraHeaders...) {
		r.headers = append(r.headers, http.CanonicalHeaderKey(h))
	}
	for _, f := range fields {
		r.fields[f] = true
	}
	return r
}

// Redact rewrites the interaction in place.
func (r *Redactor) Redact(in *cassette.Interaction) {
	secrets := r.secrets(in)

	in.Request.RemoteAddr = ""
	for _, h := range []http.Header{in.Request.Headers, in.Response.Headers, in.Request.Trailer, in.Response.Trailer} {
		r.redactHeaders(h, secrets)
	}
	in.Request.URL = redactURL(in.Request.URL, secrets)
	in.Request.RequestURI = redactURL(in.Request.RequestURI, secrets)
	for name, values := range in.Request.Form {
		for i, v := range values {
			if secretQueryParams[name] {
				values[i] = Redacted
			} else {
				values[i] = replaceSecrets(v, secrets)
			}
		}
	}
	in.Request.Body = r.redactBody(in.Request.Body, secrets)
	in.Response.Body = r.redactBody(in.Response.Body, secrets)
}

// secrets collects the credential values the interaction carries.
func (r *Redactor) secrets(in *cassette.Interaction) []string {
	var out []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		if v != "" && v != Redacted && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for _, name := range r.headers {
		for _, v := range in.Request.Headers.Values(name) {
			add(v)
			if scheme, token, ok := strings.Cut(v, " "); ok && isAuthScheme(scheme) {
				add(token)
			}
		}
	}
	if u, err := url.Parse(in.Request.URL); err == nil {
		for name, values := range u.Query() {
			if secretQueryParams[name] {
				for _, v := range values {
					add(v)
				}
			}
		}
	}
	// Longest first, so that a secret containing another is replaced whole.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

func (r *Redactor) redactHeaders(h http.Header, secrets []string) {
	for name, values := range h {
		secret := slices.Contains(r.headers, http.CanonicalHeaderKey(name))
		for i, v := range values {
			if secret {
				values[i] = Redacted
				// The scheme is no secret, and tells the APIs apart
				// (OpenAI's bearer token on a path Gemini shares).
				if scheme, _, ok := strings.Cut(strings.TrimSpace(v), " "); ok && isAuthScheme(scheme) {
					values[i] = scheme + " " + Redacted
				}
			} else {
				values[i] = replaceSecrets(v, secrets)
			}
		}
	}
}

// redactURL replaces the values of secret query parameters and any other
// occurrence of a secret.
func redactURL(raw string, secrets []string) string {
	if raw == "" {
		return raw
	}
	u, err := url.Parse(raw)
	if err == nil && u.RawQuery != "" {
		q := u.Query()
		changed := false
		for name := range q {
			if secretQueryParams[name] {
				q[name] = []string{Redacted}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
			raw = u.String()
		}
	}
	return replaceSecrets(raw, secrets)
}

// replaceSecrets replaces every occurrence of each secret long enough to be
// searched for, also in its URL-escaped and JSON-escaped forms.
func replaceSecrets(s string, secrets []string) string {
	for _, secret := range secrets {
		if len(secret) < minSecretLen {
			continue
		}
		forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
		if quoted, err := json.Marshal(secret); err == nil {
			forms = append(forms, string(quoted[1:len(quoted)-1]))
		}
		for _, f := range forms {
			s = strings.ReplaceAll(s, f, Redacted)
		}
	}
	return s
}

func (r *Redactor) redactBody(body string, secrets []string) string {
	body = replaceSecrets(body, secrets)
	if len(r.fields) == 0 || body == "" {
		return body
	}
	doc, err := schemas.Decode(bytes.TrimSpace([]byte(body)))
	if err != nil || !r.redactFields(doc) {
		return body
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(doc) != nil {
		return body
	}
	// Re-encoding writes escaped characters plainly, so a secret the body
	// held escaped ("\u0061bc...") is only now in a form to be found.
	return replaceSecrets(strings.TrimSuffix(out.String(), "\n"), secrets)
}

// redactFields replaces the values of the chosen fields; it reports
// whether it changed anything.
func (r *Redactor) redactFields(v any) bool {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if r.fields[k] {
				x[k] = Redacted
				changed = true
				continue
			}
			changed = r.redactFields(val) || changed
		}
	case []any:
		for _, val := range x {
			changed = r.redactFields(val) || changed
		}
	}
	return changed
}

// isAuthScheme reports whether s is an HTTP authentication scheme whose
// credentials follow it.
func isAuthScheme(s string) bool {
	return strings.EqualFold(s, "Bearer") || strings.EqualFold(s, "Basic")
}
