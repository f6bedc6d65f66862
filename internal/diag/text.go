package diag

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable escapes what must not reach a terminal or break the one-line-per-diagnostic format:
// control characters (C0, DEL, C1) and invalid UTF-8 are written as Go escapes (\t, \x01,
// \u0085). Everything else, non-ASCII letters included, is kept.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// maxSegment is the longest layer name shown whole; the schema allows 256 bytes.
const maxSegment = 256

// DisplayLayer is a layer path as printed in text: printable, with names longer than any valid
// name cut short (a 10,000-byte name would otherwise fill the screen on every diagnostic).
func DisplayLayer(path string) string {
	segs := strings.Split(path, ".")
	for i, s := range segs {
		if len(s) > maxSegment {
			cut := 60
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			segs[i] = fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
		}
	}
	return Printable(strings.Join(segs, "."))
}
