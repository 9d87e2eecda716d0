package schemas

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		body string
		want any // nil: refused
	}{
		{"object", `{"a":1}`, map[string]any{"a": json.Number("1")}},
		{"surrounding whitespace", " \t\r\n{\"a\":[]} \n", map[string]any{"a": []any{}}},
		{"scalar", `"x"`, "x"},
		{"stray closing brace", `{"a":1}}`, nil},
		{"stray closing bracket", `[1]]`, nil},
		{"second value", `{} {}`, nil},
		{"trailing word", `{"a":1} x`, nil},
		{"trailing comma", `{"a":1},`, nil},
		{"non-JSON whitespace after", "{}\u00a0", nil},
		{"cut short", `{"a":`, nil},
		{"empty", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.body))
			if tt.want == nil {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
