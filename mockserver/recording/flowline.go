package recording

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/dnaeon/go-vcr.v3/cassette"
	"gopkg.in/yaml.v3"
)

// pendingItem and committedItem are the first bytes of an interaction line
// in the appendable layout: the line is written as a YAML comment ("# {...}")
// and becomes a sequence item ("- {...}") when that one byte is overwritten.
// A single-byte write cannot be torn, so a process killed at any moment
// leaves either the comment (ignored by every YAML reader, whole or cut
// short) or the complete item.
const (
	pendingItem   = '#'
	committedItem = '-'
)

// marshalFlowLine renders one interaction as a pending line: "# ", the
// interaction as a YAML flow mapping on one line, and a newline. The line
// is ASCII only (other characters are escaped, bytes that are not UTF-8 are
// written as !!binary), so a copy cut at any byte is still a comment.
func marshalFlowLine(in *cassette.Interaction) ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(in); err != nil {
		return nil, err
	}
	line := make([]byte, 0, 4096)
	line = append(line, pendingItem, ' ')
	line, err := appendFlow(line, &n)
	if err != nil {
		return nil, err
	}
	return append(line, '\n'), nil
}

// maxImplicitKey is the longest mapping key written without "? ": YAML
// readers refuse implicit keys of more than 1024 characters.
const maxImplicitKey = 1000

// plainScalar matches the values of non-string scalars that are safe
// unquoted in a YAML flow collection.
var plainScalar = regexp.MustCompile(`^[-+.0-9A-Za-z_]+$`)

// appendFlow appends n in YAML flow style.
func appendFlow(b []byte, n *yaml.Node) ([]byte, error) {
	var err error
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("recording: a document of %d nodes", len(n.Content))
		}
		return appendFlow(b, n.Content[0])
	case yaml.MappingNode:
		b = append(b, '{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b = append(b, ", "...)
			}
			// A YAML reader takes an implicit key of at most 1024
			// characters; a longer one (a long header name) is written as
			// an explicit key, after "? ".
			start := len(b)
			if b, err = appendFlow(b, n.Content[i]); err != nil {
				return nil, err
			}
			if len(b)-start > maxImplicitKey {
				b = slices.Insert(b, start, '?', ' ')
			}
			b = append(b, ": "...)
			if b, err = appendFlow(b, n.Content[i+1]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case yaml.SequenceNode:
		b = append(b, '[')
		for i, item := range n.Content {
			if i > 0 {
				b = append(b, ", "...)
			}
			if b, err = appendFlow(b, item); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case yaml.ScalarNode:
		return appendFlowScalar(b, n), nil
	}
	return nil, fmt.Errorf("recording: cannot write a YAML node of kind %d on one line", n.Kind)
}

func appendFlowScalar(b []byte, n *yaml.Node) []byte {
	tag := n.ShortTag()
	switch {
	case tag == "!!str" && utf8.ValidString(n.Value):
		return appendQuoted(b, n.Value)
	case tag == "!!str":
		b = append(b, "!!binary "...)
		return appendQuoted(b, base64.StdEncoding.EncodeToString([]byte(n.Value)))
	case tag == "!!binary":
		b = append(b, "!!binary "...)
		return appendQuoted(b, strings.Join(strings.Fields(n.Value), "")) // base64 as the encoder folds it
	case tag == "!!null":
		return append(b, "null"...)
	case plainScalar.MatchString(n.Value):
		return append(b, n.Value...)
	}
	b = append(b, tag...)
	b = append(b, ' ')
	return appendQuoted(b, n.Value)
}

// appendQuoted appends s as a YAML double-quoted scalar in ASCII.
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r >= 0x20 && r < 0x7f:
			b = append(b, byte(r))
		case r < 0x100:
			b = append(b, '\\', 'x', hex[r>>4], hex[r&15])
		case r <= 0xffff:
			b = append(b, '\\', 'u', hex[r>>12], hex[r>>8&15], hex[r>>4&15], hex[r&15])
		default:
			b = append(b, '\\', 'U')
			for shift := 28; shift >= 0; shift -= 4 {
				b = append(b, hex[r>>shift&15])
			}
		}
	}
	return append(b, '"')
}
