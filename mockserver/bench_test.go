package mockserver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
)

// discardWriter is a ResponseWriter that keeps nothing, so benchmarks measure
// the handler rather than a recorder.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

// benchHandler runs the handler end to end (routing, auth, parsing, schema
// validation, vectors, encoding) for bodies produced by body(i), so that every
// iteration can use a distinct text.
func benchHandler(b *testing.B, path string, body func(i int) []byte, opts ...Option) {
	s, err := New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	// Check once that the request succeeds.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body(0)))
	req.Header.Set("X-Goog-Api-Key", "bench")
	req.Header.Set("Authorization", "Bearer bench")
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	b.SetBytes(int64(rec.Body.Len()))
	b.ReportAllocs()
	w := &discardWriter{h: http.Header{}}
	reader := bytes.NewReader(nil)
	i := 0
	for b.Loop() {
		data := body(i)
		i++
		reader.Reset(data)
		req.Body = io.NopCloser(reader) // middleware may have wrapped the last one
		req.ContentLength = int64(len(data))
		clear(w.h)
		s.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

func BenchmarkEmbedContent(b *testing.B) {
	for _, dims := range []int{768, 3072} {
		b.Run(fmt.Sprintf("dims=%d", dims), func(b *testing.B) {
			benchHandler(b, embedPath, func(i int) []byte {
				return fmt.Appendf(nil, `{"content":{"parts":[{"text":"document number %d about embeddings"}]},"outputDimensionality":%d}`, i, dims)
			})
		})
	}
}

func BenchmarkBatchEmbedContents(b *testing.B) {
	benchHandler(b, batchPath, func(i int) []byte {
		var buf bytes.Buffer
		buf.WriteString(`{"requests":[`)
		for j := range 100 {
			if j > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"batch %d document %d about embeddings"}]},"outputDimensionality":768}`, i, j)
		}
		buf.WriteString(`]}`)
		return buf.Bytes()
	})
}

func BenchmarkOpenAIEmbeddings(b *testing.B) {
	for _, format := range []string{"float", "base64"} {
		b.Run(format, func(b *testing.B) {
			benchHandler(b, "/v1/embeddings", func(i int) []byte {
				return fmt.Appendf(nil, `{"model":"text-embedding-3-small","input":"document number %d about embeddings","encoding_format":%q}`, i, format)
			})
		})
	}
}

func BenchmarkRepeatedText(b *testing.B) {
	benchHandler(b, embedPath, func(int) []byte {
		return []byte(`{"content":{"parts":[{"text":"the same document every time"}]},"outputDimensionality":768}`)
	})
}

func BenchmarkReplay(b *testing.B) {
	// A cassette recorded from this server, replayed by text.
	upstream := httptest.NewServer(mustNew(b))
	b.Cleanup(upstream.Close)
	path := filepath.Join(b.TempDir(), "bench.yaml")
	recorder := httptest.NewServer(mustNew(b, WithProxy(), WithUpstream(upstream.URL), WithRecordTo(path, true)))
	const recorded = 100
	body := func(i int) []byte {
		return fmt.Appendf(nil, `{"content":{"parts":[{"text":"recorded document %d"}]},"outputDimensionality":768}`, i%recorded)
	}
	for i := range recorded {
		req, _ := http.NewRequest(http.MethodPost, recorder.URL+embedPath, bytes.NewReader(body(i)))
		req.Header.Set("X-Goog-Api-Key", "bench")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("recording: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	recorder.Close()
	benchHandler(b, embedPath, body, WithCassettes(path), WithMissPolicy(MissError))
}

func mustNew(tb testing.TB, opts ...Option) *Server {
	s, err := New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
