package report

import "bytes"

// QuoteNumbers returns the JSON text src with every number written as a string of the same
// digits ("flops": "325357493893988352"), for consumers whose JSON reader rounds integers
// beyond 2^53 (JavaScript's JSON.parse, jq 1.6). Strings, keys and structure are copied as
// they are; src must be valid JSON, as modeltool writes it.
func QuoteNumbers(src []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(src) + len(src)/8)
	inString, escaped := false, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(src) && isNumberByte(src[j]) {
				j++
			}
			out.WriteByte('"')
			out.Write(src[i:j])
			out.WriteByte('"')
			i = j - 1
			continue
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}
