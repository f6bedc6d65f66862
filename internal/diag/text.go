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

// MaxQuoted is the most bytes of a name or value from a file that a message repeats: the
// position says where the rest is, and a 10 MB class name must not make a 10 MB line.
const MaxQuoted = 48

// Clip shortens text from a file for a message to at most MaxQuoted bytes. A dotted name — a
// class path, a layer path — is cut at the front, at a dot, so it keeps its distinctive end:
// "…gpt_neox.modeling_gpt_neox.apply_rotary_pos_emb". Other text (and a dotted name whose last
// part alone is too long) is cut at the end, at a character boundary, with its length:
// "nnnn…(10000 bytes)".
func Clip(s string) string {
	head, tail := clipAt(s)
	switch {
	case tail < len(s):
		return "…" + s[tail:]
	case head < len(s):
		return fmt.Sprintf("%s…(%d bytes)", s[:head], len(s))
	}
	return s
}

// Quote is Clip in Go quotes, the cut marked outside them: …"tail" or "head"…(N bytes).
func Quote(s string) string {
	head, tail := clipAt(s)
	switch {
	case tail < len(s):
		return "…" + strconv.Quote(s[tail:])
	case head < len(s):
		return fmt.Sprintf("%q…(%d bytes)", s[:head], len(s))
	}
	return strconv.Quote(s)
}

// clipAt says where Clip cuts s: keep s[tail:] (a dotted name cut at the front), or else
// s[:head]; both are len(s) when s is short enough.
func clipAt(s string) (head, tail int) {
	if len(s) <= MaxQuoted {
		return len(s), len(s)
	}
	if dotted(s) {
		for i := len(s) - MaxQuoted; i < len(s); i++ {
			if s[i-1] == '.' {
				return len(s), i
			}
		}
	}
	head = MaxQuoted
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	return head, len(s)
}

// dotted reports whether s looks like a class or layer path: parts joined by dots, without
// spaces, quotes or braces, and not a number (a decimal keeps its integer part: it is cut at
// the end).
func dotted(s string) bool {
	if s == "" || s[0] == '-' || s[0] == '+' || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	return strings.Contains(s, ".") && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`"'{}()`, r)
	})
}

// DisplayLayer is a layer path as printed in text: printable, each name longer than MaxQuoted
// cut (a 10,000-byte name would otherwise fill the screen on every diagnostic).
func DisplayLayer(path string) string {
	segs := strings.Split(path, ".")
	for i, s := range segs {
		segs[i] = Clip(s)
	}
	return Printable(strings.Join(segs, "."))
}
