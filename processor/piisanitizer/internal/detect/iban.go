package detect

const (
	minIBAN = 15
	maxIBAN = 34
)

// ibanAt matches an IBAN: two capital letters, two check digits, then capital
// letters and digits, written as one run or in groups of four separated by
// single spaces; 15–34 characters with a valid ISO 7064 mod-97 check.
func ibanAt(s string, i int) (int, bool) {
	if i+4 > len(s) || !isUpper(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
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
		if isUpper(c) || isDigit(c) {
			if n == maxIBAN {
				overflow = true // too long as a whole; whole groups may still be one
				break
			}
			chars[n] = c
			n++
			groupLen++
			continue
		}
		if c == ' ' && groupLen == 4 && j+1 < len(s) && (isUpper(s[j+1]) || isDigit(s[j+1])) && groups < len(groupEnds) {
			groupEnds[groups], groupChars[groups] = j, n
			groups++
			groupLen = 0
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

// appendMaskIBAN keeps the country code and the last four characters.
func appendMaskIBAN(b []byte, v string) []byte {
	alnum := 0
	for i := 0; i < len(v); i++ {
		if v[i] != ' ' {
			alnum++
		}
	}
	seen := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != ' ' {
			if seen >= 2 && seen < alnum-4 {
				c = '*'
			}
			seen++
		}
		b = append(b, c)
	}
	return b
}
