package expr

// NamePattern is the regular expression of a name (unanchored): a variable written {name}, and
// every other name a model file, a template or a catalog gives — parameters, derived values,
// config keys, template indexes. The schema's identifier patterns are built from it (its tests
// say so), and IsName and the parser's scanner read the same rule.
const NamePattern = `[A-Za-z_][A-Za-z0-9_]*`

// IsName reports whether s is a name: a letter or "_", then letters, digits and "_".
func IsName(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}
