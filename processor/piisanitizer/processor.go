package piisanitizer // import "github.com/otelcol-payments/otelcol-payments/processor/piisanitizer"

import (
	"context"
	"fmt"
	"maps"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/detect"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/metadata"
)

// Key-based detectors, counted after the built-in value detectors.
const (
	detPseudonymizedKey = int(detect.NumKinds) + iota
	detCardSecurity
	detSensitiveKey
	numFixedDetectors
)

type keyClass uint8

const (
	keyNone keyClass = iota
	keyAllow
	keyPseudonymize
	keyCardSecurity
	keySensitive
	keySSN
	keyPhone
)

type signal uint8

const (
	signalTraces signal = iota
	signalMetrics
	signalLogs
	numSignals
)

var signalNames = [numSignals]string{"traces", "metrics", "logs"}

type keyRule struct {
	detector int
	action   detect.Action
	redacted string
}

type customRule struct {
	re       *regexp.Regexp
	detector int
	action   detect.Action
	redacted string
}

type sanitizer struct {
	scanner *detect.Scanner
	hasher  *detect.Hasher
	// allow holds the allow keys (exact).
	allow map[string]struct{}
	// names holds pseudonymize keys and key-rule names in canonical form
	// (detect.Name: Customer.Email = customerEmail = customer_email).
	names map[string]keyClass
	// lastWords holds the last word of every name: a key whose last word
	// is not here matches no rule.
	lastWords map[string]struct{}
	// classes memoizes classify: attribute keys repeat in every record.
	classes classCache
	rules   [keySSN + 1]keyRule
	custom  []customRule
	audit   string
	// maxValue is edge_limits.max_value_bytes: a value sanitizing made
	// longer is cut to it again, or the next tier would cut it.
	maxValue int
	// reportCut counts those cuts in edge_limited (nil: not counted).
	reportCut func(ctx context.Context, n int64)
	findings  metric.Int64Counter
	addOpts   [numSignals][][]metric.AddOption // per detector
	// fullPath turns off the shortcuts that give the same output faster
	// (the batch's memo of pseudonyms and results, its key classes), so
	// tests can compare both.
	fullPath bool
}

// devKeyWarned holds the configs whose development-key warning was logged.
var devKeyWarned sync.Map

func newSanitizer(cfg *Config, set processor.Settings) (*sanitizer, error) {
	s := &sanitizer{
		allow:     map[string]struct{}{},
		names:     map[string]keyClass{},
		lastWords: map[string]struct{}{},
		audit:     cfg.AuditAttribute,
		maxValue:  cfg.EdgeLimits.MaxValueBytes,
	}
	var actions [detect.NumKinds]detect.Action
	for k, a := range cfg.Detectors.byKind() {
		actions[k], _ = a.parse() // validated
	}
	if len(cfg.HashKey) > 0 {
		s.hasher = detect.NewHasher([]byte(cfg.HashKey))
		// One warning per configured processor, not one per pipeline it
		// sits in: the collector builds an instance per pipeline from the
		// same *Config.
		if _, warned := devKeyWarned.LoadOrStore(cfg, true); string(cfg.HashKey) == DevelopmentHashKey && !warned {
			set.Logger.Warn("piisanitizer is using the PUBLIC DEVELOPMENT hash key: pseudonyms of emails and customer ids " +
				"can be recomputed by anyone. Set PII_HASH_KEY to a secret of at least 32 bytes in production.")
		}
	}
	s.scanner = detect.NewScanner(actions, s.hasher)
	detectors := make([]string, numFixedDetectors, numFixedDetectors+len(cfg.CustomRules))
	for k := range detect.NumKinds {
		detectors[k] = k.String()
	}
	detectors[detPseudonymizedKey] = "pseudonymized_key"
	detectors[detCardSecurity] = "card_security"
	detectors[detSensitiveKey] = "sensitive_key"

	for _, k := range cfg.AllowKeys {
		s.allow[k] = struct{}{}
	}
	s.addNames(keyPseudonymize, cfg.PseudonymizeKeys)
	s.addKeyRule(keyCardSecurity, detCardSecurity, detectors[detCardSecurity], cfg.CardSecurityKeys)
	s.addKeyRule(keySensitive, detSensitiveKey, detectors[detSensitiveKey], cfg.SensitiveKeys)
	if actions[detect.KindSSN] != detect.ActionOff {
		s.addNames(keySSN, detect.SSNNames) // nine digits there are an SSN even without dashes
	}
	if actions[detect.KindPhone] != detect.ActionOff {
		s.addNames(keyPhone, detect.PhoneNames) // and ten digits a phone number
	}

	for _, r := range cfg.CustomRules {
		action, _ := r.Action.parse()
		name := "custom:" + r.Name
		s.custom = append(s.custom, customRule{
			re:       regexp.MustCompile(r.Pattern), // validated
			detector: len(detectors),
			action:   action,
			redacted: detect.Redacted(name),
		})
		detectors = append(detectors, name)
	}

	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	s.findings = tb.Findings
	for sig := range numSignals {
		s.addOpts[sig] = make([][]metric.AddOption, len(detectors))
		for d, name := range detectors {
			s.addOpts[sig][d] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
				attribute.String(metadata.AttributeDetector, name),
				attribute.String(metadata.AttributeSignal, signalNames[sig])))}
		}
	}
	return s, nil
}

func (s *sanitizer) addKeyRule(class keyClass, detector int, name string, cfg KeyRuleConfig) {
	action, _ := cfg.Action.parse()
	if action == detect.ActionOff {
		return
	}
	s.rules[class] = keyRule{detector: detector, action: action, redacted: detect.Redacted(name)}
	s.addNames(class, cfg.Names)
}

func (s *sanitizer) addNames(class keyClass, names []string) {
	var nm detect.Name
	for _, n := range names {
		nm.Set(n)
		if nm.Words() == 0 {
			continue
		}
		if _, ok := s.names[nm.String()]; !ok {
			s.names[nm.String()] = class
		}
		s.lastWords[string(nm.Suffix(nm.Words()-1))] = struct{}{}
	}
}

// Card-security names that mean card data after any word (cardCvv,
// x_cvc2); the others (expiry, pin, security_code) do only after a card
// word or a namespace dot, so token_expiry and sms_security_code are not a
// card's.
var (
	cardOnlyWords = map[string]struct{}{
		"cvv": {}, "cvv2": {}, "cvc": {}, "cvc2": {}, "track1": {}, "track2": {},
		"track_data": {}, "magstripe": {}, "pin_block": {}, "pinblock": {},
	}
	cardWords = map[string]struct{}{"card": {}, "cc": {}, "credit": {}, "creditcard": {}, "pan": {}, "payment": {}}
)

// classify finds the rule for an attribute key: an exact allow key, or a
// name matched in canonical form (detect.Name: any case, '.', '_', '-' and
// camel case alike) on the whole key or its last words (customer.email:
// Customer.Email, customerEmail, app.customer_email). Card-security names
// other than cardOnlyWords match a suffix only after a '.' or a card word.
// A key seen before costs one map lookup; a new one two lookups and no
// allocation, plus its entry in the cache.
func (s *sanitizer) classify(k string) keyClass {
	if c, ok := s.classes.get(k); ok {
		return c
	}
	c := s.classifyKey(k)
	if len(k) <= maxCachedKeyLen {
		s.classes.put(k, c)
	}
	return c
}

// maxCachedClasses bounds the classification cache: attribute names are a
// few hundred in practice; keys made of ids beyond it are classified every
// time instead of growing the cache.
const maxCachedClasses = 2048

// maxCachedKeyLen bounds the keys the cache keeps: it lives as long as the
// collector, and keys are not cut at the edge, so 2048 keys of a MiB
// would hold 2 GiB for good. Real keys are far shorter; a long one is
// classified every time, a pass over it like reading it.
const maxCachedKeyLen = 256

// classCache maps keys to their class. Readers take the current map without
// a lock; a new key replaces it with a copy (rare after the first batches).
type classCache struct {
	m  atomic.Pointer[map[string]keyClass]
	mu sync.Mutex
}

func (c *classCache) get(k string) (keyClass, bool) {
	m := c.m.Load()
	if m == nil {
		return keyNone, false
	}
	class, ok := (*m)[k]
	return class, ok
}

func (c *classCache) put(k string, class keyClass) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next map[string]keyClass
	if old := c.m.Load(); old != nil {
		if _, ok := (*old)[k]; ok || len(*old) >= maxCachedClasses {
			return
		}
		next = make(map[string]keyClass, len(*old)+1)
		maps.Copy(next, *old)
	} else {
		next = map[string]keyClass{}
	}
	// k may point into pdata or a caller's buffer.
	next[strings.Clone(k)] = class
	c.m.Store(&next)
}

func (s *sanitizer) classifyKey(k string) keyClass {
	if _, ok := s.allow[k]; ok {
		return keyAllow
	}
	if len(s.lastWords) == 0 {
		return keyNone
	}
	var last [32]byte
	if _, ok := s.lastWords[string(detect.AppendLastWord(last[:0], k, len(last)))]; !ok {
		return keyNone
	}
	var nm detect.Name
	nm.Set(k)
	words := nm.Words()
	cardWordSeen := false
	for w := 0; w < words; w++ {
		suffix := nm.Suffix(w)
		if detect.NotSecretName(suffix) {
			return keyNone
		}
		c, ok := s.names[string(suffix)]
		if ok && (w == 0 || c != keyCardSecurity || nm.Dotted(w) || cardWordSeen || isCardOnly(suffix)) {
			return c
		}
		cardWordSeen = cardWordSeen || isCardWord(nm.Word(w))
	}
	return keyNone
}

func isCardOnly(name []byte) bool { _, ok := cardOnlyWords[string(name)]; return ok }
func isCardWord(word []byte) bool { _, ok := cardWords[string(word)]; return ok }

// pass is the state of one batch.
type pass struct {
	s      *sanitizer
	counts detect.Counts
	// memo holds the batch's pseudonyms and results (counts.Memo points
	// to it).
	memo   detect.Memo
	extra  []int64 // key-rule and custom-rule findings, by detector - NumKinds
	attrFn func(string, pcommon.Value) bool
	// nestedAttrFn and renamed serve nestedMap; renamed is a stack shared
	// by nested maps.
	nestedAttrFn func(string, pcommon.Value) bool
	renamed      []renamedEntry
	// fragments tracks card fragments in the map being walked.
	fragments fragmentState
	// parent is the key of the value being walked ("" at the top level):
	// key rules see a nested map's keys under it.
	parent string
	// keys remembers the classes of the batch's keys (see classOf).
	keys [keyMemoSlots]keyMemoEntry
	// cut counts the values fit cut to max_value_bytes.
	cut int64
}

// keyMemoSlots sizes pass.keys: records of a batch repeat a few dozen keys.
const keyMemoSlots = 128

// keyMemoEntry is the class of key under parent, and for a nested map's
// key whether the scanner found the key itself clean. Its strings point
// into the batch, which outlives the pass.
type keyMemoEntry struct {
	key, parent string
	class       keyClass
	set         bool
	cleanKey    bool
}

// keyMemoSlot places key under parent in pass.keys by a few of its bytes:
// cheaper than the hash of the shared class cache, and a collision only
// sends a key there.
func keyMemoSlot(parent, k string) int {
	h := len(k)*7 + len(parent)*17
	if len(k) > 0 {
		h += int(k[0])*31 + int(k[len(k)/2])*61 + int(k[len(k)-1])*131
	}
	return h & (keyMemoSlots - 1)
}

// classOf classifies key k of the map being walked, under p.parent when
// k alone matches nothing. Records of a batch repeat their keys, so the
// batch's answers are kept in p.keys in front of the shared class cache.
func (p *pass) classOf(k string) keyClass {
	e := &p.keys[keyMemoSlot(p.parent, k)]
	if e.set && e.key == k && e.parent == p.parent {
		return e.class
	}
	class := p.s.classify(k)
	if class == keyNone && p.parent != "" {
		class = p.s.classifyUnder(p.parent, k)
	}
	if !p.s.fullPath {
		*e = keyMemoEntry{key: k, parent: p.parent, class: class, set: true}
	}
	return class
}

// fragmentState finds adjacent values that may be one card number split in
// two (card.first8 / card.last8, or pan_part1 / pan_part2).
type fragmentState struct {
	last, pair bool
}

func (f *fragmentState) note(v pcommon.Value) {
	frag := v.Type() == pcommon.ValueTypeStr && detect.CardFragment(v.Str())
	f.pair = f.pair || (f.last && frag)
	f.last = frag
}

func (s *sanitizer) newPass() *pass {
	p := &pass{s: s, extra: make([]int64, numFixedDetectors-int(detect.NumKinds)+len(s.custom))}
	p.attrFn = p.trackedAttr
	if !s.fullPath {
		p.counts.Memo = &p.memo
	}
	return p
}

func (p *pass) count(detector int) {
	p.extra[detector-int(detect.NumKinds)]++
}

func (p *pass) total() int64 {
	t := int64(p.counts.Total)
	for _, n := range p.extra {
		t += n
	}
	return t
}

// record adds the batch's findings to the findings counter.
// fit is fitSanitized at max_value_bytes, counting a cut.
func (p *pass) fit(out string) string {
	fitted := fitSanitized(out, p.s.maxValue)
	if len(fitted) < len(out) {
		p.cut++
	}
	return fitted
}

func (p *pass) record(ctx context.Context, sig signal) {
	if p.cut > 0 && p.s.reportCut != nil {
		p.s.reportCut(ctx, p.cut)
	}
	opts := p.s.addOpts[sig]
	for k, n := range p.counts.ByKind {
		if n > 0 {
			p.s.findings.Add(ctx, int64(n), opts[k]...)
		}
	}
	for i, n := range p.extra {
		if n > 0 {
			p.s.findings.Add(ctx, n, opts[int(detect.NumKinds)+i]...)
		}
	}
}

func (p *pass) attrs(m pcommon.Map) {
	if m.Len() == 0 {
		return
	}
	outer := p.fragments
	p.fragments = fragmentState{}
	m.RemoveIf(p.attrFn)
	if p.fragments.pair {
		p.splitCards(m)
	}
	p.fragments = outer
}

// trackedAttr is attr that also notes card fragments for splitCards.
func (p *pass) trackedAttr(k string, v pcommon.Value) bool {
	if p.attr(k, v) {
		p.fragments.last = false
		return true
	}
	p.fragments.note(v)
	return false
}

// splitCards sanitizes card numbers split over two adjacent string values
// of m (4–15 digits each, a valid card joined): an application that logs
// the first and last digits of a card separately still logs the card.
func (p *pass) splitCards(m pcommon.Map) {
	var prev pcommon.Value
	var prevKey string
	havePrev := false
	var drop []string
	m.Range(func(k string, v pcommon.Value) bool {
		frag := v.Type() == pcommon.ValueTypeStr && detect.CardFragment(v.Str())
		if frag && havePrev && detect.SplitPAN(prev.Str(), v.Str()) {
			a, b, remove := p.s.scanner.SanitizeSplitPAN(prev.Str(), v.Str(), &p.counts)
			prev.SetStr(a)
			v.SetStr(b)
			if remove {
				drop = append(drop, prevKey, k)
			}
			frag = false
		}
		prev, prevKey, havePrev = v, k, frag
		return true
	})
	for _, k := range drop {
		m.Remove(k)
	}
}

// attr sanitizes one attribute and reports whether to remove it.
func (p *pass) attr(k string, v pcommon.Value) bool {
	switch class := p.classOf(k); class {
	case keyAllow:
		return false
	case keyPseudonymize:
		p.pseudonymize(v)
		return false
	case keyCardSecurity, keySensitive:
		return p.keyRule(p.s.rules[class], v)
	case keySSN:
		return p.namedNumber(v, detect.KindSSN)
	case keyPhone:
		return p.namedNumber(v, detect.KindPhone)
	}
	outer := p.parent
	p.parent = k // maps inside v are keyed under k
	remove := p.value(v)
	p.parent = outer
	return remove
}

// classifyUnder classifies key k of a map held under parent, as
// parent.k: {"customer": {"id": "cus_1", "email": …}} holds customer.id
// and customer.email; {"card": {"number": …}} a card number. Allow keys
// are exact top-level names and do not apply.
func (s *sanitizer) classifyUnder(parent, k string) keyClass {
	var buf [128]byte
	if len(parent)+1+len(k) > len(buf) {
		return keyNone
	}
	n := copy(buf[:], parent)
	buf[n] = '.'
	n += 1 + copy(buf[n+1:], k)
	if c := s.classify(unsafe.String(&buf[0], n)); c != keyAllow {
		return c
	}
	return keyNone
}

// namedNumber sanitizes the value of an SSN or phone key (k): nine digits
// are an SSN there even without dashes (an int lost its leading zeros),
// and a national number a phone number. The elements of a list under the
// key are read the same way.
func (p *pass) namedNumber(v pcommon.Value, k detect.Kind) bool {
	var str string
	switch v.Type() {
	case pcommon.ValueTypeSlice:
		remove := false
		for _, e := range v.Slice().All() {
			remove = p.namedNumber(e, k) || remove
		}
		return remove
	case pcommon.ValueTypeStr:
		str = v.Str()
	case pcommon.ValueTypeInt:
		switch n := v.Int(); {
		case k == detect.KindSSN && n > 0 && n < 1e9:
			str = fmt.Sprintf("%09d", n)
		case k == detect.KindPhone && n > 0:
			str = strconv.FormatInt(n, 10)
		}
	}
	if out, ok, remove := p.s.scanner.NamedValue(k, str, &p.counts); ok {
		v.SetStr(out)
		return remove
	}
	return p.value(v)
}

func (p *pass) pseudonymize(v pcommon.Value) {
	if v.Type() == pcommon.ValueTypeEmpty {
		return
	}
	str := v.AsString()
	if str == "" || detect.IsPseudonym(str) {
		return
	}
	p.count(detPseudonymizedKey)
	v.SetStr(p.s.hasher.IdentifierMemo(str, p.counts.Memo))
}

func (p *pass) keyRule(r keyRule, v pcommon.Value) bool {
	if v.Type() == pcommon.ValueTypeEmpty || (v.Type() == pcommon.ValueTypeStr &&
		(v.Str() == "" || detect.IsSanitized(v.Str()) || detect.HarmlessValue(v.Str()))) {
		return false
	}
	p.count(r.detector)
	switch r.action {
	case detect.ActionRemove:
		return true
	case detect.ActionHash:
		v.SetStr(p.s.hasher.IdentifierMemo(v.AsString(), p.counts.Memo))
	default:
		v.SetStr(r.redacted)
	}
	return false
}

// value sanitizes a value with no key rule; nested maps get key rules. It
// reports whether a finding asks to remove the value's holder; the value is
// redacted in any case.
func (p *pass) value(v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		out, changed, remove := p.text(v.Str())
		if changed {
			v.SetStr(p.fit(out))
		}
		return remove
	case pcommon.ValueTypeInt:
		return p.number(v, v.Int())
	case pcommon.ValueTypeDouble:
		// Below 2^53 a double holds a card number exactly; above, its digits
		// are rounded but still mostly readable.
		f := v.Double()
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return p.number(v, int64(f))
		}
		if detect.PANDouble(f) {
			return p.roundedCard(v)
		}
	case pcommon.ValueTypeBytes:
		return p.bytes(v)
	case pcommon.ValueTypeMap:
		p.nestedMap(v.Map())
	case pcommon.ValueTypeSlice:
		sl := v.Slice()
		for i := 0; i < sl.Len(); i++ {
			if i > 0 && p.flagValue(sl.At(i-1), sl.At(i)) {
				continue
			}
			p.value(sl.At(i)) // positions matter: elements are redacted, not removed
		}
	}
	return false
}

// flagValue sanitizes arg when it follows a flag with a sensitive name in
// a list of command-line arguments (process.command_args).
func (p *pass) flagValue(flag, arg pcommon.Value) bool {
	if flag.Type() != pcommon.ValueTypeStr || arg.Type() != pcommon.ValueTypeStr {
		return false
	}
	out, ok := p.s.scanner.FlagValue(flag.Str(), arg.Str(), &p.counts)
	if ok {
		arg.SetStr(out)
	}
	return ok
}

// bytes sanitizes a bytes value that holds text (a serialized request, a
// message payload); binary data is left alone. The result stays bytes.
func (p *pass) bytes(v pcommon.Value) bool {
	raw := v.Bytes().AsRaw()
	if len(raw) == 0 || !detect.IsText(raw) {
		return false
	}
	out, changed, remove := p.text(unsafe.String(unsafe.SliceData(raw), len(raw)))
	if changed {
		v.SetEmptyBytes().FromRaw([]byte(p.fit(out)))
	}
	return remove
}

// number replaces a numeric value that is a card number (either sign: an
// exporter prints the digits all the same) by its sanitized string.
func (p *pass) number(v pcommon.Value, n int64) bool {
	abs := n
	if n < 0 && n != math.MinInt64 {
		abs = -n
	}
	if !detect.PANInt(abs) {
		return false
	}
	out, changed, remove := p.s.scanner.Sanitize(strconv.FormatInt(n, 10), &p.counts)
	if changed {
		v.SetStr(out)
	}
	return remove
}

// roundedCard redacts a double that may be a card number whose last digits
// were lost to rounding (nothing to mask or hash exactly).
func (p *pass) roundedCard(v pcommon.Value) bool {
	action := p.s.scanner.Action(detect.KindPAN)
	if action == detect.ActionOff {
		return false
	}
	p.counts.Add(detect.KindPAN, 1)
	v.SetStr(redactedPAN)
	return action == detect.ActionRemove
}

var redactedPAN = detect.Redacted(detect.KindPAN.String())

// nestedMap sanitizes a map inside a value (a log body, a map attribute),
// where keys are data as often as names: {"alice@example.com": 3} or
// {"203.0.113.7": "blocked"}. A key with a finding is replaced by its
// sanitized form; if that key already exists, the renamed entry wins.
// Top-level attribute keys are names chosen by developers and are not
// scanned, which keeps clean batches cheap.
func (p *pass) nestedMap(m pcommon.Map) {
	if m.Len() == 0 {
		return
	}
	if p.nestedAttrFn == nil {
		p.nestedAttrFn = p.nestedAttr // only batches with nested maps pay for it
	}
	first := len(p.renamed)
	outer := p.fragments
	p.fragments = fragmentState{}
	m.RemoveIf(p.nestedAttrFn)
	for _, r := range p.renamed[first:] {
		r.value.MoveTo(m.PutEmpty(r.key))
	}
	clear(p.renamed[first:])
	p.renamed = p.renamed[:first]
	if p.fragments.pair {
		p.splitCards(m)
	}
	p.fragments = outer
}

type renamedEntry struct {
	key   string
	value pcommon.Value
}

func (p *pass) nestedAttr(k string, v pcommon.Value) bool {
	e := &p.keys[keyMemoSlot(p.parent, k)]
	if e.cleanKey && e.key == k && e.parent == p.parent {
		return p.trackedAttr(k, v) // a key of the batch found clean before
	}
	out, changed, remove := p.s.scanner.Sanitize(k, &p.counts)
	if !changed {
		p.classOf(k)
		e.cleanKey = e.set && e.key == k && e.parent == p.parent
		return p.trackedAttr(k, v)
	}
	if !remove {
		moved := pcommon.NewValueEmpty()
		v.MoveTo(moved)
		if !p.attr(out, moved) {
			p.renamed = append(p.renamed, renamedEntry{key: out, value: moved})
		}
	}
	return true
}

// text sanitizes a string with the built-in detectors, then custom rules.
func (p *pass) text(s string) (out string, changed, remove bool) {
	out, changed, remove = p.s.scanner.Sanitize(s, &p.counts)
	for i := range p.s.custom {
		r := &p.s.custom[i]
		if !r.re.MatchString(out) {
			continue
		}
		found := false
		out = r.re.ReplaceAllStringFunc(out, func(m string) string {
			if detect.IsSanitized(m) {
				return m
			}
			found = true
			p.count(r.detector)
			if r.action == detect.ActionHash {
				return p.s.hasher.IdentifierMemo(m, p.counts.Memo)
			}
			return r.redacted
		})
		if found {
			changed = true
			remove = remove || r.action == detect.ActionRemove
		}
	}
	return out, changed, remove
}

// field sanitizes a string field that cannot be removed (span and event
// names, status messages): a removal finding is redacted.
func (p *pass) field(s string) (string, bool) {
	if s == "" {
		return s, false
	}
	out, changed, _ := p.text(s)
	if changed {
		out = p.fit(out) // as a value: a next tier with the same limit leaves it
	}
	return out, changed
}

// auditFrom adds the audit attribute with the findings since before.
func (p *pass) auditFrom(before int64, attrs pcommon.Map) {
	if p.s.audit == "" {
		return
	}
	if n := p.total() - before; n > 0 {
		attrs.PutInt(p.s.audit, n)
	}
}

func (s *sanitizer) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	p := s.newPass()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		p.attrs(rs.Resource().Attributes())
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			p.scope(ss.Scope())
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				p.span(spans.At(k))
			}
		}
	}
	p.record(ctx, signalTraces)
	return td, nil
}

// scope sanitizes an instrumentation scope: its name and version are
// free text an application chooses (a logger named after a user).
func (p *pass) scope(sc pcommon.InstrumentationScope) {
	if out, ok := p.field(sc.Name()); ok {
		sc.SetName(out)
	}
	if out, ok := p.field(sc.Version()); ok {
		sc.SetVersion(out)
	}
	p.attrs(sc.Attributes())
}

// traceState sanitizes a W3C tracestate, where vendors put user ids and
// sessions (list members are key=value, so sensitive names apply).
func (p *pass) traceState(ts pcommon.TraceState) {
	if out, ok := p.field(ts.AsRaw()); ok {
		ts.FromRaw(out)
	}
}

func (p *pass) span(span ptrace.Span) {
	before := p.total()
	if out, ok := p.field(span.Name()); ok {
		span.SetName(out)
	}
	p.traceState(span.TraceState())
	p.attrs(span.Attributes())
	status := span.Status()
	if out, ok := p.field(status.Message()); ok {
		status.SetMessage(out)
	}
	events := span.Events()
	for e := 0; e < events.Len(); e++ {
		ev := events.At(e)
		if out, ok := p.field(ev.Name()); ok {
			ev.SetName(out)
		}
		p.attrs(ev.Attributes())
	}
	links := span.Links()
	for l := 0; l < links.Len(); l++ {
		p.traceState(links.At(l).TraceState())
		p.attrs(links.At(l).Attributes())
	}
	p.auditFrom(before, span.Attributes())
}

func (s *sanitizer) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	p := s.newPass()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		p.attrs(rl.Resource().Attributes())
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			p.scope(sl.Scope())
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				before := p.total()
				p.value(lr.Body())
				p.attrs(lr.Attributes())
				if out, ok := p.field(lr.EventName()); ok {
					lr.SetEventName(out)
				}
				p.auditFrom(before, lr.Attributes())
			}
		}
	}
	p.record(ctx, signalLogs)
	return ld, nil
}

func (s *sanitizer) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	p := s.newPass()
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		p.attrs(rm.Resource().Attributes())
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			p.scope(sm.Scope())
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				p.metric(ms.At(k))
			}
		}
	}
	p.record(ctx, signalMetrics)
	return md, nil
}

func (p *pass) metric(m pmetric.Metric) {
	// Names and descriptions are free text too: an instrument named per
	// customer ("checkout.alice@example.com.count") or a description built
	// from a request.
	if out, ok := p.field(m.Name()); ok {
		m.SetName(out)
	}
	if out, ok := p.field(m.Description()); ok {
		m.SetDescription(out)
	}
	// Metadata is exported in OTLP next to the data points.
	p.attrs(m.Metadata())
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		p.numberPoints(m.Gauge().DataPoints())
	case pmetric.MetricTypeSum:
		p.numberPoints(m.Sum().DataPoints())
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			p.attrs(dps.At(i).Attributes())
			p.exemplars(dps.At(i).Exemplars())
		}
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			p.attrs(dps.At(i).Attributes())
			p.exemplars(dps.At(i).Exemplars())
		}
	case pmetric.MetricTypeSummary:
		dps := m.Summary().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			p.attrs(dps.At(i).Attributes())
		}
	}
}

func (p *pass) numberPoints(dps pmetric.NumberDataPointSlice) {
	for i := 0; i < dps.Len(); i++ {
		p.attrs(dps.At(i).Attributes())
		p.exemplars(dps.At(i).Exemplars())
	}
}

func (p *pass) exemplars(es pmetric.ExemplarSlice) {
	for i := 0; i < es.Len(); i++ {
		p.attrs(es.At(i).FilteredAttributes())
	}
}
