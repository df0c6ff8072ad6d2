package detect

import "strings"

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
	return intlGroupsAt(s, i+1, s[i] != '+')
}

// zeroZeroPhoneAt matches an international number written with the "00"
// exit code in place of '+' ("0044 20 7946 0958"). Digits starting with 00
// are also ids, amounts and times, so it takes more than intlPhoneAt: the
// country code is a group of its own and one ITU-T E.164 assigns, and at
// least two groups follow it.
func zeroZeroPhoneAt(s string, i int) (int, bool) {
	if i+1 >= len(s) || s[i] != '0' || s[i+1] != '0' {
		return 0, false
	}
	k := i + 2
	for k < len(s) && isDigit(s[k]) && k < i+6 {
		k++
	}
	// After the country code the national number drops its trunk 0
	// (Italy's 39 keeps it): "0044 0532 0130 01" is a bank account.
	if k+1 >= len(s) || (s[k] != ' ' && s[k] != '-' && s[k] != '.') || !countryCodes[s[i+2:k]] ||
		!isDigit(s[k+1]) || (s[k+1] == '0' && s[i+2:k] != "39") {
		return 0, false
	}
	end, ok := intlGroupsAt(s, i+2, false)
	if !ok {
		return 0, false
	}
	// Groups after the country code; blocks of four digits all through
	// ("0049-3090-1820") are how ids, cards and accounts are written.
	groups, allFours, run := 0, k-i == 4, 0
	for j := k; j <= end; j++ {
		if j < end && isDigit(s[j]) {
			run++
			continue
		}
		if run > 0 {
			groups++
			allFours = allFours && run == 4
		}
		run = 0
	}
	return end, groups >= 2 && !allFours
}

// countryCodes are the calling codes ITU-T E.164 assigns to countries and
// territories.
var countryCodes = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49
		51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98
		211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239
		240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255 256 257 258
		260 261 262 263 264 265 266 267 268 269 290 291 297 298 299
		350 351 352 353 354 355 356 357 358 359 370 371 372 373 374 375 376 377 378
		380 381 382 383 385 386 387 389 420 421 423
		500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 595 596 597 598 599
		670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692
		850 852 853 855 856 870 880 881 882 883 886 888
		960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 992 993 994 995 996 998`) {
		m[c] = true
	}
	return m
}()

// intlGroupsAt matches the digit groups of an international number that
// start at s[j], after its '+' (or "%2B" when encoded, or "00").
func intlGroupsAt(s string, j int, encoded bool) (int, bool) {
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
