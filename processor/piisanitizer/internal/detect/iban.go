package detect

import "strings"

const (
	minIBAN = 15
	maxIBAN = 34
)

// ibanAt matches an IBAN: two capital letters, two check digits, then capital
// letters and digits, written as one run or in groups of four separated by
// single spaces; 15–34 characters with a valid ISO 7064 mod-97 check.
func ibanAt(s string, i int) (int, bool) {
	return ibanCaseAt(s, i, isUpper)
}

// ibanLowerAt matches an IBAN written in lower case ("de89370400440532013000",
// as some forms and databases store it). Lower-case words are everyday
// text, so besides mod-97 the country code must be an IBAN country and the
// length that country's.
func ibanLowerAt(s string, i int) (int, bool) {
	if i+2 > len(s) {
		return 0, false
	}
	want, ok := ibanLengths[s[i:i+2]]
	if !ok {
		return 0, false
	}
	end, ok := ibanCaseAt(s, i, isLower)
	if !ok {
		return 0, false
	}
	return end, ibanChars(s[i:end]) == want
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

// ibanLengths are the IBAN lengths per country (SWIFT IBAN registry).
var ibanLengths = func() map[string]int {
	m := map[string]int{}
	for _, f := range strings.Fields(`ad24 ae23 al28 at20 az28 ba20 be16 bg22 bh22 bi27 br29 by28 ch21 cr22 cy28 cz24
		de22 dj27 dk18 do28 ee20 eg29 es24 fi18 fk18 fo18 fr27 gb22 ge22 gi23 gl18 gr27 gt28 hr21 hu28 ie22 il23
		iq23 is26 it27 jo30 kw30 kz20 lb28 lc32 li21 lt20 lu20 lv21 ly25 mc27 md24 me22 mk19 mn20 mr27 mt31 mu30
		ni28 nl18 no15 om23 pk24 pl28 ps29 pt25 qa29 ro24 rs22 ru33 sa24 sc31 sd18 se24 si19 sk24 sm27 so23 st25
		sv28 tl23 tn24 tr26 ua29 va22 vg24 xk20 ye30`) {
		m[f[:2]] = int(f[2]-'0')*10 + int(f[3]-'0')
	}
	return m
}()

func ibanCaseAt(s string, i int, isLetter func(byte) bool) (int, bool) {
	if i+4 > len(s) || !isLetter(s[i]) || !isLetter(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
		return 0, false
	}
	var chars [maxIBAN]byte
	n := 0
	var groupEnds [maxIBAN / 4]int
	var groupChars [maxIBAN / 4]int
	groups, groupLen := 0, 0
	j := i
	overflow := false
	for ; j < len(s); j++ {
		c := s[j]
		if isLetter(c) || isDigit(c) {
			if n == maxIBAN {
				overflow = true // too long as a whole; whole groups may still be one
				break
			}
			chars[n] = upper(c)
			n++
			groupLen++
			continue
		}
		if sep := ibanSepLen(s, j); sep > 0 && groupLen == 4 && j+sep < len(s) && (isLetter(s[j+sep]) || isDigit(s[j+sep])) && groups < len(groupEnds) {
			groupEnds[groups], groupChars[groups] = j, n
			groups++
			groupLen = 0
			j += sep - 1
			continue
		}
		break
	}
	// A '*' glued on is a neighbour a first pass masked: the run went on.
	// A last group glued to ":hex" or "::" starts an IPv6 address
	// ("… 0A00 AA::1"), which a second pass would find once the mask had
	// taken its first group: only whole groups before it count.
	glued := j < len(s) && (s[j] == '*' || (groups > 0 && s[j] == ':' && j+1 < len(s) && (isHex(s[j+1]) || s[j+1] == ':')))
	if !overflow && n >= minIBAN && !wordAt(s, j) && !glued && mod97(chars[:n]) {
		return j, true
	}
	// Grouped IBAN followed by another word in capitals: try whole groups.
	for g := groups - 1; g >= 0; g-- {
		if c := groupChars[g]; c >= minIBAN && mod97(chars[:c]) {
			return groupEnds[g], true
		}
	}
	return 0, false
}

// mod97 computes the IBAN check: the first four characters moved to the end,
// letters as 10–35, the number mod 97 must be 1.
func mod97(iban []byte) bool {
	r := 0
	add := func(c byte) {
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	for _, c := range iban[4:] {
		add(c)
	}
	for _, c := range iban[:4] {
		add(c)
	}
	return r == 1
}

// ibanSepLen is the length of the separator between two IBAN groups at
// s[j]: a space, written as such or URL-encoded ("DE89+3704", "DE89%203704").
func ibanSepLen(s string, j int) int {
	if s[j] == ' ' {
		return 1
	}
	return encodedSpaceLen(s, j)
}

// ibanChars counts the letters and digits of a matched IBAN v.
func ibanChars(v string) int {
	n := 0
	for i := 0; i < len(v); i++ {
		if e := escapeLen(v, i); e > 0 {
			i += e - 1
		} else if isAlnum(v[i]) {
			n++
		}
	}
	return n
}

// appendMaskIBAN keeps the country code and the last four characters.
func appendMaskIBAN(b []byte, v string) []byte {
	alnum := ibanChars(v)
	seen := 0
	for i := 0; i < len(v); i++ {
		if e := escapeLen(v, i); e > 0 {
			b = append(b, v[i:i+e]...)
			i += e - 1
			continue
		}
		c := v[i]
		if isAlnum(c) {
			if seen >= 2 && seen < alnum-4 {
				c = '*'
			}
			seen++
		}
		b = append(b, c)
	}
	return b
}
