package detect

import "testing"

// FuzzSanitize checks that the scanner never panics, that sanitizing is
// idempotent, that its output holds nothing it would detect again and that
// the clean cache and the batch memo give the full scan's result.
// Seeds live in testdata/fuzz/FuzzSanitize.
func FuzzSanitize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	sc, _ := newTestScanner(nil)
	full := sc.WithoutCache()
	var memo Memo // shared, as a batch's: earlier inputs' results are in it
	f.Fuzz(func(t *testing.T, in string) {
		var c Counts
		out, changed, remove := full.Sanitize(in, &c)
		for range 2 { // the second call may hit the cache or the memo
			fast := Counts{Memo: &memo}
			fOut, fChanged, fRemove := sc.Sanitize(in, &fast)
			fast.Memo = nil
			if fOut != out || fChanged != changed || fRemove != remove || fast != c {
				t.Fatalf("fast path differs:\n in   %q\n fast %q %v\n full %q %v", in, fOut, fast.ByKind, out, c.ByKind)
			}
		}
		if !changed && (out != in || c.Total != 0) {
			t.Fatalf("unchanged result differs from input or counts findings: %q → %q", in, out)
		}
		if selfNormalized(in) && string(appendIdentifier(nil, in)) != in {
			t.Fatalf("selfNormalized(%q), but it normalizes to %q", in, appendIdentifier(nil, in))
		}
		var c2 Counts
		again, _, _ := sc.Sanitize(out, &c2)
		if again != out || c2.Total != 0 {
			t.Fatalf("not idempotent:\n in    %q\n once  %q\n twice %q\n findings %v", in, out, again, c2.ByKind)
		}
	})
}

// fuzzSeeds are FuzzSanitize's seeds besides testdata/fuzz/FuzzSanitize.
var fuzzSeeds = []string{
	"card 4111 1111 1111 1111 from 203.0.113.7 by alice@example.com",
	"GET /cb?token=abc123&email=bob%40example.org",
	"peer [2001:db8::1]:443 Authorization: Bearer abcdef1234567890",
	`{\"password\":\"x\",\"iban\":\"DE89 3704 0044 0532 0130 00\"}`,
	"-----BEGIN PRIVATE KEY-----\nabc",
	"müller@bücher.de 联系alice@example.com的 DB_PASSWORD : x accessToken=y",
	"4111.1111.1111.1111 cc: 4111  1111-1111 1111 6000 - 6040.6000 6000.0000-0007 1,4111111111111111",
	`{"to":"john.doe\u002Bshop\u0040example.com"} a&#64;b.example %2540x.io "j d"@example.com u@[203.0.113.5] x＠y.jp`,
	"4111\t1111_1111/1111 de89370400440532013000 ssn=078051120 cvv = '123' pan=411111******1111 password=null",
	`[["X-Api-Key","k"]] map[Cookie:[a=1]] pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8H https://hooks.slack.com/services/T0/B0/XXXXXXXXXXXXXXXX`,
	"NDExMTExMTExMTExMTExMQ== am9obi5kb2VAZXhhbXBsZS5jb20 Y2FyZD00MTExMTExMTExMTExMTExJmN2dj0xMjM=",
	"q=4111+1111+1111+1111&to=%2B44%2020%207946%200958&iban=DE89%203704%200044%200532%200130%2000&r=%3D4111111111111111",
	`<ns2:Password xsi:type="s">x</ns2:Password><CVV>123</CVV><SSN>078051120</SSN> phone=4155552671`,
	"next=%2Fcb%3Ftoken%3Dabc%26x%3D1 q=%7B%22password%22%3A%22h%22%7D h=Authorization%3A%20Bearer%20abcdef0123456789",
	"node s.js --db-password S3cret --port 8080 -apikey 'a b' --password [REDACTED:sensitive_param] - x",
	"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 sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e sk_0b9b5db6-fabc-49d0-b68f-92645dc4f508 call 0044 20 7946 0958, 0039 06 6982 3456 0049-3090-1820",
}
