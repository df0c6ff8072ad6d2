package mp

import (
	"encoding/json"
	"strconv"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// appendEvent writes e as json.Marshal does (keys sorted, HTML characters
// escaped) without reflection; ok is false for a value it does not write
// itself (another type, a string needing escapes, an unusual number), which
// the caller then leaves to json.Marshal.
func appendEvent(b []byte, e *Event) ([]byte, bool) {
	b = append(b, `{"name":`...)
	b, ok := appendPlainString(b, e.Name)
	if !ok {
		return b, false
	}
	if e.TimestampMicros != 0 {
		b = append(b, `,"timestamp_micros":`...)
		b = strconv.AppendInt(b, e.TimestampMicros, 10)
	}
	if len(e.Params) > 0 {
		if len(e.Params) > MaxParamsPerEvent+8 {
			return b, false // only by bypassing SetParam; json.Marshal sorts them
		}
		// Sorted by name, as json.Marshal writes a map: an insertion sort
		// of indexes (a handful of params) on the stack.
		var arr [MaxParamsPerEvent + 8]uint8
		order := arr[:len(e.Params)]
		for i := range order {
			order[i] = uint8(i)
			for j := i; j > 0 && e.Params[order[j]].Name < e.Params[order[j-1]].Name; j-- {
				order[j], order[j-1] = order[j-1], order[j]
			}
		}
		b = append(b, `,"params":{`...)
		for i, k := range order {
			if i > 0 {
				b = append(b, ',')
			}
			p := &e.Params[k]
			if b, ok = appendPlainString(b, p.Name); !ok {
				return b, false
			}
			b = append(b, ':')
			if b, ok = appendValue(b, &p.Value); !ok {
				return b, false
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), true
}

func appendValue(b []byte, v *Value) ([]byte, bool) {
	switch v.kind {
	case kindString:
		return appendPlainString(b, v.str)
	case kindInt:
		return strconv.AppendInt(b, v.num, 10), true
	case kindNumber:
		return appendNumber(b, json.Number(v.str))
	case kindDecimal:
		return contract.AppendDecimal(b, v.num, int(v.exp)), true
	case kindItems:
		if v.item == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i := range v.item {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendItem(b, &v.item[i]); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	}
	return b, false
}

func appendItem(b []byte, it *Item) ([]byte, bool) {
	b = append(b, '{')
	n := len(b)
	ok := true
	field := func(name string) {
		if len(b) > n {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
	}
	str := func(name, s string) {
		if s == "" || !ok {
			return
		}
		field(name)
		b, ok = appendPlainString(b, s)
	}
	str("item_id", it.ItemID)
	str("item_name", it.ItemName)
	str("item_category", it.ItemCategory)
	if it.Price != "" && ok {
		field("price")
		b, ok = appendNumber(b, it.Price)
	}
	if it.Quantity != 0 {
		field("quantity")
		b = strconv.AppendInt(b, it.Quantity, 10)
	}
	return append(b, '}'), ok
}

// appendPlainString quotes s when no character of it needs an escape.
func appendPlainString(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return b, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}

// appendNumber writes the decimal forms the mapping produces: an optional
// minus, digits, optionally a point and digits.
func appendNumber(b []byte, n json.Number) ([]byte, bool) {
	s := string(n)
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	whole := i
	if !digits() || s[whole] == '0' && i-whole > 1 {
		return b, false // empty or a leading zero: not JSON
	}
	if i < len(s) {
		if s[i] != '.' {
			return b, false
		}
		i++
		if !digits() || i != len(s) {
			return b, false
		}
	}
	return append(b, s...), true
}
