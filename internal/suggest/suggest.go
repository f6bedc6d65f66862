// Package suggest finds the near misses behind did-you-mean messages.
package suggest

import "strings"

// MaxLen is the longest name Nearest looks for a near miss of. Names people type (layers,
// parameters, variables, keys) are far shorter, and the edit distance costs the product of the
// lengths.
const MaxLen = 256

// Distance is the Levenshtein distance between a and b, counted in runes.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Nearest returns the candidate closest to name, ignoring case, when it is close enough to be
// a plausible typo: at most a third of the name's length in edits (at least one). Ties go to
// the alphabetically first candidate. A candidate equal to name is never suggested.
func Nearest(name string, candidates []string) string {
	if len(name) > MaxLen {
		return ""
	}
	limit := max(1, len([]rune(name))/3)
	lower := strings.ToLower(name)
	best, bestD := "", -1
	for _, c := range candidates {
		if c == name {
			continue
		}
		if diff := len(c) - len(name); diff > 4*limit || -diff > 4*limit {
			continue // far longer or shorter (in bytes) than any near miss
		}
		d := Distance(lower, strings.ToLower(c))
		if d > limit {
			continue
		}
		if bestD < 0 || d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	return best
}
