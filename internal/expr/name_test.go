package expr

import (
	"regexp"
	"testing"
)

// TestIsNameIsNamePattern: the scanner's rule and the pattern given to the schema agree, on
// every string of up to three bytes from an alphabet that has each kind of byte.
func TestIsNameIsNamePattern(t *testing.T) {
	re := regexp.MustCompile("^" + NamePattern + "$")
	alphabet := []string{"", "a", "Z", "_", "0", "9", "-", ".", " ", "é", "{"}
	for _, a := range alphabet {
		for _, b := range alphabet {
			for _, c := range alphabet {
				s := a + b + c
				if IsName(s) != re.MatchString(s) {
					t.Errorf("%q: IsName %v, pattern %v", s, IsName(s), re.MatchString(s))
				}
			}
		}
	}
	if _, err := Parse("{" + "seq_len" + "}"); err != nil || !IsName("seq_len") {
		t.Errorf("seq_len: %v", err)
	}
}
