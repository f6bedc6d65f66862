package model_test

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/model"
)

const src = `{
  "model_id": "x/y",
  "variables": {"seq_len": 16, "tokens": "{batch_size} * {seq_len}", "bad": "1 +"},
  "layers": [
    {"name": "model", "class": "a.Model", "sub_layers": [
      {"name": "emb", "class": "a.Emb", "parameters": {"n": "{tokens}", "w": 8, "flag": true, "obj": {}}},
      {"name": "block", "class": "a.Block", "repeat": "{seq_len} // 8", "sub_layers": [
        {"name": "lin", "class": "a.Lin", "tied_to": "model.emb"}
      ]},
      "not a layer",
      {"name": "empty", "class": "a.C", "sub_layers": []}
    ]}
  ]
}`

func TestBuild(t *testing.T) {
	f, err := model.Parse("m.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if f.ModelID != "x/y" || len(f.Variables) != 3 {
		t.Fatalf("model_id %q, %d variables", f.ModelID, len(f.Variables))
	}
	var paths []string
	model.Walk(f.Layers, func(l *model.Layer) bool {
		kind := "basic"
		if l.Composite {
			kind = "composite"
		}
		paths = append(paths, l.Path+":"+kind)
		return true
	})
	want := "model:composite model.emb:basic model.block:composite model.block.lin:basic model.empty:composite"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("walk = %s\nwant %s", got, want)
	}
	lin := f.FindLayer("model.block.lin")
	if lin == nil || lin.TiedTo != "model.emb" || lin.Parent.Name != "block" || lin.Pointer != "/layers/0/sub_layers/1/sub_layers/0" {
		t.Fatalf("FindLayer: %+v", lin)
	}
	emb := f.FindLayer("model.emb")
	if p := emb.Param("obj"); p == nil || p.Value.Err == nil {
		t.Error("an object parameter must carry an error")
	}
	if p := emb.Param("flag"); p == nil || p.Value.Expr == nil {
		t.Error("a boolean parameter is a constant")
	}
	if f.FindLayer("model.nope") != nil || f.FindLayer("model.emb.x") != nil {
		t.Error("FindLayer found a layer that does not exist")
	}
}

func TestScope(t *testing.T) {
	f, _ := model.Parse("m.json", []byte(src))
	s := f.Scope(map[string]expr.Value{"batch_size": expr.Int(3)})
	v, err := s.Lookup("tokens")
	if err != nil || !v.Equal(expr.Int(48)) {
		t.Errorf("tokens = %v %v, want 3·16", v, err)
	}
	v, err = s.Lookup("kv_dtype_bytes") // standard: {dtype_bytes} = 2
	if err != nil || !v.Equal(expr.Int(2)) {
		t.Errorf("kv_dtype_bytes = %v %v", v, err)
	}
	rep := f.FindLayer("model.block").Repeat
	if n, err := rep.Expr.Eval(s); err != nil || !n.Equal(expr.Int(2)) {
		t.Errorf("repeat = %v %v", n, err)
	}
	// A variable whose value does not parse is left undefined.
	if _, err := s.Lookup("bad"); !errors.Is(err, expr.ErrUnbound) {
		t.Errorf("bad variable: %v", err)
	}
	declared := f.DeclaredVariables()
	for _, name := range []string{"batch_size", "index_dtype_bytes", "tokens", "bad"} {
		if !declared[name] {
			t.Errorf("%s not declared", name)
		}
	}
}

func TestTolerantOfWrongShapes(t *testing.T) {
	for _, s := range []string{`[]`, `{"layers": 3}`, `{"layers": [1, "x", null]}`, `{"variables": [], "layers": [{"sub_layers": null}]}`} {
		f, err := model.Parse("m.json", []byte(s))
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		model.Walk(f.Layers, func(*model.Layer) bool { return true })
	}
}

func TestWalkCounts(t *testing.T) {
	f, err := model.Parse("m.json", []byte(`{"layers": [
		{"name": "a", "class": "x.A", "repeat": 1e30, "sub_layers": [
			{"name": "b", "class": "x.B", "repeat": "{seq_len} // 512", "sub_layers": [{"name": "c", "class": "x.C"}]},
			{"name": "d", "class": "x.D"}]},
		{"name": "e", "class": "x.E", "repeat": 3}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = model.WalkCounts(f.Layers, f.Scope(nil), func(l *model.Layer, n *big.Int) bool {
		got = append(got, l.Path+"="+n.String())
		return true
	})
	// seq_len defaults to 2048, so b repeats 4 times under a's 10^30.
	want := "a=1" + strings.Repeat("0", 30) + " a.b=4" + strings.Repeat("0", 30) + " a.b.c=4" + strings.Repeat("0", 30) + " a.d=1" + strings.Repeat("0", 30) + " e=3"
	if err != nil || strings.Join(got, " ") != want {
		t.Errorf("WalkCounts: %v\n got %s\nwant %s", err, strings.Join(got, " "), want)
	}
	bad, _ := model.Parse("m.json", []byte(`{"layers": [{"name": "a", "class": "x.A", "repeat": "{seq_len} - 2049", "sub_layers": [{"name": "b", "class": "x.B"}]}]}`))
	err = model.WalkCounts(bad.Layers, bad.Scope(nil), func(*model.Layer, *big.Int) bool { return true })
	var re *model.RepeatError
	if !errors.As(err, &re) || re.Layer.Path != "a" || !strings.Contains(err.Error(), "must be an integer ≥ 0, got -1") {
		t.Errorf("bad repeat: %v", err)
	}
}

// TestWalkCountsZero: a repeat expression that works out to 0 leaves its layer and everything
// below it out of the walk (an optional module switched off by a variable); set to 2, the same
// layer is visited with count 2.
func TestWalkCountsZero(t *testing.T) {
	f, err := model.Parse("m.json", []byte(`{"variables": {"extra": 0}, "layers": [
		{"name": "a", "class": "x.A"},
		{"name": "opt", "class": "x.Opt", "repeat": "{extra}", "sub_layers": [{"name": "c", "class": "x.C"}]},
		{"name": "e", "class": "x.E", "repeat": 3}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		extra int64
		want  string
	}{
		{0, "a=1 e=3"},
		{2, "a=1 opt=2 opt.c=2 e=3"},
	} {
		var got []string
		scope := f.Scope(map[string]expr.Value{"extra": expr.Int(c.extra)})
		err := model.WalkCounts(f.Layers, scope, func(l *model.Layer, n *big.Int) bool {
			got = append(got, l.Path+"="+n.String())
			return true
		})
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("extra=%d: %v\n got %s\nwant %s", c.extra, err, strings.Join(got, " "), c.want)
		}
	}
}

// TestStandardVariableNeeds: a standard variable takes the values of its type, the message says
// which; an unreadable value fits none, and other names fit anything.
func TestStandardVariableNeeds(t *testing.T) {
	for _, c := range []struct {
		name string
		v    expr.Value
		want string
	}{
		{"seq_len", expr.Int(1), ""},
		{"seq_len", expr.Int(0), "a positive integer"},
		{"past_len", expr.Int(0), ""},
		{"past_len", expr.Int(-1), "a non-negative integer"},
		{"weight_dtype_bytes", expr.Rat(big.NewRat(1, 2)), ""},
		{"batch_size", expr.Rat(big.NewRat(3, 2)), "a positive integer"},
		{"batch_size", expr.Value{}, "a positive integer"},
		{"my_var", expr.Int(-7), ""},
	} {
		if got := model.StandardVariableNeeds(c.name, c.v); got != c.want {
			t.Errorf("%s = %s: %q, want %q", c.name, c.v, got, c.want)
		}
	}
}
