package expr_test

import (
	"errors"
	"fmt"

	"github.com/modeltool/modeltool/internal/expr"
)

func Example() {
	e := expr.MustParse("{batch_size} * {seq_len} * {num_experts_per_tok} / {num_local_experts}")
	v, err := e.Eval(expr.MapEnv{
		"batch_size": expr.Int(1), "seq_len": expr.Int(7),
		"num_experts_per_tok": expr.Int(2), "num_local_experts": expr.Int(8),
	})
	fmt.Println(v, err)
	s, exact := v.Decimal(3)
	fmt.Println(s, exact)
	// Output:
	// 1.75 <nil>
	// 1.75 true
}

func ExampleExpr_Partial() {
	e := expr.MustParse("{batch_size}*{seq_len}*{hidden_size} + ({bias} ? {hidden_size} : 0)")
	p, err := e.Partial(expr.MapEnv{"hidden_size": expr.Int(4096), "bias": expr.Bool(false)})
	fmt.Println(p, err)
	fmt.Println(p.VarNames())
	// Output:
	// {batch_size} * {seq_len} * 4096 + 0 <nil>
	// [batch_size seq_len]
}

func ExampleExpr_String() {
	for _, src := range []string{"({a}+{b})*{c}", "{a}-({b}-{c})", "(2**3)**2", "-2**2", "min( {a},4096 )", "1.50e1"} {
		fmt.Println(expr.MustParse(src))
	}
	// Output:
	// ({a} + {b}) * {c}
	// {a} - ({b} - {c})
	// (2 ** 3) ** 2
	// -2 ** 2
	// min({a}, 4096)
	// 15
}

func ExampleParse_error() {
	_, err := expr.Parse("hidden_size * 2")
	fmt.Println(err)
	_, err = expr.Parse("{a} < {b} < {c}")
	fmt.Println(err)
	_, err = expr.MustParse("{x} / ({y} - 2)").Eval(expr.MapEnv{"x": expr.Int(1), "y": expr.Int(2)})
	fmt.Println(err, errors.Is(err, expr.ErrDivByZero))
	// Output:
	// col 1: unknown name hidden_size: write {hidden_size} for a variable
	// col 11: comparisons cannot be chained: write (a < b) && (b < c), or use parentheses
	// col 5: division by zero true
}

func ExampleScope() {
	config := expr.MapEnv{"hidden_size": expr.Int(4096), "num_attention_heads": expr.Int(32)}
	s := expr.NewScope(config)
	s.Define("head_dim", expr.MustParse("{hidden_size} / {num_attention_heads}"))
	s.Define("num_key_value_heads", expr.MustParse("{num_attention_heads}"))
	v, err := expr.MustParse("{num_key_value_heads} * {head_dim}").Eval(s)
	fmt.Println(v, err)

	s.Define("a", expr.MustParse("{b} + 1"))
	s.Define("b", expr.MustParse("2 * {a}"))
	_, err = s.Lookup("a")
	fmt.Println(err)
	// Output:
	// 4096 <nil>
	// {a} is defined in terms of itself: a → b → a
}
