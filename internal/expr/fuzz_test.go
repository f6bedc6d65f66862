package expr

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

var fuzzSeeds = []string{
	"{batch_size} * {seq_len}",
	"{batch_size} * {seq_len} * 4096",
	"{num_key_value_heads} * {head_dim}",
	"{batch_size} * {seq_len} * {num_experts_per_tok} / {num_local_experts}",
	"{causal} ? 1 : 0",
	"2 * {num_tokens} * {in_features} * {out_features} + ({bias} ? {num_tokens} * {out_features} : 0)",
	"{x} == 0 ? 0 : 1 / {x}",
	"min({a}, 4096) + max({b}, 1, 2) - ceil({c} / 3) * floor(-{d})",
	"-2 ** 2 + 2 ** -1 + (2 ** 3) ** 2 + 2 ** 3 ** 2",
	"-7 // 2 + -7 % 2 + 7 % -2 + 7.5 // 2",
	"!{a} && {b} || {c} != ({d} >= 2.5E3)",
	"1e400 + 1e-5 + 0.1",
	"10 ** 10 ** 10",
	"true + 1",
	"1 ? 2 : 3",
	"{a} < {b} < {c}",
	"hidden_size * 2",
	"sqrt(4)",
	"{a} + + ",
	"{ a }",
	"{1a}",
	"{a",
	"((1)",
	"1 2",
	"",
	"01",
	".5",
	"5.",
	"(1/3) ** -2 % (1/6)",
	"{c} ? 1 / 0 : 2",
	"true && {x}",
	"{layer_types}[{layer_idx}] == 'sliding_attention' ? {sliding_window} : 0",
	"{layer_idx} in {mlp_only_layers} || len({l}) == 0",
	"['a', 'b\\'c', 1, true][{i}]",
	"[[1]][0]",
	"activation({hidden_act})",
	"'unterminated",
	"[1, 2",
	"{a}[",
	"'x' in 'x'",
	"is_string({p}) ? {p}[{i} % len({p})] == 'G' : ({i} + 1) % {p} != 0",
	"is_boolean({t}) ? {t} : is_number({t}) && {t} != 0",
	"is_list({l}) || is_string('LLLG'[{i}])",
	"'größe'[{i}] + len('größe')",
	"is_number()",
}

// FuzzParse: Parse never panics; its errors are *Error inside the text; the
// canonical text of what parses round-trips and means the same.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		defer watchdog(src)()
		e, err := Parse(src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): error %T is not *Error", src, err)
			}
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Parse(%q): %v wraps neither ErrSyntax nor ErrTooLarge", src, err)
			}
			if pe.Col < 1 || pe.Col > len(src)+1 {
				t.Fatalf("Parse(%q): column %d outside the text", src, pe.Col)
			}
			return
		}
		if e.Source() != src {
			t.Fatalf("Source() = %q, want %q", e.Source(), src)
		}
		for _, v := range e.Vars() {
			if v.Col < 1 || v.Col+len(v.Name)+1 > len(src) || src[v.Col-1] != '{' || src[v.Col:v.Col+len(v.Name)] != v.Name || src[v.Col+len(v.Name)] != '}' {
				t.Fatalf("Parse(%q): VarRef %v does not point at {%s}", src, v, v.Name)
			}
		}
		env := fuzzEnv(e.VarNames(), 0)
		checkInvariants(t, e, env, MapEnv{})
	})
}

// FuzzEval: evaluation never panics, and partial evaluation under a random
// split of a random environment agrees with evaluation.
func FuzzEval(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, uint64(i))
	}
	f.Fuzz(func(t *testing.T, src string, seed uint64) {
		defer watchdog(src)()
		e, err := Parse(src)
		if err != nil {
			return
		}
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		a, b := split(r, fuzzEnv(e.VarNames(), seed))
		checkInvariants(t, e, a, b)
	})
}

// watchdog crashes the process, which the fuzzing engine records as a failure
// with its input, when one input takes unreasonably long: Go's fuzzing has no
// time limit per input, and "never hangs" is one of the properties under test.
func watchdog(src string) (stop func()) {
	t := time.AfterFunc(20*time.Second, func() {
		panic(fmt.Sprintf("input took more than 20s: %.300q", src))
	})
	return func() { t.Stop() }
}

var fuzzValues = []Value{Int(0), Int(1), Int(-1), Int(2), Int(3), Int(-7), Int(4096), Int(1 << 62), Int(-1 << 63),
	rat(1, 2), rat(-1, 3), rat(5, 4), rat(7, 1<<20), Bool(true), Bool(false),
	BigInt(two63), Rat(new(big.Rat).SetFrac(big.NewInt(1), pow10Int(30))), BigInt(pow10Int(40)),
	String(""), String("sliding_attention"), String(`it's \ a "string"`), String("LLLG"), String("größe"),
	List(nil), List([]Value{Int(0), Int(3)}), List([]Value{String("full_attention"), String("sliding_attention"), Bool(true), rat(1, 2)})}

// fuzzEnv gives each name a value chosen by the name and seed; some names stay
// unbound.
func fuzzEnv(names []string, seed uint64) MapEnv {
	env := MapEnv{}
	for _, name := range names {
		h := fnv.New64a()
		h.Write([]byte(name))
		k := h.Sum64() ^ seed
		if k%11 == 0 {
			continue
		}
		env[name] = fuzzValues[k%uint64(len(fuzzValues))]
	}
	return env
}
