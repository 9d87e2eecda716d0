package recording

import (
	"bufio"
	"io"
	"regexp"
	"strings"
)

// Finding is a line of a cassette that looks like it holds a credential.
type Finding struct {
	Line int
	Kind string // what it looks like
	Hint string // the start of the match, enough to find it, not to use it
}

// credentialPatterns are the shapes of credentials the APIs embedmock
// records use.
var credentialPatterns = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"a Google API key", regexp.MustCompile(`AIza[0-9A-Za-z_\-]{35}`)},
	{"an OpenAI API key", regexp.MustCompile(`\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}`)},
	{"a bearer token", regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9\-._~+/]{16,}=*`)},
	{"a Google OAuth access token", regexp.MustCompile(`\bya29\.[0-9A-Za-z_\-]{20,}`)},
}

// CheckCredentials scans a cassette (any text) and returns every line that
// looks like it holds a credential.
func CheckCredentials(r io.Reader) ([]Finding, error) {
	var out []Finding
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		for _, p := range credentialPatterns {
			for _, m := range p.re.FindAllString(line, -1) {
				if strings.Contains(m, Redacted) {
					continue
				}
				out = append(out, Finding{Line: n, Kind: p.kind, Hint: m[:min(len(m), 8)] + "…"})
			}
		}
	}
	return out, sc.Err()
}
