// Package sentryjson encodes the Sentry events the exporter builds without
// reflection, byte for byte as sentry-go v0.50's Event.MarshalJSON and
// json.Marshal of the item header write them.
//
// It writes every field of the error and transaction events the exporter
// fills (and the plain fields around them); an event holding anything else
// (breadcrumbs, threads, request, debug meta, check-ins, another event
// type, a value json.Marshal rejects) is left to the SDK whole, so nothing
// is ever dropped or written differently. Events that went through the
// SDK's MakeSerializationSafe (only its own asynchronous transport does
// that) are not expected.
package sentryjson // import "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/sentryjson"

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/getsentry/sentry-go"
)

const transactionType = "transaction"

var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// EncodeItem returns the envelope item of ev: its item header line and its
// payload line, each ending in '\n'.
func EncodeItem(ev *sentry.Event) ([]byte, error) {
	bp := scratch.Get().(*[]byte)
	defer scratch.Put(bp)
	payload, ok := AppendEvent((*bp)[:0], ev)
	*bp = payload[:0]
	itemType := "event"
	if ev.Type == transactionType {
		itemType = transactionType
	}
	if !ok {
		return sdkItem(ev)
	}
	var head [48]byte
	h := append(head[:0], `{"type":"`...)
	h = append(h, itemType...)
	h = append(h, `","length":`...)
	h = strconv.AppendInt(h, int64(len(payload)), 10)
	h = append(h, '}')
	b := make([]byte, 0, len(h)+len(payload)+2)
	b = append(b, h...)
	b = append(b, '\n')
	b = append(b, payload...)
	return append(b, '\n'), nil
}

// sdkItem is the SDK's own encoding, for events AppendEvent does not write.
func sdkItem(ev *sentry.Event) ([]byte, error) {
	item, err := ev.ToEnvelopeItem()
	if err != nil {
		return nil, err
	}
	head, err := json.Marshal(item.Header)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(head)+len(item.Payload)+2)
	b = append(b, head...)
	b = append(b, '\n')
	b = append(b, item.Payload...)
	return append(b, '\n'), nil
}

// AppendEvent appends ev's JSON as Event.MarshalJSON writes it. ok is false
// when ev holds a field or value it does not write; b is then garbage.
func AppendEvent(b []byte, ev *sentry.Event) (_ []byte, ok bool) {
	isTx := ev.Type == transactionType
	if ev.Type != "" && !isTx || len(ev.Breadcrumbs) > 0 || len(ev.Threads) > 0 || ev.Request != nil ||
		ev.DebugMeta != nil || ev.CheckIn != nil || ev.MonitorConfig != nil {
		return b, false
	}
	b = append(b, '{')
	w := fields{start: len(b)}
	if len(ev.Contexts) > 0 {
		b = w.key(b, "contexts")
		if b, ok = appendContexts(b, ev.Contexts); !ok {
			return b, false
		}
	}
	b = w.str(b, "dist", ev.Dist)
	b = w.str(b, "environment", ev.Environment)
	b = w.str(b, "event_id", string(ev.EventID))
	if len(ev.Fingerprint) > 0 {
		b = appendStrings(w.key(b, "fingerprint"), ev.Fingerprint)
	}
	b = w.str(b, "level", string(ev.Level))
	b = w.str(b, "message", ev.Message)
	b = w.str(b, "platform", ev.Platform)
	b = w.str(b, "release", ev.Release)
	b = appendSdk(w.key(b, "sdk"), &ev.Sdk)
	b = w.str(b, "server_name", ev.ServerName)
	if len(ev.Tags) > 0 {
		b = appendStringMap(w.key(b, "tags"), ev.Tags)
	}
	if !ev.Timestamp.IsZero() {
		if b, ok = appendTime(w.key(b, "timestamp"), ev.Timestamp); !ok {
			return b, false
		}
	}
	b = w.str(b, "transaction", ev.Transaction)
	b = appendUser(w.key(b, "user"), &ev.User)
	b = w.str(b, "logger", ev.Logger)
	if len(ev.Modules) > 0 {
		b = appendStringMap(w.key(b, "modules"), ev.Modules)
	}
	if len(ev.Exception) > 0 {
		if b, ok = appendArray(w.key(b, "exception"), ev.Exception, appendException); !ok {
			return b, false
		}
	}
	if isTx {
		b = w.str(b, "type", ev.Type)
		if !ev.StartTime.IsZero() {
			if b, ok = appendTime(w.key(b, "start_timestamp"), ev.StartTime); !ok {
				return b, false
			}
		}
		if len(ev.Spans) > 0 {
			if b, ok = appendArray(w.key(b, "spans"), ev.Spans, appendSpan); !ok {
				return b, false
			}
		}
		if ev.TransactionInfo != nil {
			b = append(w.key(b, "transaction_info"), '{')
			if ev.TransactionInfo.Source != "" {
				b = AppendString(append(b, `"source":`...), string(ev.TransactionInfo.Source))
			}
			b = append(b, '}')
		}
	}
	return append(b, '}'), true
}

// fields writes the commas between an object's members.
type fields struct{ start int }

func (w fields) key(b []byte, k string) []byte {
	if len(b) > w.start {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

// str writes an omitempty string member.
func (w fields) str(b []byte, k, v string) []byte {
	if v == "" {
		return b
	}
	return AppendString(w.key(b, k), v)
}

func appendSdk(b []byte, s *sentry.SdkInfo) []byte {
	b = append(b, '{')
	w := fields{start: len(b)}
	b = w.str(b, "name", s.Name)
	b = w.str(b, "version", s.Version)
	if len(s.Integrations) > 0 {
		b = appendStrings(w.key(b, "integrations"), s.Integrations)
	}
	if len(s.Packages) > 0 {
		b = append(w.key(b, "packages"), '[')
		for i, p := range s.Packages {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			pw := fields{start: len(b)}
			b = pw.str(b, "name", p.Name)
			b = pw.str(b, "version", p.Version)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendUser(b []byte, u *sentry.User) []byte {
	b = append(b, '{')
	w := fields{start: len(b)}
	b = w.str(b, "id", u.ID)
	b = w.str(b, "email", u.Email)
	b = w.str(b, "ip_address", u.IPAddress)
	b = w.str(b, "username", u.Username)
	b = w.str(b, "name", u.Name)
	if len(u.Data) > 0 {
		b = appendStringMap(w.key(b, "data"), u.Data)
	}
	return append(b, '}')
}

func appendException(b []byte, e *sentry.Exception) (_ []byte, ok bool) {
	b = append(b, '{')
	w := fields{start: len(b)}
	b = w.str(b, "type", e.Type)
	b = w.str(b, "value", e.Value)
	b = w.str(b, "module", e.Module)
	if e.ThreadID != 0 {
		b = strconv.AppendUint(w.key(b, "thread_id"), e.ThreadID, 10)
	}
	if st := e.Stacktrace; st != nil {
		b = append(w.key(b, "stacktrace"), '{')
		sw := fields{start: len(b)}
		if len(st.Frames) > 0 {
			if b, ok = appendArray(sw.key(b, "frames"), st.Frames, appendFrame); !ok {
				return b, false
			}
		}
		if len(st.FramesOmitted) > 0 {
			b = append(sw.key(b, "frames_omitted"), '[')
			for i, n := range st.FramesOmitted {
				if i > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendUint(b, uint64(n), 10)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	if m := e.Mechanism; m != nil {
		b = append(w.key(b, "mechanism"), `{"type":`...)
		b = AppendString(b, m.Type)
		mw := fields{start: len(b) - 1} // never first: type is always written
		b = mw.str(b, "description", m.Description)
		b = mw.str(b, "help_link", m.HelpLink)
		b = mw.str(b, "source", m.Source)
		if m.Handled != nil {
			b = strconv.AppendBool(mw.key(b, "handled"), *m.Handled)
		}
		if m.ParentID != nil {
			b = strconv.AppendInt(mw.key(b, "parent_id"), int64(*m.ParentID), 10)
		}
		b = strconv.AppendInt(mw.key(b, "exception_id"), int64(m.ExceptionID), 10)
		if m.IsExceptionGroup {
			b = append(mw.key(b, "is_exception_group"), "true"...)
		}
		if len(m.Data) > 0 {
			if b, ok = appendMap(mw.key(b, "data"), m.Data); !ok {
				return b, false
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), true
}

func appendFrame(b []byte, f *sentry.Frame) (_ []byte, ok bool) {
	b = append(b, '{')
	w := fields{start: len(b)}
	b = w.str(b, "function", f.Function)
	b = w.str(b, "symbol", f.Symbol)
	b = w.str(b, "module", f.Module)
	b = w.str(b, "filename", f.Filename)
	b = w.str(b, "abs_path", f.AbsPath)
	if f.Lineno != 0 {
		b = strconv.AppendInt(w.key(b, "lineno"), int64(f.Lineno), 10)
	}
	if f.Colno != 0 {
		b = strconv.AppendInt(w.key(b, "colno"), int64(f.Colno), 10)
	}
	if len(f.PreContext) > 0 {
		b = appendStrings(w.key(b, "pre_context"), f.PreContext)
	}
	b = w.str(b, "context_line", f.ContextLine)
	if len(f.PostContext) > 0 {
		b = appendStrings(w.key(b, "post_context"), f.PostContext)
	}
	b = strconv.AppendBool(w.key(b, "in_app"), f.InApp)
	if len(f.Vars) > 0 {
		if b, ok = appendMap(w.key(b, "vars"), f.Vars); !ok {
			return b, false
		}
	}
	b = w.str(b, "package", f.Package)
	b = w.str(b, "instruction_addr", f.InstructionAddr)
	b = w.str(b, "addr_mode", f.AddrMode)
	b = w.str(b, "symbol_addr", f.SymbolAddr)
	b = w.str(b, "image_addr", f.ImageAddr)
	b = w.str(b, "platform", f.Platform)
	if f.StackStart {
		b = append(w.key(b, "stack_start"), "true"...)
	}
	return append(b, '}'), true
}

func appendSpan(b []byte, sp **sentry.Span) (_ []byte, ok bool) {
	s := *sp
	if s == nil {
		return append(b, "null"...), true
	}
	b = append(b, `{"trace_id":"`...)
	b = hex.AppendEncode(b, s.TraceID[:])
	b = append(b, `","span_id":"`...)
	b = hex.AppendEncode(b, s.SpanID[:])
	b = append(b, '"')
	w := fields{start: len(b) - 1}
	if s.ParentSpanID != (sentry.SpanID{}) {
		b = append(w.key(b, "parent_span_id"), '"')
		b = hex.AppendEncode(b, s.ParentSpanID[:])
		b = append(b, '"')
	}
	b = w.str(b, "name", s.Name)
	b = w.str(b, "op", s.Op)
	b = w.str(b, "description", s.Description)
	if s.Status != 0 {
		b = w.key(b, "status")
		if st := s.Status.String(); st != "" {
			b = AppendString(b, st)
		} else {
			b = append(b, "null"...)
		}
	}
	if len(s.Tags) > 0 {
		b = appendStringMap(w.key(b, "tags"), s.Tags)
	}
	if !s.StartTime.IsZero() {
		if b, ok = appendTime(w.key(b, "start_timestamp"), s.StartTime); !ok {
			return b, false
		}
	}
	if !s.EndTime.IsZero() {
		if b, ok = appendTime(w.key(b, "timestamp"), s.EndTime); !ok {
			return b, false
		}
	}
	if len(s.Data) > 0 {
		if b, ok = appendMap(w.key(b, "data"), s.Data); !ok {
			return b, false
		}
	}
	b = w.str(b, "origin", string(s.Origin))
	return append(b, '}'), true
}

// appendTime writes t as time.Time.MarshalJSON does; ok is false where that
// fails (a year outside 0–9999, an offset with seconds).
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	b = append(b, '"')
	out, err := t.AppendText(b)
	if err != nil {
		return b, false
	}
	return append(out, '"'), true
}

// appendArray writes the elements of s (not nil) in a JSON array.
func appendArray[T any](b []byte, s []T, elem func([]byte, *T) ([]byte, bool)) (_ []byte, ok bool) {
	b = append(b, '[')
	for i := range s {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = elem(b, &s[i]); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

// appendObject writes m with its keys sorted, as json.Marshal writes maps.
func appendObject[V any](b []byte, m map[string]V, value func([]byte, V) ([]byte, bool)) (_ []byte, ok bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	var arr [16]string
	keys := sortedKeys(arr[:0], m)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(AppendString(b, k), ':')
		if b, ok = value(b, m[k]); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

func appendContexts(b []byte, m map[string]sentry.Context) ([]byte, bool) {
	return appendObject(b, m, appendMap)
}

func appendMap(b []byte, m map[string]any) ([]byte, bool) {
	return appendObject(b, m, appendValue)
}

func appendStringMap(b []byte, m map[string]string) []byte {
	b, _ = appendObject(b, m, appendStringValue)
	return b
}

func appendStringValue(b []byte, s string) ([]byte, bool) { return AppendString(b, s), true }

func sortedKeys[V any](keys []string, m map[string]V) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func appendStrings(b []byte, s []string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, v)
	}
	return append(b, ']')
}

// appendValue writes a context or data value; types it does not know are
// written by json.Marshal, which writes a value alone as it does inside a
// struct. ok is false where json.Marshal fails (NaN, a channel, …).
func appendValue(b []byte, v any) (_ []byte, ok bool) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return AppendString(b, v), true
	case bool:
		return strconv.AppendBool(b, v), true
	case int:
		return strconv.AppendInt(b, int64(v), 10), true
	case int64:
		return strconv.AppendInt(b, v, 10), true
	case int32:
		return strconv.AppendInt(b, int64(v), 10), true
	case uint64:
		return strconv.AppendUint(b, v, 10), true
	case float64:
		return appendFloat(b, v, 64)
	case float32:
		return appendFloat(b, float64(v), 32)
	case map[string]any:
		return appendMap(b, v)
	case map[string]string:
		return appendStringMap(b, v), true
	case []string:
		return appendStrings(b, v), true
	case []any:
		if v == nil {
			return append(b, "null"...), true
		}
		return appendArray(b, v, func(b []byte, e *any) ([]byte, bool) { return appendValue(b, *e) })
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b, false
	}
	return append(b, out...), true
}

// appendFloat writes f as encoding/json does (ES6 number formatting).
func appendFloat(b []byte, f float64, bits int) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// e-09 → e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

const hexDigits = "0123456789abcdef"

// AppendString quotes s as encoding/json does with HTML escaping (its
// default): <, > and & as \u003c…, invalid UTF-8 as \ufffd, U+2028 and
// U+2029 escaped.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
