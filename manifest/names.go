package manifest

import "unicode"

// The names the manifest checks the form of, each a loop over its bytes or
// runes instead of a regexp: the regexps cost half a millisecond and 180 KB
// to compile when the process starts (javaClassName's Unicode classes
// above all), before plan has read anything, and more to run than the
// loops. names_test.go compares each with its regexp, by table and by
// fuzzing.

// isObjectName reports whether s is a cluster, worker or sink name:
// ^[A-Za-z0-9][A-Za-z0-9._-]*$.
func isObjectName(s string) bool {
	return s != "" && isAlnum(s[0]) && (len(s) == 1 || isTopicName(s[1:]))
}

// isTopicName reports whether s is made of the characters of a Kafka
// topic name, and is not empty: ^[a-zA-Z0-9._-]+$.
func isTopicName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isJavaClassName reports whether s is a binary Java class name, as in
// a.b.C or a.b.C$Inner: dot-separated identifiers, each a letter, '_' or
// '$', then letters, digits, '_' and '$', in the Unicode sense
// (^[\p{L}_$][\p{L}\p{N}_$]*(\.[\p{L}_$][\p{L}\p{N}_$]*)*$). Bytes that
// are not UTF-8 read as U+FFFD, which is neither, as in a regexp.
func isJavaClassName(s string) bool {
	start := true // of an identifier
	for _, r := range s {
		switch {
		case r == '.':
			if start {
				return false // a leading dot, or two in a row
			}
			start = true
		case r == '_' || r == '$' || unicode.IsLetter(r):
			start = false
		case unicode.IsNumber(r):
			if start {
				return false
			}
		default:
			return false
		}
	}
	return !start // not empty, and no trailing dot
}
