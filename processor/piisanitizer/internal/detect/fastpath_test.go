package detect

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fastPathInputs are the kept fuzz inputs (seeds and testdata corpus), the
// clean texts and realistic payment telemetry, each also as the scanner
// sanitizes it (sanitized text is clean, and full of near misses:
// pseudonyms, masks, placeholders).
func fastPathInputs(t *testing.T) []string {
	t.Helper()
	in := append(append([]string(nil), fuzzSeeds...), cleanTexts...)
	in = append(in,
		"SELECT id, name, price, stock FROM products WHERE id = $1",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"/checkout/sessions/{id}/payment_method", "orders-db.internal", "cs_live_X9kx8maNmqeCbYxyVVsL7Cbx",
		"novak_lucas1967@example.net", "Novak_Lucas1967@Example.NET", "novak_lucas1967%40example.net",
		"yukinguyen61@mail.example.com viewed Sunglasses", "2001:db8:d681:38e6::b00b", "192.0.2.41",
		`[{"item_category":"climbing","item_id":"SKU-1027","item_name":"Carabiner Set","price":5400,"quantity":1}]`,
		"order ord_u4l2SdlqVNzBQaWo paid: 1461.92 GBP by e.kowalski+shop@example.org (192.0.2.124)",
	)
	files, err := filepath.Glob("testdata/fuzz/FuzzSanitize/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("fuzz corpus: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if q, ok := strings.CutPrefix(line, "string("); ok {
				s, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				in = append(in, s)
			}
		}
	}
	ref, _ := newTestScanner(nil)
	ref.clean = nil
	for _, s := range in[:len(in):len(in)] {
		var c Counts
		if out, changed, _ := ref.Sanitize(s, &c); changed {
			in = append(in, out)
		}
	}
	return in
}

// TestFastPathsMatchFullScan checks that the clean cache and the batch's
// memo (pseudonyms, results of strings with findings) give what a plain
// scan gives, output, removal and counts,
// under every action, on first sight and when cached or memoized.
func TestFastPathsMatchFullScan(t *testing.T) {
	inputs := fastPathInputs(t)
	cleanHits, memoHits := 0, 0
	// The defaults; each action on every other detector (the others keep
	// their defaults); everything off.
	configs := map[string]func(*[NumKinds]Action){"default": nil}
	for _, action := range []Action{ActionHash, ActionMask, ActionRedact, ActionRemove} {
		configs[action.String()] = func(a *[NumKinds]Action) {
			for k := int(action) % 2; k < len(a); k += 2 {
				a[k] = action
			}
		}
	}
	configs["off"] = func(a *[NumKinds]Action) { *a = [NumKinds]Action{} }
	for name, mod := range configs {
		ref, _ := newTestScanner(mod)
		ref.clean = nil
		fast, _ := newTestScanner(mod)
		var memo Memo
		for round := 0; round < 3; round++ {
			for _, s := range inputs {
				var want, got Counts
				wantOut, wantChanged, wantRemove := ref.Sanitize(s, &want)
				got.Memo = &memo
				if _, ok := fast.clean.has(s); ok && cacheable(s) {
					cleanHits++
				}
				if _, ok := memo.result(s); ok {
					memoHits++
				}
				out, changed, remove := fast.Sanitize(s, &got)
				got.Memo = nil
				if out != wantOut || changed != wantChanged || remove != wantRemove || got != want {
					t.Fatalf("%s round %d: %q\n fast %q %v %v %v\n full %q %v %v %v", name, round, s,
						out, changed, remove, got.ByKind, wantOut, wantChanged, wantRemove, want.ByKind)
				}
			}
		}
	}
	if memoHits < 100 {
		t.Fatalf("only %d memoized results: the test does not exercise the memo", memoHits)
	}
	if cleanHits < 100 || len(inputs) < 100 {
		t.Fatalf("only %d cache hits over %d inputs: the test does not exercise the cache", cleanHits, len(inputs))
	}
}

func TestCleanCacheAdmitsRepeatedCleanStringsOnly(t *testing.T) {
	sc, h := newTestScanner(nil)
	const clean = "SELECT id, name FROM products WHERE id = $1"
	const dirty = "receipt sent to alice@example.com"
	var c Counts
	for i := 0; i < 3; i++ {
		if _, ok := sc.clean.has(clean); ok != (i == 2) {
			t.Fatalf("sighting %d: cached = %v; want a clean string admitted on its second sighting", i+1, ok)
		}
		sc.Sanitize(clean, &c)
		if out, _, _ := sc.Sanitize(dirty, &c); out != "receipt sent to "+h.Identifier("alice@example.com") {
			t.Fatalf("dirty: %q", out)
		}
		if _, ok := sc.clean.has(dirty); ok {
			t.Fatal("a string with a finding was cached")
		}
	}
	if c.Total != 3 {
		t.Fatalf("findings %d, want 3 (one per dirty scan)", c.Total)
	}
	short := "POST /a?b=1" // below minCleanLen
	sc.Sanitize(short, &c)
	sc.Sanitize(short, &c)
	if _, ok := sc.clean.has(short); ok {
		t.Fatal("a short string was cached")
	}
	if n := testing.AllocsPerRun(100, func() { sc.Sanitize(clean, &c) }); n != 0 {
		t.Fatalf("cache hit allocates %v", n)
	}
}

func TestMemoReusesPseudonyms(t *testing.T) {
	h := NewHasher(testKey)
	var memo Memo
	a := h.IdentifierMemo(" Alice@Example.com", &memo)
	b := h.IdentifierMemo("alice%40example.com", &memo)
	if a != h.Identifier("alice@example.com") || b != a {
		t.Fatalf("memoized %q %q, want %q", a, b, h.Identifier("alice@example.com"))
	}
	if len(memo.m) != 1 {
		t.Fatalf("memo holds %d values, want the one normalized address", len(memo.m))
	}
	if n := testing.AllocsPerRun(100, func() { h.IdentifierMemo("alice@example.com", &memo) }); n != 0 {
		t.Fatalf("memoized pseudonym allocates %v", n)
	}
	for i := 0; len(memo.m) < maxMemo; i++ {
		h.IdentifierMemo(strconv.Itoa(i), &memo)
	}
	if got := h.IdentifierMemo("cus_beyond_the_bound", &memo); got != h.Identifier("cus_beyond_the_bound") || len(memo.m) != maxMemo {
		t.Fatalf("beyond the bound: %q, %d values", got, len(memo.m))
	}
}

// TestSelfNormalizedIdentifiers checks IdentifierMemo's shortcut: a value
// selfNormalized accepts is what normalizing it gives, so hashing it as it
// is gives the pseudonym of the full path.
func TestSelfNormalizedIdentifiers(t *testing.T) {
	inputs := append(fastPathInputs(t),
		"alice@example.com", "Alice@Example.com", "alice%40example.com", "ALICE", "cus_CFOaVKlBLv4OHX",
		`john.doe\u002Bshop@example.com`, "x＠y.jp", "a&#64;b.example", "o.jensen+shop@example.net", "É@b.fr")
	h := NewHasher(testKey)
	shortcuts := 0
	for _, v := range inputs {
		norm := string(appendIdentifier(nil, v))
		if selfNormalized(v) {
			shortcuts++
			if norm != v {
				t.Fatalf("selfNormalized(%q), but it normalizes to %q", v, norm)
			}
		}
		if got, want := h.IdentifierMemo(v, nil), string(h.AppendPseudonym(nil, []byte(strings.TrimSpace(norm)))); strings.TrimSpace(v) == v && got != want {
			t.Fatalf("IdentifierMemo(%q) = %q, want %q", v, got, want)
		}
	}
	if shortcuts < 50 || shortcuts == len(inputs) {
		t.Fatalf("%d of %d inputs took the shortcut: the test does not exercise both paths", shortcuts, len(inputs))
	}
	for _, v := range []string{"Alice@Example.com", "alice%40example.com", `a\u002Bb@example.com`, "x＠y.jp"} {
		if selfNormalized(v) {
			t.Errorf("selfNormalized(%q): it needs normalizing", v)
		}
	}
}

// TestCleanCacheConcurrentUse shares one scanner between goroutines, as the
// processor does across pipelines' consumers: every result must still be
// the full scan's (run with -race to check the cache's accesses).
func TestCleanCacheConcurrentUse(t *testing.T) {
	inputs := fastPathInputs(t)
	ref, _ := newTestScanner(nil)
	ref.clean = nil
	want := make([]string, len(inputs))
	for i, s := range inputs {
		want[i], _, _ = ref.Sanitize(s, &Counts{})
	}
	sc, _ := newTestScanner(nil)
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func() {
			var memo Memo
			for round := 0; round < 5; round++ {
				for i, s := range inputs {
					if got, _, _ := sc.Sanitize(s, &Counts{Memo: &memo}); got != want[i] {
						errs <- s
						return
					}
				}
			}
			errs <- ""
		}()
	}
	for g := 0; g < 4; g++ {
		if s := <-errs; s != "" {
			t.Errorf("concurrent use changed the result of %q", s)
		}
	}
}

// TestByteClassShortcuts checks the first-byte checks in front of
// atSignLen, escapeBefore and appendNormalized against the functions
// without them: every byte followed by every escape's tail, and every
// position of the fast-path inputs.
func TestByteClassShortcuts(t *testing.T) {
	escapeBeforeFull := func(s string, lo, end int) (int, bool) {
		for _, k := range [...]int{3, 5, 6} {
			if end-k < lo {
				break
			}
			if c, m := decodeEscape(s[end-k : end]); m == k {
				return k, isEscapedLocalPart(c)
			}
		}
		return 0, false
	}
	normalizeFull := func(v string) string {
		var dst []byte
		for i := 0; i < len(v); i++ {
			if n := atSignLenSlow(v[i:]); n > 0 {
				dst = append(dst, '@')
				i += n - 1
				continue
			}
			if v[i] == '\\' && i+1 < len(v) && (v[i+1] == '\\' || v[i+1] == '"') {
				continue
			}
			if c, n := decodeEscape(v[i:]); n > 0 && isEscapedLocalPart(c) {
				dst = append(dst, lower(c))
				i += n - 1
				continue
			}
			dst = append(dst, lower(v[i]))
		}
		return string(dst)
	}
	inputs := fastPathInputs(t)
	for c := 0; c < 256; c++ {
		for _, tail := range []string{"", "40", "2540", "u0040", "U0040", "#64;", "#x40;", "\xBC\xA0", "2B", "3D"} {
			s := string([]byte{byte(c)}) + tail
			if got, want := atSignLen(s), atSignLenSlow(s); got != want {
				t.Fatalf("atSignLen(%q) = %d, want %d", s, got, want)
			}
			inputs = append(inputs, "a"+s+"b@example.com")
		}
	}
	for _, s := range inputs {
		for end := 0; end <= len(s); end++ {
			for _, lo := range []int{0, end / 2} {
				n, local := escapeBefore(s, lo, end)
				wn, wlocal := escapeBeforeFull(s, lo, end)
				if n != wn || local != wlocal {
					t.Fatalf("escapeBefore(%q, %d, %d) = %d %v, want %d %v", s, lo, end, n, local, wn, wlocal)
				}
			}
		}
		if got, want := string(appendNormalized(nil, KindEmail, s)), normalizeFull(s); got != want {
			t.Fatalf("appendNormalized(%q) = %q, want %q", s, got, want)
		}
	}
}
