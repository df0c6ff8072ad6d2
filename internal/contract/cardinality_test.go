package contract

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestCutLabelValue(t *testing.T) {
	short := strings.Repeat("a", MaxLabelValueBytes)
	assert.Equal(t, short, CutLabelValue(short))
	long := strings.Repeat("a", MaxLabelValueBytes-1) + "é" + "tail"
	got := CutLabelValue(long)
	assert.Equal(t, strings.Repeat("a", MaxLabelValueBytes-1)+"…", got, "the two-byte é across the bound is not split")
	assert.True(t, utf8.ValidString(got))
	assert.Equal(t, got, CutLabelValue(long+"other"), "values that share their first bytes become one")
}
