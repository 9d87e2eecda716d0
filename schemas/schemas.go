// Package schemas holds the JSON Schema documents that every request body
// embedmock accepts is validated against, and turns a schema violation into a
// structured Violation that each API family renders as its own error body.
//
// The documents (*.json in this directory) are embedded, compiled once with
// github.com/santhosh-tekuri/jsonschema/v5 and are the single description of
// what a valid request looks like: field names (camelCase and snake_case for
// Google's proto3 JSON), types, enums and unknown-field rejection. Semantic
// rules that the real APIs report with their own messages (limits, model
// names, empty inputs) are not in the schemas; the server checks them after
// validation.
//
// Schemas carry one extension keyword, x-proto-type, naming the proto type
// that Google's error messages report for a field (TYPE_INT32, TaskType, ...).
//
// Decode turns a request body into the value Validate takes, refusing
// anything but exactly one JSON value.
package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

//go:embed *.json
var documents embed.FS

// Name identifies a request schema; it is the document's file name without
// the .json extension.
type Name string

// The request schemas.
const (
	GeminiEmbedContentRequest           Name = "gemini.EmbedContentRequest"
	GeminiBatchEmbedContentsRequest     Name = "gemini.BatchEmbedContentsRequest"
	GeminiAsyncBatchEmbedContentRequest Name = "gemini.AsyncBatchEmbedContentRequest"
	GeminiBatchFileLine                 Name = "gemini.BatchFileLine"
	GeminiCreateFileRequest             Name = "gemini.CreateFileRequest"
	OpenAIEmbeddingRequest              Name = "openai.EmbeddingRequest"
	GradientGenerateEmbeddingRequest    Name = "gradient.GenerateEmbeddingRequest"
)

// Names returns the names of all request schemas, sorted.
func Names() []Name {
	var names []Name
	for id := range compiled().schemas {
		names = append(names, id)
	}
	slices.Sort(names)
	return names
}

// Document returns the JSON Schema document for name, or nil if there is none.
func Document(name Name) []byte {
	b, err := documents.ReadFile(string(name) + ".json")
	if err != nil {
		return nil
	}
	return b
}

// Validate checks doc, a JSON value decoded by encoding/json with
// UseNumber, against the named schema. It returns nil when doc is valid, else
// the violation that comes first in path order (the order in which a
// streaming parser would meet it, up to object key order).
//
// Validation stops at the first invalid element of a long list, so a body
// of a million bad items costs no more than a body of one.
func Validate(name Name, doc any) *Violation {
	reg := compiled()
	if _, ok := reg.schemas[name]; !ok {
		panic(fmt.Sprintf("schemas: unknown schema %q", name))
	}
	return reg.validate(string(name)+".json", doc)
}

// pruneLimit is how many elements of a list are validated together; the
// rest are validated one by one.
const pruneLimit = 16

// validate checks doc against the schema ref ("file.json" or
// "file.json#/$defs/X").
func (reg *registry) validate(ref string, doc any) *Violation {
	pruned, rest := prune(doc, Path{})
	if v := reg.validateWhole(ref, pruned); v != nil || len(rest) == 0 {
		return v
	}
	for _, list := range rest {
		itemRef, ok := reg.itemsRef(ref, list.path)
		if !ok {
			return reg.validateWhole(ref, doc)
		}
		for i, item := range list.items {
			if v := reg.validate(itemRef, item); v != nil {
				v.Path = append(append(slices.Clip(list.path), list.start+i), v.Path...)
				return v
			}
		}
	}
	return nil
}

// longList is the part of a list that prune left out.
type longList struct {
	path  Path
	start int
	items []any
}

// prune copies v with every list cut to its first pruneLimit elements, and
// returns the elements left out.
func prune(v any, path Path) (any, []longList) {
	switch x := v.(type) {
	case map[string]any:
		var rest []longList
		out := make(map[string]any, len(x))
		for k, val := range x {
			var r []longList
			out[k], r = prune(val, append(slices.Clip(path), k))
			rest = append(rest, r...)
		}
		return out, rest
	case []any:
		n := min(len(x), pruneLimit)
		var rest []longList
		out := make([]any, n)
		for i := range n {
			var r []longList
			out[i], r = prune(x[i], append(slices.Clip(path), i))
			rest = append(rest, r...)
		}
		if len(x) > n {
			rest = append(rest, longList{path: path, start: n, items: x[n:]})
		}
		return out, rest
	}
	return v, nil
}

// validateWhole validates doc in one pass and reports its first violation.
func (reg *registry) validateWhole(ref string, doc any) *Violation {
	sch, err := reg.schema(ref)
	if err != nil {
		panic(err) // refs come from the embedded documents, which are tested
	}
	err = sch.Validate(doc)
	if err == nil {
		return nil
	}
	start, file := reg.refNode(ref)
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		// Only values that are not JSON (never produced by encoding/json)
		// fail this way.
		return &Violation{Kind: InvalidValue, Value: doc, ProtoType: reg.protoType(start)}
	}
	var found []*Violation
	for _, leaf := range leaves(verr, nil) {
		if v := reg.violation(start, file, doc, leaf); v != nil {
			found = append(found, v)
		}
	}
	if len(found) == 0 {
		return &Violation{Kind: InvalidValue, Value: doc}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].Path.less(found[j].Path) })
	return found[0]
}

// ViolationKind classifies a schema violation the way a proto3 JSON parser
// does.
type ViolationKind int

const (
	// UnknownField: an object has a key that is not a field of its message.
	UnknownField ViolationKind = iota + 1
	// NotRepeated: a JSON array was given for a field that is not a list.
	NotRepeated
	// ObjectForScalar: a JSON object was given for a scalar or enum field.
	ObjectForScalar
	// InvalidValue: a value has the wrong JSON type for its field or is not
	// one of the allowed values.
	InvalidValue
	// MissingField: a required field is absent.
	MissingField
)

// Violation describes why a request body does not match its schema.
type Violation struct {
	Kind ViolationKind
	// Path locates the enclosing object for UnknownField, NotRepeated and
	// ObjectForScalar, and the offending value for InvalidValue.
	Path Path
	// Field is the offending key as sent (UnknownField, NotRepeated,
	// ObjectForScalar).
	Field string
	// Value is the offending value (InvalidValue).
	Value any
	// ProtoType is the expected type's x-proto-type (InvalidValue).
	ProtoType string
	// Keyword is the JSON Schema keyword that failed ("type", "minItems",
	// "anyOf", ...), for messages that say more than "invalid".
	Keyword string
}

// ValueText renders the offending value of a violation as Google's
// messages do, which every family's texts follow: a string in double
// quotes (unescaped), anything else as its JSON text.
func (v *Violation) ValueText() string {
	switch x := v.Value.(type) {
	case string:
		return `"` + x + `"`
	case json.Number:
		return x.String()
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v.Value)
	return string(b)
}

// Path is a location inside a JSON document: string object keys and int
// array indexes.
type Path []any

// ProtoPath renders p the way Google's errors do: snake_case field names
// joined by dots, indexes in brackets ("requests[0].content.parts[1]").
func (p Path) ProtoPath() string {
	var b strings.Builder
	for _, seg := range p {
		switch s := seg.(type) {
		case int:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s))
			b.WriteByte(']')
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(SnakeCase(s))
		}
	}
	return b.String()
}

// String renders p as a JSON pointer.
func (p Path) String() string {
	var b strings.Builder
	for _, seg := range p {
		b.WriteByte('/')
		fmt.Fprint(&b, seg)
	}
	return b.String()
}

func (p Path) less(q Path) bool {
	for i := 0; i < len(p) && i < len(q); i++ {
		a, aInt := p[i].(int)
		b, bInt := q[i].(int)
		switch {
		case aInt && bInt:
			if a != b {
				return a < b
			}
		case !aInt && !bInt:
			if p[i].(string) != q[i].(string) {
				return p[i].(string) < q[i].(string)
			}
		default:
			return aInt
		}
	}
	return len(p) < len(q)
}

// SnakeCase converts a lowerCamelCase JSON name to its snake_case proto
// field name ("outputDimensionality" -> "output_dimensionality"); names
// already in snake_case are unchanged.
func SnakeCase(name string) string {
	if strings.IndexFunc(name, func(r rune) bool { return 'A' <= r && r <= 'Z' }) < 0 {
		return name
	}
	var b strings.Builder
	for _, r := range name {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// leaves collects the innermost errors of a validation error tree. An anyOf
// or oneOf failure counts as one leaf: the value matched none of the
// alternatives.
func leaves(e *jsonschema.ValidationError, out []*jsonschema.ValidationError) []*jsonschema.ValidationError {
	kw := e.KeywordLocation[strings.LastIndexByte(e.KeywordLocation, '/')+1:]
	if len(e.Causes) == 0 || kw == "anyOf" || kw == "oneOf" {
		return append(out, e)
	}
	for _, c := range e.Causes {
		out = leaves(c, out)
	}
	return out
}

// registry is the compiled schemas plus the raw documents, which are walked
// to find the schema node (and its x-proto-type) for an instance location.
type registry struct {
	schemas  map[Name]*jsonschema.Schema
	raw      map[string]map[string]any // file name -> parsed document
	compiler *jsonschema.Compiler

	mu   sync.Mutex
	refs map[string]*jsonschema.Schema // compiled definitions, by ref
}

var compiled = sync.OnceValue(func() *registry {
	reg, err := compile()
	if err != nil {
		panic(err) // the embedded documents are tested; this cannot happen in a release
	}
	return reg
})

// schema returns the compiled schema for ref, compiling definitions on
// first use.
func (reg *registry) schema(ref string) (*jsonschema.Schema, error) {
	if name, ok := strings.CutSuffix(ref, ".json"); ok {
		if s, ok := reg.schemas[Name(name)]; ok {
			return s, nil
		}
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if s, ok := reg.refs[ref]; ok {
		return s, nil
	}
	s, err := reg.compiler.Compile(ref)
	if err != nil {
		return nil, err
	}
	reg.refs[ref] = s
	return s, nil
}

// refNode returns the raw schema node ref names and the file it is in.
func (reg *registry) refNode(ref string) (map[string]any, string) {
	file, _, _ := strings.Cut(ref, "#")
	return reg.resolve(map[string]any{"$ref": ref}, file)
}

// itemsRef returns the ref of the item schema of the list at path inside
// an instance of ref.
func (reg *registry) itemsRef(ref string, path Path) (string, bool) {
	start, file := reg.refNode(ref)
	node, file := reg.nodeFrom(start, file, path)
	items, _ := node["items"].(map[string]any)
	itemRef, ok := items["$ref"].(string)
	if !ok {
		return "", false
	}
	target, fragment, _ := strings.Cut(itemRef, "#")
	if target == "" {
		target = file
	}
	return target + "#" + fragment, true
}

func compile() (*registry, error) {
	reg := &registry{schemas: map[Name]*jsonschema.Schema{}, raw: map[string]map[string]any{}, refs: map[string]*jsonschema.Schema{}}
	c := jsonschema.NewCompiler()
	reg.compiler = c
	c.Draft = jsonschema.Draft2020
	files, err := fs.Glob(documents, "*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := documents.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", f, err)
		}
		reg.raw[f] = doc
		if err := c.AddResource(f, bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", f, err)
		}
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".common.json") {
			continue
		}
		s, err := c.Compile(f)
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", f, err)
		}
		reg.schemas[Name(strings.TrimSuffix(f, ".json"))] = s
	}
	return reg, nil
}

// violation turns one leaf error into a Violation, or nil if it cannot be
// located (which the tests rule out for the shipped schemas). start is the
// schema node doc was validated against, in file.
func (reg *registry) violation(start map[string]any, file string, doc any, leaf *jsonschema.ValidationError) *Violation {
	path, value, ok := locate(doc, leaf.InstanceLocation)
	if !ok {
		return nil
	}
	node, _ := reg.nodeFrom(start, file, path)
	if node == nil {
		return nil
	}
	kw := leaf.KeywordLocation[strings.LastIndexByte(leaf.KeywordLocation, '/')+1:]
	if kw == "required" {
		obj, _ := value.(map[string]any)
		required, _ := node["required"].([]any)
		for _, r := range required {
			name, _ := r.(string)
			if _, ok := obj[name]; !ok {
				return &Violation{Kind: MissingField, Path: path, Field: name, Keyword: kw}
			}
		}
		return nil
	}
	if kw == "additionalProperties" {
		obj, _ := value.(map[string]any)
		props, _ := node["properties"].(map[string]any)
		var unknown []string
		for k := range obj {
			if _, known := props[k]; !known {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) == 0 {
			return nil
		}
		slices.Sort(unknown)
		return &Violation{Kind: UnknownField, Path: path, Field: unknown[0], Keyword: kw}
	}
	if n := len(path); n > 0 {
		if field, isField := path[n-1].(string); isField {
			types := nodeTypes(node)
			switch value.(type) {
			case []any:
				if !types["array"] {
					return &Violation{Kind: NotRepeated, Path: path[:n-1], Field: field, Keyword: kw}
				}
			case map[string]any:
				if !types["object"] && !types["array"] {
					return &Violation{Kind: ObjectForScalar, Path: path[:n-1], Field: field, Keyword: kw}
				}
			}
		}
	}
	return &Violation{Kind: InvalidValue, Path: path, Value: value, ProtoType: reg.protoType(node), Keyword: kw}
}

func (reg *registry) protoType(node map[string]any) string {
	s, _ := node["x-proto-type"].(string)
	return s
}

// nodeTypes returns the JSON types a schema node allows, looking into anyOf
// alternatives.
func nodeTypes(node map[string]any) map[string]bool {
	types := map[string]bool{}
	var add func(n map[string]any)
	add = func(n map[string]any) {
		switch t := n["type"].(type) {
		case string:
			types[t] = true
		case []any:
			for _, x := range t {
				if s, ok := x.(string); ok {
					types[s] = true
				}
			}
		}
		if alts, ok := n["anyOf"].([]any); ok {
			for _, a := range alts {
				if m, ok := a.(map[string]any); ok {
					add(m)
				}
			}
		}
	}
	add(node)
	return types
}

// locate follows a JSON pointer through doc, returning the path with array
// indexes as ints and the value found there.
func locate(doc any, pointer string) (Path, any, bool) {
	path := Path{}
	cur := doc
	if pointer == "" {
		return path, cur, true
	}
	for _, raw := range strings.Split(pointer[1:], "/") {
		seg := strings.ReplaceAll(strings.ReplaceAll(raw, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				return nil, nil, false
			}
			path = append(path, seg)
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil, nil, false
			}
			path = append(path, i)
			cur = c[i]
		default:
			return nil, nil, false
		}
	}
	return path, cur, true
}

// nodeFrom returns the schema node (with $refs resolved), and its file, that
// describes the value at path inside an instance of the node start of file.
func (reg *registry) nodeFrom(start map[string]any, file string, path Path) (map[string]any, string) {
	node, file := reg.resolve(start, file)
	for _, seg := range path {
		if node == nil {
			return nil, file
		}
		var next map[string]any
		switch s := seg.(type) {
		case string:
			props, _ := node["properties"].(map[string]any)
			next, _ = props[s].(map[string]any)
		case int:
			next, _ = node["items"].(map[string]any)
		}
		node, file = reg.resolve(next, file)
	}
	return node, file
}

// resolve follows $ref chains ("other.json#/$defs/X" or "#/$defs/X").
func (reg *registry) resolve(node map[string]any, file string) (map[string]any, string) {
	for node != nil {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node, file
		}
		target, fragment, _ := strings.Cut(ref, "#")
		if target != "" {
			file = target
		}
		node = reg.raw[file]
		for _, seg := range strings.Split(strings.TrimPrefix(fragment, "/"), "/") {
			if seg == "" || node == nil {
				continue
			}
			node, _ = node[seg].(map[string]any)
		}
	}
	return nil, file
}
