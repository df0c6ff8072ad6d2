package detect

// ssnAt matches a US social security number written ddd-dd-dddd, excluding
// numbers the SSA never issues (area 000, 666, 9xx; group 00; serial 0000).
func ssnAt(s string, i int) (int, bool) {
	end := i + 11
	if end > len(s) || s[i+3] != '-' || s[i+6] != '-' || !digitsAt(s, i, 3) || !digitsAt(s, i+4, 2) || !digitsAt(s, i+7, 4) {
		return 0, false
	}
	// Part of a longer dashed number, before or after a first pass masked
	// its neighbour ("***-**-0001"), is not an SSN.
	if wordAt(s, end) || (end+1 < len(s) && s[end] == '-' && (isDigit(s[end+1]) || s[end+1] == '*')) ||
		(i >= 2 && s[i-1] == '-' && (isDigit(s[i-2]) || s[i-2] == '*')) {
		return 0, false
	}
	area := s[i : i+3]
	if area == "000" || area == "666" || area[0] == '9' || s[i+4:i+6] == "00" || s[i+7:i+11] == "0000" {
		return 0, false
	}
	return end, true
}

func digitsAt(s string, i, n int) bool { return allAt(s, i, n, isDigit) }

// allAt reports whether s[i:i+n] exists and every byte of it is one of is.
func allAt(s string, i, n int, is func(byte) bool) bool {
	if i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !is(s[k]) {
			return false
		}
	}
	return true
}

// nanpAt matches a North American number ddd-ddd-dddd or ddd.ddd.dddd
// (area and exchange codes start with 2–9).
func nanpAt(s string, i int) (int, bool) {
	end := i + 12
	if end > len(s) || !digitsAt(s, i, 3) || !digitsAt(s, i+4, 3) || !digitsAt(s, i+8, 4) {
		return 0, false
	}
	sep := s[i+3]
	if (sep != '-' && sep != '.') || s[i+7] != sep || s[i] < '2' || s[i+4] < '2' {
		return 0, false
	}
	if wordAt(s, end) || (end+1 < len(s) && (s[end] == sep) && isDigit(s[end+1])) {
		return 0, false
	}
	return end, true
}

// parenPhoneAt matches "(ddd) ddd-dddd" starting at the parenthesis.
func parenPhoneAt(s string, i int) (int, bool) {
	if !digitsAt(s, i+1, 3) || i+5 >= len(s) || s[i+4] != ')' || s[i+1] < '2' {
		return 0, false
	}
	j := i + 5
	if j < len(s) && s[j] == ' ' {
		j++
	}
	end := j + 8
	if !digitsAt(s, j, 3) || end > len(s) || (s[j+3] != '-' && s[j+3] != ' ' && s[j+3] != '.') || !digitsAt(s, j+4, 4) || wordAt(s, end) {
		return 0, false
	}
	return end, true
}

// maskAfterSeparators reports whether this package's mask ('*') follows
// s[end] after at most two group separators: the digits there were part of
// the number a first pass read ("+10000000 6000.0000 0007" is no phone, and
// neither is "+10000000 ****.**** 0007" on the next pass; FuzzSanitize).
func maskAfterSeparators(s string, end int) bool {
	for k := end; k < len(s) && k < end+3; k++ {
		switch s[k] {
		case '*':
			return k > end
		case ' ', '-', '.', '(', ')':
		default:
			return false
		}
	}
	return false
}

// intlPhoneAt matches an international number starting at '+': 8–15 digits,
// the first 1–9, in groups separated by at most two of " -.()". When more
// groups follow, the longest prefix of whole groups within 15 digits is the
// number, and a last group glued to a word is not part of it.
func intlPhoneAt(s string, i int) (int, bool) {
	// s[i] is '+' or the 'B' of "%2B": then spaces are URL-encoded too.
	encoded := s[i] != '+'
	j := i + 1
	if j >= len(s) || s[j] < '1' || s[j] > '9' {
		return 0, false
	}
	digits, end, seps := 0, j, 0
	prevDigits, prevEnd := 0, 0 // at the end of the previous group
	for ; j < len(s); j++ {
		c := s[j]
		if isDigit(c) {
			if seps > 0 {
				prevDigits, prevEnd = digits, end
			}
			digits++
			end = j + 1
			seps = 0
			if digits > 15 {
				if prevEnd == 0 {
					return 0, false // one run too long for a phone number
				}
				digits, end = prevDigits, prevEnd
				break
			}
			continue
		}
		if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') && seps < 2 {
			seps++
			continue
		}
		if e := encodedSpaceLen(s, j); e > 0 && encoded && seps < 2 {
			seps++
			j += e - 1
			continue
		}
		break
	}
	// The last group is glued to a word, a masked word ('*') or a colon
	// that is not sentence punctuation ("0::2", "…:x", whatever a first pass
	// makes of x): the number ends a group earlier.
	if wordAt(s, end) || (end < len(s) && s[end] == '*') ||
		(end+1 < len(s) && s[end] == ':' && s[end+1] != ' ') || maskAfterSeparators(s, end) {
		digits, end = prevDigits, prevEnd
	}
	// A dotted run that goes on is longer than any phone number
	// ("+10000000000000.0.0.1"): masking its start would leave digits that
	// read as an IPv4 address on a second pass. Unless it is the local part
	// of an address, which the scanner resolves (preferEmail).
	if end+1 < len(s) && s[end] == '.' && isDigit(s[end+1]) {
		k := end
		for k < len(s) && isLocalPart(s[k]) && atSignLen(s[k:]) == 0 {
			k++
		}
		if atSignLen(s[k:]) == 0 {
			return 0, false
		}
	}
	return end, digits >= 8
}
