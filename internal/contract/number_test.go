package contract

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFormatNumberHasNoExponent(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{11810.4, "11,810"},
		{1181e1, "11,810"},
		{1234567.89, "1,234,568"},
		{-45000, "-45,000"},
		{999.96, "1,000"}, // rounds up at four significant digits
		{812.34, "812.3"},
		{5000, "5,000"},
		{2.5, "2.5"},
		{0.0425, "0.0425"},
		{0.000012341, "0.00001234"},
		{1e-15, "0"},
		{0, "0"},
		{-0.0000001, "-0.0000001"},
		{3e21, "3,000,000,000,000,000,000,000"},
		{math.NaN(), "n/a"},
		{math.Inf(1), "∞"},
	} {
		assert.Equal(t, c.want, FormatNumber(c.in), "%v", c.in)
	}
}

func TestMeasurable(t *testing.T) {
	for _, v := range []float64{0, -1, 1e18, -math.MaxInt64} {
		assert.True(t, Measurable(v), "%g", v)
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e19, -1e19, math.MaxFloat64} {
		assert.False(t, Measurable(v), "%g", v)
	}
}
