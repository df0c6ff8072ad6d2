package mp

import (
	"encoding/json"
	"errors"
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

// Event is one Measurement Protocol event. Params values are string,
// int64, json.Number or []Item.
type Event struct {
	Name string `json:"name"`
	// TimestampMicros is the event's own time; it overrides the request's.
	TimestampMicros int64          `json:"timestamp_micros,omitempty"`
	Params          map[string]any `json:"params,omitempty"`
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
// to MaxParamValueLen characters.
func (e *Event) SetParam(name string, value any) ParamOutcome {
	if !ValidName(name) {
		return ParamInvalidName
	}
	if ReservedParamName(name) {
		return ParamReserved
	}
	if e.Params == nil {
		e.Params = make(map[string]any, 8)
	}
	if _, exists := e.Params[name]; !exists && len(e.Params) >= MaxParamsPerEvent {
		return ParamTooMany
	}
	outcome := ParamSet
	if s, ok := value.(string); ok {
		var cut bool
		if value, cut = Truncate(s, MaxParamValueLen); cut {
			outcome = ParamTruncated
		}
	}
	e.Params[name] = value
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
	b, err := json.Marshal(e)
	return Encoded{JSON: b, TimestampMicros: e.TimestampMicros}, err
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
	// Overhead of the header with an empty events array plus a worst-case
	// timestamp (16 digits + key); each further event adds its bytes and a comma.
	p := payload{ClientID: h.ClientID, UserID: h.UserID, TimestampMicros: 1 << 60}
	if !h.Consent.IsZero() {
		c := h.Consent
		p.Consent = &c
	}
	p.Events = []json.RawMessage{}
	base, err := json.Marshal(&p)
	if err != nil {
		return nil, nil, err
	}
	overhead := len(base)

	flush := func(idx []int) error {
		if len(idx) == 0 {
			return nil
		}
		p.Events = p.Events[:0]
		p.TimestampMicros = encoded[idx[0]].TimestampMicros
		size := 0
		for _, i := range idx {
			size += len(encoded[i].JSON) + 1
			if ts := encoded[i].TimestampMicros; ts != 0 && ts < p.TimestampMicros {
				p.TimestampMicros = ts
			}
		}
		// The header is encoded with an empty events array (the last
		// field) and the events, compact JSON from Encode, are spliced in:
		// json.Marshal would re-scan every event to compact it again.
		head, err := json.Marshal(&p)
		if err != nil {
			return err
		}
		head = head[:len(head)-len(`]}`)]
		body := make([]byte, 0, len(head)+size+2)
		body = append(body, head...)
		for n, i := range idx {
			if n > 0 {
				body = append(body, ',')
			}
			body = append(body, encoded[i].JSON...)
		}
		body = append(body, `]}`...)
		reqs = append(reqs, Request{Body: body, Events: idx})
		return nil
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
			if err := flush(cur); err != nil {
				return nil, nil, err
			}
			cur, size, add = nil, overhead, len(e)
		}
		cur = append(cur, i)
		size += add
	}
	if err := flush(cur); err != nil {
		return nil, nil, err
	}
	return reqs, tooLarge, nil
}
