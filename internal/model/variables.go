package model

import (
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/layers"
)

// StandardVariable is one of the variables every model file has without declaring it.
type StandardVariable struct {
	Name        string
	Default     string
	Description string
	// Type is a layers.ParamTypes name: what values the variable may take.
	Type string
}

// StandardVariables are declared in every model file; a file's "variables" may change their
// defaults and add its own.
var StandardVariables = []StandardVariable{
	{"batch_size", "1", "sequences processed together", "size"},
	{"seq_len", "2048", "new tokens per sequence in this step (the prompt in prefill, 1 in decode)", "size"},
	{"past_len", "0", "tokens per sequence already in the KV cache", "count"},
	{"dtype_bytes", "2", "bytes per activation element (2 for fp16/bf16)", "bytes"},
	{"weight_dtype_bytes", "{dtype_bytes}", "bytes per weight element (0.5 for int4)", "bytes"},
	{"kv_dtype_bytes", "{dtype_bytes}", "bytes per KV-cache element", "bytes"},
	{"index_dtype_bytes", "8", "bytes per token index (8 for int64)", "bytes"},
}

var standardExprs = func() map[string]*expr.Expr {
	m := make(map[string]*expr.Expr, len(StandardVariables))
	for _, v := range StandardVariables {
		m[v.Name] = expr.MustParse(v.Default)
	}
	return m
}()

// standardVariableType returns the type of a standard variable, or "" for other names.
func standardVariableType(name string) string {
	for _, v := range StandardVariables {
		if v.Name == name {
			return v.Type
		}
	}
	return ""
}

// StandardVariableNeeds says what the standard variable name must be ("a positive integer") when
// v is not a value of its type, and "" when it is (or name is not a standard variable). An
// invalid v (a value that could not be read) never fits. The file's variables, calc's --set and
// its shorthand flags are all checked by it.
func StandardVariableNeeds(name string, v expr.Value) string {
	typ := standardVariableType(name)
	if typ == "" || v.IsValid() && layers.FitsType(typ, v) {
		return ""
	}
	return layers.ParamTypes[typ]
}

// DeclaredVariables returns every variable name a placeholder in f may use: the standard set,
// the file's own variables and, for a template, its config keys.
func (f *File) DeclaredVariables() map[string]bool {
	names := make(map[string]bool, len(StandardVariables)+len(f.Variables))
	for _, v := range StandardVariables {
		names[v.Name] = true
	}
	for _, v := range f.Variables {
		names[v.Name] = true
	}
	if f.Template != nil {
		for _, k := range f.Template.Config {
			names[k.Name] = true
		}
	}
	return names
}

// Scope returns the variables of f as lazily evaluated definitions: the standard defaults,
// overridden by the file's "variables", overridden by values set by the caller (command-line
// flags). A file variable whose value is unusable (it has Err) is left undefined, so using it
// reports an unbound variable rather than a wrong number.
func (f *File) Scope(set map[string]expr.Value) *expr.Scope {
	s := expr.NewScope(nil)
	for name, e := range standardExprs {
		s.Define(name, e)
	}
	for _, v := range f.Variables {
		if v.Value.Expr != nil {
			s.Define(v.Name, v.Value.Expr)
		}
	}
	for name, v := range set {
		s.Set(name, v)
	}
	return s
}
