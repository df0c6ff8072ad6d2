package mp

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Consent values.
const (
	Granted = "GRANTED"
	Denied  = "DENIED"
)

// Consent is the request's consent block.
type Consent struct {
	AdUserData        string `json:"ad_user_data,omitempty"`
	AdPersonalization string `json:"ad_personalization,omitempty"`
}

// IsZero reports whether no consent field is set.
func (c Consent) IsZero() bool { return c == Consent{} }

// Item is one element of the items parameter. Price is an exact decimal in
// major units rendered from integer minor units, never a float computation.
type Item struct {
	ItemID       string      `json:"item_id,omitempty"`
	ItemName     string      `json:"item_name,omitempty"`
	ItemCategory string      `json:"item_category,omitempty"`
	Price        json.Number `json:"price,omitempty"`
	Quantity     int64       `json:"quantity,omitempty"`
}

// Event is one Measurement Protocol event.
type Event struct {
	Name string
	// TimestampMicros is the event's own time; it overrides the request's.
	TimestampMicros int64
	// Params have distinct names, in the order they were first set; they
	// are encoded sorted by name, as json.Marshal writes a map. A slice of
	// typed values rather than a map[string]any: no map inserts, no boxed
	// values, and a reused Event allocates nothing per event.
	Params []Param
}

// Param is one event parameter.
type Param struct {
	Name  string
	Value Value
}

type valueKind uint8

const (
	kindString valueKind = iota + 1
	kindInt
	kindNumber
	kindDecimal
	kindItems
)

// Value is a parameter value: a string, an integer, a JSON number, an exact
// decimal of minor units, or items.
type Value struct {
	kind valueKind
	exp  uint8 // decimal: digits after the point
	str  string
	num  int64
	item []Item
}

// String is a string value.
func String(s string) Value { return Value{kind: kindString, str: s} }

// Int is an integer value.
func Int(n int64) Value { return Value{kind: kindInt, num: n} }

// Number is a number value in its JSON form.
func Number(n json.Number) Value { return Value{kind: kindNumber, str: string(n)} }

// Decimal is minor units written as a decimal with exp digits after the
// point ("49.99" for 4999 and 2, "500" for 500 and 0), without a float.
func Decimal(minor int64, exp int) Value {
	return Value{kind: kindDecimal, num: minor, exp: uint8(min(max(exp, 0), 18))}
}

// DecimalText is the text Decimal(minor, exp) is written as.
func DecimalText(minor int64, exp int) json.Number {
	var buf [32]byte
	return json.Number(contract.AppendDecimal(buf[:0], minor, min(max(exp, 0), 18)))
}

// Items is an items value.
func Items(items []Item) Value { return Value{kind: kindItems, item: items} }

// Any is the value as json.Marshal takes it: string, int64, json.Number or
// []Item (nil for the zero Value).
func (v Value) Any() any {
	switch v.kind {
	case kindString:
		return v.str
	case kindInt:
		return v.num
	case kindNumber:
		return json.Number(v.str)
	case kindDecimal:
		return DecimalText(v.num, int(v.exp))
	case kindItems:
		return v.item
	}
	return nil
}

// Param returns the value of the parameter name.
func (e *Event) Param(name string) (Value, bool) {
	for i := range e.Params {
		if e.Params[i].Name == name {
			return e.Params[i].Value, true
		}
	}
	return Value{}, false
}

// ParamMap is the parameters as a map of Any values (nil without any): the
// form json.Marshal encodes, and a readable one for tests.
func (e *Event) ParamMap() map[string]any {
	if len(e.Params) == 0 {
		return nil
	}
	m := make(map[string]any, len(e.Params))
	for _, p := range e.Params {
		m[p.Name] = p.Value.Any()
	}
	return m
}

// jsonEvent is the wire form of an Event for json.Marshal.
type jsonEvent struct {
	Name            string         `json:"name"`
	TimestampMicros int64          `json:"timestamp_micros,omitempty"`
	Params          map[string]any `json:"params,omitempty"`
}

// MarshalJSON writes the event as its wire form.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonEvent{Name: e.Name, TimestampMicros: e.TimestampMicros, Params: e.ParamMap()})
}

// ParamOutcome says what SetParam did with a parameter.
type ParamOutcome int

const (
	ParamSet ParamOutcome = iota
	ParamTruncated
	ParamReserved
	ParamInvalidName
	ParamTooMany
)

// SetParam adds a parameter within the limits: reserved and invalid names are
// refused, the 26th distinct parameter is refused, and string values are cut
// to MaxParamValueLen characters. Setting a name again replaces its value.
func (e *Event) SetParam(name string, value Value) ParamOutcome {
	if !ValidName(name) {
		return ParamInvalidName
	}
	if ReservedParamName(name) {
		return ParamReserved
	}
	at := -1
	for i := range e.Params {
		if e.Params[i].Name == name {
			at = i
			break
		}
	}
	if at < 0 && len(e.Params) >= MaxParamsPerEvent {
		return ParamTooMany
	}
	outcome := ParamSet
	if value.kind == kindString {
		var cut bool
		if value.str, cut = Truncate(value.str, MaxParamValueLen); cut {
			outcome = ParamTruncated
		}
	}
	if at < 0 {
		e.Params = append(e.Params, Param{Name: name, Value: value})
	} else {
		e.Params[at].Value = value
	}
	return outcome
}

// Header is the request-level part of a payload; all events of one request
// share it (one client_id per request).
type Header struct {
	ClientID string
	UserID   string
	Consent  Consent
}

// payload is the wire form; events are pre-encoded so that a request's size is
// known before it is assembled.
type payload struct {
	ClientID        string            `json:"client_id"`
	UserID          string            `json:"user_id,omitempty"`
	TimestampMicros int64             `json:"timestamp_micros,omitempty"`
	Consent         *Consent          `json:"consent,omitempty"`
	Events          []json.RawMessage `json:"events"`
}

// Request is one encoded Measurement Protocol body and the indexes (into the
// slice given to Pack) of the events it carries.
type Request struct {
	Body   []byte
	Events []int
}

// ErrEventTooLarge is reported for an event that cannot fit any request.
var ErrEventTooLarge = errors.New("event alone exceeds the request body limit")

// Encoded is one event already encoded as JSON, with its own time (which
// the request-level timestamp_micros is derived from).
type Encoded struct {
	JSON            json.RawMessage
	TimestampMicros int64
}

// Encode encodes one event for PackEncoded, as json.Marshal would; the
// common forms are written directly (appendEvent), a tenth of the cost.
func Encode(e *Event) (Encoded, error) {
	if b, ok := appendEvent(make([]byte, 0, 512), e); ok {
		return Encoded{JSON: b, TimestampMicros: e.TimestampMicros}, nil
	}
	return marshalEvent(e)
}

// marshalEvent encodes the rare forms appendEvent does not write
// (escapes, odd numbers) with json.Marshal.
func marshalEvent(e *Event) (Encoded, error) {
	b, err := json.Marshal(e)
	return Encoded{JSON: b, TimestampMicros: e.TimestampMicros}, err
}

// arenaChunk is the size of an Arena's buffers: a few dozen typical events.
const arenaChunk = 16 << 10

// Arena encodes the events of one batch into shared buffers instead of one
// allocation each. Every Encoded it returns is a capacity-limited slice of
// its own bytes, never written again; a buffer lives as long as any event
// encoded in it. The zero Arena is ready to use; it is not safe for
// concurrent use.
type Arena struct {
	buf []byte
	// largest is the largest event encoded so far: a buffer with less
	// room is left for a new one rather than outgrown.
	largest int
}

// Reserve makes the next buffer about n bytes (at most arenaChunk), so a
// small batch queued in memory does not hold a whole chunk.
func (a *Arena) Reserve(n int) {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, max(min(n, arenaChunk), 512))
	}
}

// Encode is Encode writing into the arena.
func (a *Arena) Encode(e *Event) (Encoded, error) {
	if cap(a.buf)-len(a.buf) < max(a.largest, 256) {
		a.buf = make([]byte, 0, max(arenaChunk, 2*a.largest))
	}
	start := len(a.buf)
	b, ok := appendEvent(a.buf, e)
	if !ok {
		// In json.Marshal's own buffer. What appendEvent wrote past
		// len(a.buf) is overwritten by the next event.
		return marshalEvent(e)
	}
	a.largest = max(a.largest, len(b)-start)
	if cap(b) != cap(a.buf) {
		// The event outgrew the buffer, and append copied the buffer's
		// earlier events along with it: keep only this event, in a new
		// buffer with room for more.
		ev := b[start:]
		a.buf = append(make([]byte, 0, max(arenaChunk, 2*len(ev))), ev...)
		start, b = 0, a.buf
	} else {
		a.buf = b
	}
	return Encoded{JSON: b[start:len(b):len(b)], TimestampMicros: e.TimestampMicros}, nil
}

// Pack encodes events for one header into requests of at most
// MaxEventsPerRequest events and under MaxBodyBytes each, keeping order.
// The request-level timestamp_micros is the earliest event time in it (each
// event also carries its own). Events that cannot fit alone are returned as
// tooLarge indexes.
func Pack(h Header, events []Event) (reqs []Request, tooLarge []int, err error) {
	encoded := make([]Encoded, len(events))
	for i := range events {
		if encoded[i], err = Encode(&events[i]); err != nil {
			return nil, nil, err
		}
	}
	return PackEncoded(h, encoded)
}

// PackEncoded is Pack for events encoded beforehand (by Encode).
func PackEncoded(h Header, encoded []Encoded) (reqs []Request, tooLarge []int, err error) {
	// A body is pre + timestamp + "," + tail + the events + "]}"; the
	// overhead counts a worst-case timestamp (16 digits + key) and the
	// empty events array, each further event adds its bytes and a comma.
	pre, tail, err := headerParts(h)
	if err != nil {
		return nil, nil, err
	}
	const maxTimestamp = len(`,"timestamp_micros":`) + len("1152921504606846976") // 1<<60
	overhead := len(pre) + maxTimestamp + 1 + len(tail) + len(`]}`)

	flush := func(idx []int) {
		if len(idx) == 0 {
			return
		}
		ts := encoded[idx[0]].TimestampMicros
		size := 0
		for _, i := range idx {
			size += len(encoded[i].JSON) + 1
			if t := encoded[i].TimestampMicros; t != 0 && t < ts {
				ts = t
			}
		}
		// The events, compact JSON from Encode, are spliced in as they
		// are: json.Marshal would re-scan every event to compact it again.
		body := make([]byte, 0, overhead+size)
		body = append(body, pre...)
		if ts != 0 {
			body = append(body, `,"timestamp_micros":`...)
			body = strconv.AppendInt(body, ts, 10)
		}
		body = append(body, ',')
		body = append(body, tail...)
		for n, i := range idx {
			if n > 0 {
				body = append(body, ',')
			}
			body = append(body, encoded[i].JSON...)
		}
		body = append(body, `]}`...)
		reqs = append(reqs, Request{Body: body, Events: idx})
	}

	var cur []int
	size := overhead
	for i, enc := range encoded {
		e := enc.JSON
		add := len(e)
		if len(cur) > 0 {
			add++ // comma
		}
		if overhead+len(e) >= MaxBodyBytes {
			tooLarge = append(tooLarge, i)
			continue
		}
		if len(cur) == MaxEventsPerRequest || size+add >= MaxBodyBytes {
			flush(cur)
			cur, size, add = nil, overhead, len(e)
		}
		if cur == nil {
			cur = make([]int, 0, min(MaxEventsPerRequest, len(encoded)-i))
		}
		cur = append(cur, i)
		size += add
	}
	flush(cur)
	return reqs, tooLarge, nil
}

// headerParts is the payload's JSON around its timestamp_micros, as
// json.Marshal writes it: pre is `{"client_id":…,"user_id":…`, tail is
// `"consent":{…},"events":[`. Strings without escapes are written
// directly, others by json.Marshal.
func headerParts(h Header) (pre, tail []byte, err error) {
	pre = append(make([]byte, 0, 64+len(h.ClientID)+len(h.UserID)), `{"client_id":`...)
	pre, ok := appendPlainString(pre, h.ClientID)
	if ok && h.UserID != "" {
		pre = append(pre, `,"user_id":`...)
		pre, ok = appendPlainString(pre, h.UserID)
	}
	tail = make([]byte, 0, 96)
	if ok && !h.Consent.IsZero() {
		tail = append(tail, `"consent":{`...)
		c := h.Consent
		if c.AdUserData != "" {
			tail = append(tail, `"ad_user_data":`...)
			tail, ok = appendPlainString(tail, c.AdUserData)
		}
		if ok && c.AdPersonalization != "" {
			if c.AdUserData != "" {
				tail = append(tail, ',')
			}
			tail = append(tail, `"ad_personalization":`...)
			tail, ok = appendPlainString(tail, c.AdPersonalization)
		}
		tail = append(tail, `},`...)
	}
	if ok {
		return pre, append(tail, `"events":[`...), nil
	}
	return headerPartsJSON(h)
}

func headerPartsJSON(h Header) (pre, tail []byte, err error) {
	ids, err := json.Marshal(struct {
		ClientID string `json:"client_id"`
		UserID   string `json:"user_id,omitempty"`
	}{h.ClientID, h.UserID})
	if err != nil {
		return nil, nil, err
	}
	rest := payload{Events: []json.RawMessage{}}
	if !h.Consent.IsZero() {
		c := h.Consent
		rest.Consent = &c
	}
	rb, err := json.Marshal(&rest) // {"client_id":"","consent":{…},"events":[]}
	if err != nil {
		return nil, nil, err
	}
	rb = rb[len(`{"client_id":"",`) : len(rb)-len(`]}`)]
	return ids[:len(ids)-1], rb, nil
}
