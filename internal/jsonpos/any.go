package jsonpos

import "encoding/json"

// ToAny converts n into the plain Go values encoding/json would produce with UseNumber:
// map[string]any, []any, string, json.Number, bool and nil. For duplicate keys the last wins.
func ToAny(n *Node) any {
	switch n.Kind {
	case Object:
		m := make(map[string]any, len(n.Members))
		for _, mem := range n.Members {
			m[mem.Key] = ToAny(mem.Value)
		}
		return m
	case Array:
		a := make([]any, len(n.Items))
		for i, it := range n.Items {
			a[i] = ToAny(it)
		}
		return a
	case String:
		return n.Text
	case Number:
		return json.Number(n.Text)
	case Bool:
		return n.Text == "true"
	}
	return nil
}
