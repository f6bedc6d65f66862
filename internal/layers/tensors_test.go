package layers

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/expr"
)

// TestTensorsAddUpToParams requires, for every builtin class, that the elements of the tensors it
// declares add up to its params formula, on random parameter values; and that a class with
// parameters declares its tensors, so `validate --weights` can check it.
func TestTensorsAddUpToParams(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, cl := range Builtin().Classes() {
		checked := 0
		for try := 0; try < 200 && checked < 20; try++ {
			args := map[string]expr.Value{}
			for _, ps := range cl.Params {
				if ps.Default != nil && rng.IntN(2) == 0 {
					continue
				}
				switch ps.Type {
				case "boolean":
					args[ps.Name] = expr.Bool(rng.IntN(2) == 0)
				case "count":
					args[ps.Name] = expr.Int(int64(rng.IntN(40)))
				default:
					args[ps.Name] = expr.Int(int64(1 + rng.IntN(40)))
				}
			}
			fig, err := cl.Evaluate(args)
			if err != nil {
				continue // the values broke a check (num_kv_heads must divide num_heads): draw again
			}
			checked++
			ts, err := cl.EvalTensors(args)
			if err != nil {
				t.Fatalf("%s: %v", cl.Name, err)
			}
			var sum int64
			for _, tt := range ts {
				if !tt.Buffer {
					sum += tt.Elements()
				}
			}
			if fig.Params.Cmp(expr.Int(sum)) != 0 {
				t.Errorf("%s with %v: tensors %v hold %d elements, params is %s", cl.Name, args, ts, sum, fig.Params)
				break
			}
			if fig.Params.Sign() > 0 && cl.Tensors == nil {
				t.Errorf("%s has parameters but declares no \"tensors\": say which tensors a checkpoint holds for it (docs/authoring.md)", cl.Name)
				break
			}
		}
		if checked == 0 {
			t.Errorf("%s: no random parameter values passed its checks", cl.Name)
		}
	}
}

func TestTensorsParse(t *testing.T) {
	bad := []struct{ src, want string }{
		{`"tensors": {}`, "must be an array"},
		{`"tensors": [{"name": "w"}]`, `needs a "name" and a "shape"`},
		{`"tensors": [{"name": "a b", "shape": []}]`, "dotted identifiers"},
		{`"tensors": [{"name": "w", "shape": ["{nope}"]}]`, "{nope} is not a parameter"},
		{`"tensors": [{"name": "w", "shape": ["{n}"], "if": "{m}"}]`, "{m} is not a parameter"},
		{`"tensors": [{"name": "w", "shape": ["{n}"], "buffer": 1}]`, "buffer is true or false"},
		{`"tensors": [{"name": "w", "shape": ["{n}"], "size": 1}]`, `unknown key "size"`},
	}
	for _, c := range bad {
		src := `{"classes": [{"class": "x.Y", "category": "matmul", "parameters": [{"name": "n", "type": "size", "meaning": "n"}], ` + c.src + `}]}`
		_, err := parse("c.json", []byte(src), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.src, err, c.want)
		}
	}
	src := `{"classes": [{"class": "x.Y", "category": "matmul", "parameters": [{"name": "n", "type": "size", "meaning": "n"}],
	  "formulas": {"params": "2 * {n}"},
	  "tensors": [{"name": "../sinks", "shape": ["{n}"]}, {"name": "b", "shape": ["{n}", 1], "if": "{n} > 1"}, {"name": "inv_freq", "shape": [], "buffer": true}]}]}`
	c, err := parse("c.json", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := c.Lookup("x.Y").EvalTensors(map[string]expr.Value{"n": expr.Int(3)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 3 || ts[0].Name != "../sinks" || ts[1].Elements() != 3 || !ts[2].Buffer || len(ts[2].Shape) != 0 {
		t.Errorf("tensors = %+v", ts)
	}
	ts, _ = c.Lookup("x.Y").EvalTensors(map[string]expr.Value{"n": expr.Int(1)})
	if len(ts) != 2 {
		t.Errorf("the condition did not drop b: %+v", ts)
	}
	// An overlay that gives tensors replaces the class's; one that does not keeps them.
	over, err := c.Extend("o.json", []byte(`{"classes": [{"class": "x.Y", "formulas": {"flops": "{n}"}}]}`))
	if err != nil || len(over.Lookup("x.Y").Tensors) != 3 {
		t.Fatalf("overlay without tensors: %v %+v", err, over.Lookup("x.Y"))
	}
	over, err = c.Extend("o.json", []byte(`{"classes": [{"class": "x.Y", "tensors": [{"name": "weight", "shape": ["{n}", 2]}]}]}`))
	if err != nil || len(over.Lookup("x.Y").Tensors) != 1 {
		t.Fatalf("overlay with tensors: %v %+v", err, over.Lookup("x.Y"))
	}
}
