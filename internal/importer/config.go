package importer

import (
	"math/big"
	"strconv"

	"github.com/modeltool/modeltool/internal/jsonpos"
)

// config reads values from a HuggingFace config.json: the top level, then its text_config (the
// language model of a multimodal config). A nil config has no keys.
type config struct {
	root *jsonpos.Node
}

func (c *config) lookup(key string) *jsonpos.Node {
	if c == nil || c.root == nil {
		return nil
	}
	if n := c.root.Get(key); n != nil && n.Kind != jsonpos.Null {
		return n
	}
	if tc := c.root.Get("text_config"); tc != nil && tc.Kind == jsonpos.Object {
		if n := tc.Get(key); n != nil && n.Kind != jsonpos.Null {
			return n
		}
	}
	return nil
}

// has reports whether the config holds key (a null counts as absent).
func (c *config) has(key string) bool { return c.lookup(key) != nil }

// int returns the first of keys the config holds as an integer.
func (c *config) int(keys ...string) (int64, bool) {
	for _, k := range keys {
		if n := c.lookup(k); n != nil && n.Kind == jsonpos.Number {
			r, ok := new(big.Rat).SetString(n.Text)
			if ok && r.IsInt() && r.Num().IsInt64() {
				return r.Num().Int64(), true
			}
		}
	}
	return 0, false
}

// number returns the first of keys the config holds as a number, exactly.
func (c *config) number(keys ...string) (*big.Rat, bool) {
	for _, k := range keys {
		if n := c.lookup(k); n != nil && n.Kind == jsonpos.Number {
			if r, ok := new(big.Rat).SetString(n.Text); ok {
				return r, true
			}
		}
	}
	return nil, false
}

// boolean returns the config's boolean key.
func (c *config) boolean(key string) (bool, bool) {
	if n := c.lookup(key); n != nil && n.Kind == jsonpos.Bool {
		return n.BoolValue(), true
	}
	return false, false
}

// str returns the config's string key.
func (c *config) str(key string) (string, bool) {
	if n := c.lookup(key); n != nil && n.Kind == jsonpos.String {
		return n.Text, true
	}
	return "", false
}

// list returns the items of the config's array key, as the JSON text of each (strings
// unquoted).
func (c *config) list(key string) ([]string, bool) {
	n := c.lookup(key)
	if n == nil || n.Kind != jsonpos.Array {
		return nil, false
	}
	out := make([]string, len(n.Items))
	for i, it := range n.Items {
		out[i] = it.Text
		if it.Kind == jsonpos.Bool {
			out[i] = strconv.FormatBool(it.BoolValue())
		}
	}
	return out, true
}
