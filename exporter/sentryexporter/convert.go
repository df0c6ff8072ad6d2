package sentryexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"

import (
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/collector/pdata/pcommon"
	semconv120 "go.opentelemetry.io/otel/semconv/v1.20.0"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/stack"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Size bounds of what one event carries. Sentry trims beyond its own limits
// anyway; trimming here keeps request size and memory bounded.
const (
	maxTagValue    = 200
	maxMessage     = 8 << 10
	maxRawStack    = 16 << 10
	maxContextText = 1 << 10
	// maxFrameField bounds each text field of a parsed stack frame: with
	// stack.MaxFrames frames an event stays far below Sentry's 1 MiB.
	maxFrameField = 256
)

// tagKeys are the attributes copied to Sentry tags (searchable, low
// cardinality). Identifiers such as order.id go to the payment context.
var tagKeys = []string{
	contract.PaymentMethod,
	contract.PaymentProvider,
	contract.PaymentErrorType,
	contract.PaymentStatus,
	contract.ErrorType,
	contract.HTTPRoute,
	contract.HTTPRequestMethod,
	contract.HTTPResponseStatus,
}

// legacyKeys are the older semantic conventions' names of attributes read
// here by their current names. OpenTelemetry JS's http instrumentation and
// its database instrumentations still send only these unless the
// application opts in to the stable ones (OTEL_SEMCONV_STABILITY_OPT_IN),
// and deployments configured before semconv 1.27 set
// deployment.environment. The current name wins when both are present,
// and a tag keeps it.
var legacyKeys = map[string]string{
	contract.HTTPRequestMethod:  string(semconv120.HTTPMethodKey),
	contract.HTTPResponseStatus: string(semconv120.HTTPStatusCodeKey),
	contract.DBSystemName:       string(semconv120.DBSystemKey),
	contract.DeploymentEnv:      string(semconv120.DeploymentEnvironmentKey),
}

// getAttr is get falling back to the key's legacy name.
func getAttr(maps []pcommon.Map, key string) (pcommon.Value, bool) {
	if v, ok := get(maps, key); ok {
		return v, true
	}
	if old, ok := legacyKeys[key]; ok {
		return get(maps, old)
	}
	return pcommon.Value{}, false
}

// attrOf is getAttr on one map.
func attrOf(m pcommon.Map, key string) (pcommon.Value, bool) {
	if v, ok := m.Get(key); ok {
		return v, true
	}
	if old, ok := legacyKeys[key]; ok {
		return m.Get(old)
	}
	return pcommon.Value{}, false
}

// strOf is attrOf as a string, "" when missing.
func strOf(m pcommon.Map, key string) string {
	if v, ok := attrOf(m, key); ok {
		return v.AsString()
	}
	return ""
}

// origin carries the event fields the SDK's prepareEvent fills with the
// collector's own values (platform "go", the collector's host and release);
// BeforeSend puts the telemetry's values back.
type origin struct {
	release     string
	environment string
	platform    string
	serverName  string
}

// source locates the record an event was built from, so a failed delivery
// retries only the records whose events were not delivered.
type source struct {
	resource, scope, record int
}

type builtEvent struct {
	event  *sentry.Event
	origin origin
	src    source
	dedup  dedupInfo
}

// resourceInfo is what every event of a resource shares.
type resourceInfo struct {
	attrs       pcommon.Map
	service     string
	environment string
	release     string
	serverName  string
	language    stack.Language
	platform    string
}

// exceptionInfo is one exception, from exception.* attributes or derived.
type exceptionInfo struct {
	typ, value, stacktrace string
}

// record is the telemetry item an event is built from.
type record struct {
	kind      string // "span", "span_event", "log": part of the event id
	attrs     []pcommon.Map
	operation string
	scope     string
	level     sentry.Level
	timestamp pcommon.Timestamp
	traceID   pcommon.TraceID
	spanID    pcommon.SpanID
	parentID  pcommon.SpanID
	spanKind  string
	spanOK    *bool
	message   string
	exception *exceptionInfo
	index     int
	// incident is the security.incident.type of a security.incident event
	// (span event or log record); it makes the event an incident message.
	incident string
}

type converter struct {
	environment string
	fingerprint []string
}

func (c *converter) resource(res pcommon.Resource) resourceInfo {
	attrs := res.Attributes()
	ri := resourceInfo{
		attrs:       attrs,
		service:     getStr(attrs, contract.ServiceName),
		environment: sentryName(strOf(attrs, contract.DeploymentEnv), maxEnvironment, restrictedEnvironment),
		release:     sentryName(getStr(attrs, contract.ServiceVersion), maxRelease, restrictedRelease),
		serverName:  truncate(getStr(attrs, string(semconv.HostNameKey)), maxTagValue),
	}
	if c.environment != "" {
		ri.environment = c.environment
	}
	sdkLang := getStr(attrs, string(semconv.TelemetrySDKLanguageKey))
	ri.language = stack.LanguageFromSDK(sdkLang)
	ri.platform = platformFromSDK(sdkLang)
	return ri
}

// platformFromSDK maps telemetry.sdk.language to a Sentry platform.
func platformFromSDK(lang string) string {
	switch lang {
	case "go", "python", "java", "ruby", "php", "javascript":
		return lang
	case "nodejs":
		return "node"
	case "webjs":
		return "javascript"
	case "dotnet":
		return "csharp"
	case "cpp", "rust", "swift":
		return "native"
	}
	return ""
}

// build turns a record into a Sentry error event.
func (c *converter) build(ri *resourceInfo, r *record, src source) builtEvent {
	ev := &sentry.Event{
		Level:       r.level,
		Environment: ri.environment,
		Release:     ri.release,
		Transaction: truncate(r.operation, maxTagValue),
		Logger:      truncate(r.scope, maxTagValue),
		Tags:        make(map[string]string, len(tagKeys)+1),
		Contexts:    make(map[string]sentry.Context, 3),
	}
	if r.timestamp != 0 {
		ev.Timestamp = r.timestamp.AsTime().UTC()
	}
	lookup := make([]pcommon.Map, 0, len(r.attrs)+1)
	lookup = append(append(lookup, r.attrs...), ri.attrs)
	if ri.service != "" {
		setTag(ev.Tags, contract.ServiceName, ri.service)
	}
	for _, k := range tagKeys {
		if v, ok := getAttr(lookup, k); ok {
			if s := v.AsString(); s != "" {
				setTag(ev.Tags, k, s)
			}
		}
	}
	if id := getStrAny(r.attrs, contract.CustomerID); id != "" {
		// Only the pseudonymous id (piisanitizer hashes customer.id upstream);
		// email and client address are never attached.
		ev.User = sentry.User{ID: truncate(id, maxTagValue)}
	}
	if pc := paymentContext(lookup); pc != nil {
		ev.Contexts["payment"] = pc
	}
	if !r.traceID.IsEmpty() {
		ev.Contexts["trace"] = traceContext(r)
	}

	platform := ri.platform
	if r.incident != "" {
		c.incidentEvent(ev, r, lookup)
	} else if r.exception != nil {
		exc := sentry.Exception{
			Type:      truncate(r.exception.typ, maxContextText),
			Value:     truncate(r.exception.value, maxMessage),
			Mechanism: &sentry.Mechanism{Type: "opentelemetry"},
		}
		if r.exception.stacktrace != "" {
			if tr, ok := stack.Parse(r.exception.stacktrace, ri.language); ok {
				exc.Stacktrace = &sentry.Stacktrace{Frames: boundFrames(tr.Frames)}
				if exc.Type == "" {
					exc.Type = truncate(tr.Type, maxContextText)
				}
				if exc.Value == "" {
					exc.Value = truncate(tr.Value, maxMessage)
				}
				if platform == "" {
					platform = string(tr.Language)
				}
			} else {
				ev.Contexts["raw_stacktrace"] = sentry.Context{"text": truncate(r.exception.stacktrace, maxRawStack)}
			}
		}
		if exc.Type == "" {
			exc.Type = truncate(firstNonEmpty(getStrAny(lookup, contract.ErrorType), getStrAny(lookup, contract.PaymentErrorType), "Error"), maxContextText)
		}
		if exc.Value == "" {
			exc.Value = truncate(r.message, maxMessage)
		}
		r.exception.typ = exc.Type
		ev.Exception = []sentry.Exception{exc}
	} else {
		ev.Message = truncate(r.message, maxMessage)
	}
	if platform == "" {
		platform = "other"
	}
	if r.incident == "" {
		ev.Fingerprint = c.fingerprintFor(r, lookup)
	}
	d := dedupFor(r)
	ev.EventID = eventID(r, d.key)
	return builtEvent{
		event:  ev,
		origin: origin{release: ri.release, environment: ri.environment, platform: platform, serverName: ri.serverName},
		src:    src,
		dedup:  d,
	}
}

// dedupFor keys a record by its failure. An exception or an incident in a
// trace is keyed by trace, span and its identity (type and message, or
// incident type), which the span event and the log record of it share; a
// span whose only sign of failure is its status is the trace's failure.
func dedupFor(r *record) dedupInfo {
	d := dedupInfo{traceID: r.traceID, form: r.kind + "|" + strconv.Itoa(r.index)}
	if r.traceID.IsEmpty() {
		return d
	}
	id := string(r.traceID[:]) + string(r.spanID[:])
	switch {
	case r.incident != "":
		d.key = "incident|" + id + "|" + boundedKeyPart(r.incident)
	case r.kind == "span":
		d.statusOnly = true
	case r.exception != nil:
		d.key = "exception|" + id + "|" + boundedKeyPart(r.exception.typ) + "|" + fnvHex(r.exception.value)
	}
	return d
}

// maxKeyPart bounds the part of a failure key taken from telemetry as is,
// so a book entry stays small (maxBookEntries) whatever an application puts
// in exception.type or security.incident.type.
const maxKeyPart = 64

// boundedKeyPart is s when short (the key, and with it the event id, as
// before), else a hash of it.
func boundedKeyPart(s string) string {
	if len(s) <= maxKeyPart {
		return s
	}
	return "#" + fnvHex(s)
}

func fnvHex(s string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return strconv.FormatUint(h.Sum64(), 16)
}

// incidentEvent makes a security.incident a message event that is the same
// whichever form it came in: message, level and fingerprint come from its
// attributes, never from a log body a span event does not have.
func (c *converter) incidentEvent(ev *sentry.Event, r *record, lookup []pcommon.Map) {
	severity := getStrAny(lookup, contract.SecuritySeverity)
	ev.Level = incidentLevel(severity)
	ev.Transaction = contract.EventSecurity
	ev.Message = "Security incident: " + truncate(r.incident, maxTagValue)
	if severity != "" {
		ev.Message += " (" + truncate(severity, maxTagValue) + ")"
	}
	setTag(ev.Tags, contract.SecurityIncidentType, r.incident)
	if severity != "" {
		setTag(ev.Tags, contract.SecuritySeverity, severity)
	}
	sc := sentry.Context{"type": truncate(r.incident, maxContextText)}
	if severity != "" {
		sc["severity"] = truncate(severity, maxContextText)
	}
	if v, ok := get(lookup, contract.PaymentAttempt); ok {
		sc["attempts"] = truncate(v.AsString(), maxContextText)
	}
	ev.Contexts["security"] = sc
	ev.Fingerprint = []string{truncate(getStrAny(lookup, contract.ServiceName), maxTagValue), contract.EventSecurity, truncate(r.incident, maxTagValue)}
}

func incidentLevel(severity string) sentry.Level {
	switch severity {
	case contract.SeverityCritical:
		return sentry.LevelFatal
	case contract.SeverityWarning:
		return sentry.LevelWarning
	case contract.SeverityInfo:
		return sentry.LevelInfo
	}
	return sentry.LevelError
}

func (c *converter) fingerprintFor(r *record, lookup []pcommon.Map) []string {
	fp := make([]string, 0, len(c.fingerprint))
	for _, key := range c.fingerprint {
		switch key {
		case FingerprintDefault:
			fp = append(fp, key)
		case FingerprintOperation:
			// Left out for an exception: its log record cannot know the span
			// name, and both forms must group alike.
			if r.exception == nil || r.kind == "span" {
				fp = append(fp, truncate(r.operation, maxTagValue))
			}
		case contract.ExceptionType:
			var typ string
			if r.exception != nil {
				typ = r.exception.typ
			}
			fp = append(fp, typ)
		default:
			fp = append(fp, truncate(getStrAny(lookup, key), maxTagValue))
		}
	}
	return fp
}

// paymentContext is the seed's trackPaymentError fields: order, amount,
// currency, method, provider, error type. Nil when the record has none.
func paymentContext(lookup []pcommon.Map) sentry.Context {
	pc := sentry.Context{}
	for _, f := range paymentFields {
		if s := getStrAny(lookup, f.attr); s != "" {
			pc[f.field] = truncate(s, maxContextText)
		}
	}
	for _, m := range lookup {
		if _, ok := m.Get(contract.PaymentCurrency); !ok {
			continue
		}
		money, err := contract.AmountFrom(m)
		switch {
		case err == nil:
			pc["amount"] = contract.FormatMinor(money.Minor, money.Currency)
			pc["amount_minor"] = money.Minor
			pc["currency"] = money.Currency
		default:
			// The reasons are short stable codes, never the raw value.
			pc["amount_error"] = err.Error()
		}
		break
	}
	if len(pc) == 0 {
		return nil
	}
	return pc
}

var paymentFields = []struct{ field, attr string }{
	{"order_id", contract.OrderID},
	{"method", contract.PaymentMethod},
	{"provider", contract.PaymentProvider},
	{"error_type", contract.PaymentErrorType},
	{"status", contract.PaymentStatus},
	{"payment_id", contract.PaymentID},
}

func traceContext(r *record) sentry.Context {
	tc := sentry.Context{
		"trace_id": hex.EncodeToString(r.traceID[:]),
	}
	if !r.spanID.IsEmpty() {
		tc["span_id"] = hex.EncodeToString(r.spanID[:])
	}
	if !r.parentID.IsEmpty() {
		tc["parent_span_id"] = hex.EncodeToString(r.parentID[:])
	}
	if r.spanKind != "" {
		tc["op"] = r.spanKind
	}
	if r.spanOK != nil {
		if *r.spanOK {
			tc["status"] = "ok"
		} else {
			tc["status"] = "internal_error"
		}
	}
	return tc
}

// eventID is derived from the record, so a batch retried after a partial
// failure (or redelivered from a persistent queue) reuses the ids and Sentry
// drops the duplicates. A keyed failure's id comes from its key alone, so
// its forms share it (and another collector's copy of the other form is
// dropped by Sentry too).
func eventID(r *record, key string) sentry.EventID {
	h := fnv.New128a()
	if key != "" {
		_, _ = h.Write([]byte(key))
		return sentry.EventID(hex.EncodeToString(h.Sum(nil)))
	}
	_, _ = h.Write([]byte(r.kind))
	_, _ = h.Write(r.traceID[:])
	_, _ = h.Write(r.spanID[:])
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(r.timestamp))
	binary.BigEndian.PutUint64(b[8:], uint64(r.index))
	_, _ = h.Write(b[:])
	_, _ = h.Write([]byte(r.message))
	if r.exception != nil {
		_, _ = h.Write([]byte(r.exception.typ))
		_, _ = h.Write([]byte(r.exception.value))
	}
	return sentry.EventID(hex.EncodeToString(h.Sum(nil)))
}

func exceptionFrom(m pcommon.Map) *exceptionInfo {
	ex := exceptionInfo{
		typ:        getStr(m, contract.ExceptionType),
		value:      getStr(m, contract.ExceptionMessage),
		stacktrace: getStr(m, contract.ExceptionStacktrace),
	}
	if ex == (exceptionInfo{}) {
		return nil
	}
	return &ex
}

func get(maps []pcommon.Map, key string) (pcommon.Value, bool) {
	for _, m := range maps {
		if v, ok := m.Get(key); ok {
			return v, true
		}
	}
	return pcommon.Value{}, false
}

func getStrAny(maps []pcommon.Map, key string) string {
	if v, ok := get(maps, key); ok {
		return v.AsString()
	}
	return ""
}

func getStr(m pcommon.Map, key string) string {
	if v, ok := m.Get(key); ok {
		return v.AsString()
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// boundFrames cuts the text fields of parsed frames, which come from
// stack text lines of any length.
func boundFrames(frames []sentry.Frame) []sentry.Frame {
	for i := range frames {
		f := &frames[i]
		for _, s := range []*string{&f.Function, &f.Module, &f.Filename, &f.AbsPath, &f.ContextLine} {
			*s = truncate(*s, maxFrameField)
		}
	}
	return frames
}

// Sentry's rules for release and environment names (sentry-release-parser's
// validate_release and validate_environment, applied by Relay): a name that
// breaks them is removed from the event, which then belongs to no release
// or environment.
const (
	maxRelease            = 200
	maxEnvironment        = 64
	restrictedRelease     = "latest"
	restrictedEnvironment = "none"
)

// sentryName makes s a release or environment name Sentry keeps: the
// characters it refuses ('/', line breaks, tab, form feed) become '-',
// surrounding space goes and it is cut to max bytes. ".", ".." and the
// restricted word (any case) give "": no name rather than one Sentry drops.
func sentryName(s string, max int, restricted string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "/\r\n\t\f") {
		s = strings.Map(func(r rune) rune {
			switch r {
			case '/', '\r', '\n', '\t', '\f':
				return '-'
			}
			return r
		}, s)
	}
	s = strings.TrimSpace(truncate(s, max)) // a cut can end on a space
	if s == "." || s == ".." || strings.EqualFold(s, restricted) {
		return ""
	}
	return s
}

// setTag sets tag k to v as Sentry keeps a tag value: on one line (it
// drops a value with a newline, keeping the event) and at most maxTagValue
// bytes; nothing when that leaves it empty.
func setTag(tags map[string]string, k, v string) {
	if strings.ContainsAny(v, "\r\n") {
		v = strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
	}
	if v = truncate(v, maxTagValue); v != "" {
		tags[k] = v
	}
}

// truncate cuts s to at most n bytes on a rune boundary. Invalid UTF-8 is
// replaced by U+FFFD first: the encoder writes each invalid byte as a
// six-byte \ufffd escape, so a cut by bytes alone let such a field grow
// sixfold on the wire, and a stack of them past Sentry's 1 MiB.
func truncate(s string, n int) string {
	if len(s) > n+utf8.UTFMax {
		// Only what can be kept is looked at: a rune starting before n
		// ends within n+UTFMax bytes.
		s = s[:n+utf8.UTFMax]
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return contract.CutUTF8(s, n)
}

func levelFromSeverity(n int32) sentry.Level {
	switch {
	case n >= 21:
		return sentry.LevelFatal
	case n >= 17 || n == 0:
		return sentry.LevelError
	case n >= 13:
		return sentry.LevelWarning
	case n >= 9:
		return sentry.LevelInfo
	}
	return sentry.LevelDebug
}

func nonZeroTime(ts ...pcommon.Timestamp) pcommon.Timestamp {
	for _, t := range ts {
		if t != 0 {
			return t
		}
	}
	return 0
}
