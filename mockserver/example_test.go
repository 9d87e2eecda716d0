package mockserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/embedmock/embedmock/mockserver"
)

// A server needs no more than an httptest server in front of it; a client
// then uses ts.URL as its base URL (the README's snippet for tests that
// use neither official SDK).
func ExampleNew() {
	srv, _ := mockserver.New()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1beta/models/gemini-embedding-001:embedContent",
		strings.NewReader(`{"content":{"parts":[{"text":"hello"}]}}`))
	req.Header.Set("X-Goog-Api-Key", "any-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("X-Embedmock-Source"), strings.HasPrefix(string(body), `{"embedding":{"values":[`))
	// Output: 200 fake true
}
