// Package googleapi holds the conventions the Gemini API shares with
// other Google APIs, for the packages that fake them: the error envelope
// {"error": {"code", "message", "status", "details"}} and its texts, the
// front end's lenient JSON parser and its syntax errors, schema
// violations in the words of Google's proto3 JSON parser, system query
// parameters, proto3 JSON scalars (int64 as strings, timestamps), page
// tokens, API keys, and a base Family with the Gemini API's
// authentication and failure rendering.
//
// It serves no route itself; the Gemini packages (gemini, geminifiles,
// geminibatches) do.
package googleapi
