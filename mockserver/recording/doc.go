// Package recording is embedmock's record and replay engine for embedding
// API traffic, on top of go-vcr's cassette format.
//
// It adds what go-vcr alone gets wrong for embeddings:
//
//   - embedding-aware matching (Key): requests match by API family, route
//     kind, model and a canonical form of the request (JSON with sorted
//     keys, camelCase and snake_case unified, secrets and header order
//     ignored), never by raw URL or header order;
//   - replay that is order-independent, concurrency-safe and repeatable
//     (Library), and vector-level replay: every recorded vector is indexed
//     by its input, so a request whose inputs were all recorded, in any
//     grouping, is answered from them;
//   - misses that name the nearest recorded request and how it differs;
//   - cassettes written as each interaction completes (Writer), so a killed
//     recorder loses at most the request in flight;
//   - redaction of credentials everywhere they occur (Redactor), and a
//     scanner for credentials left in cassettes (CheckCredentials).
//
// Cassettes stay in go-vcr's format (YAML, version 2): go-vcr's
// cassette.Load reads every cassette this package writes. The HTTP side
// (proxying, answering, miss policies) is in package mockserver.
package recording
