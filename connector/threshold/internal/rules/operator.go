// Package rules holds the pieces rules are built from: comparison operators,
// matchers over spans, span events, log records and metric points, sliding
// count windows, the latency histogram and the EWMA baseline.
package rules

import (
	"fmt"
	"math"
)

// Operator compares an observed value with a threshold.
type Operator int

const (
	OpGreater Operator = iota
	OpLess
	OpGreaterEqual
	OpLessEqual
	OpEqual
	OpNotEqual
)

var operatorNames = map[string]Operator{
	">": OpGreater, "<": OpLess, ">=": OpGreaterEqual, "<=": OpLessEqual, "==": OpEqual, "!=": OpNotEqual,
}

// ParseOperator accepts >, <, >=, <=, == and !=.
func ParseOperator(s string) (Operator, error) {
	op, ok := operatorNames[s]
	if !ok {
		return 0, fmt.Errorf("unknown operator %q (want one of >, <, >=, <=, ==, !=)", s)
	}
	return op, nil
}

func (o Operator) String() string {
	for k, v := range operatorNames {
		if v == o {
			return k
		}
	}
	return "?"
}

// Holds reports whether "v op threshold" is true. NaN never holds.
func (o Operator) Holds(v, threshold float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch o {
	case OpGreater:
		return v > threshold
	case OpLess:
		return v < threshold
	case OpGreaterEqual:
		return v >= threshold
	case OpLessEqual:
		return v <= threshold
	case OpEqual:
		return v == threshold
	case OpNotEqual:
		return v != threshold
	}
	return false
}

// Upward reports whether the operator fires on high values (> or >=), which
// is when a resolve_below hysteresis threshold makes sense.
func (o Operator) Upward() bool { return o == OpGreater || o == OpGreaterEqual }

// Downward reports whether the operator fires on low values (< or <=).
func (o Operator) Downward() bool { return o == OpLess || o == OpLessEqual }
