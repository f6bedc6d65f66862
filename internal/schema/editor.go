package schema

import (
	"fmt"
	"strings"

	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
)

// Editor returns the schema for editors and other JSON Schema validators: the model-file schema
// (ModelJSON) with the catalog written into it. The class of a basic layer (one without
// sub_layers) must be one of the catalog's classes or aliases, each with its description, so
// an editor completes and explains it; per class, parameters lists the class's parameters with
// their meanings and types, requires those without a default and refuses any other (except
// x- keys). A class containing "{" (a template's class expression such as
// activation({hidden_act})) and composite layers stay open.
//
// The validator itself checks the structure with ModelJSON and the catalog with its own,
// better-worded rules; this schema is what an editor can know without running modeltool. It is
// valid draft 2020-12 and free of the constructs strict validators refuse (union types,
// keywords without their type, unknown keywords).
//
// What Editor adds lives under $defs (class, classExpression, basicLayer, paramTypes and
// one "params <CLASS>" definition per class) and one allOf on $defs/layer, so the structural
// part stays exactly ModelJSON.
func Editor(cat *layers.Catalog) ([]byte, error) {
	doc, err := jsonpos.Parse("model.schema.json", modelSchemaJSON, jsonpos.Options{})
	if err != nil {
		return nil, fmt.Errorf("embedded schema: %w", err)
	}
	root := doc.Root
	defs := root.Get("$defs")
	layer := defs.Get("layer")
	if defs == nil || layer == nil {
		return nil, fmt.Errorf("embedded schema: no $defs/layer")
	}
	classes := cat.Classes()

	defs.Set("paramTypes", paramTypes())
	defs.Set("classExpression", obj(
		"description", str("Templates only: a class expression that populate evaluates to a class path, such as activation({hidden_act}); its parameters are not checked here."),
		"type", str("string"),
		"pattern", str(`\{`),
	))
	var names []*jsonpos.Node
	for _, cl := range classes {
		names = append(names, obj("const", str(cl.Name), "description", str(classDescription(cl, ""))))
		for _, a := range cl.Aliases {
			names = append(names, obj("const", str(a), "description", str(classDescription(cl, a))))
		}
	}
	defs.Set("class", obj(
		"description", str("A basic class of the catalog (modeltool layers lists them; --catalog adds your own)."),
		"anyOf", jsonpos.NewArray(names...),
	))

	var perClass []*jsonpos.Node
	for _, cl := range classes {
		key := "params " + cl.Name
		defs.Set(key, classParams(cl))
		all := []*jsonpos.Node{str(cl.Name)}
		for _, a := range cl.Aliases {
			all = append(all, str(a))
		}
		perClass = append(perClass, obj(
			"if", obj(
				"properties", obj("class", obj("enum", jsonpos.NewArray(all...))),
				"required", jsonpos.NewArray(str("class")),
			),
			"then", obj("properties", obj("parameters", obj("$ref", str("#/$defs/"+jsonpos.EscapePointerToken(key))))),
		))
	}
	defs.Set("basicLayer", obj(
		"description", str("A layer without sub_layers: its class is a catalog class (or, in a template, a class expression) and its parameters are those of the class."),
		"type", str("object"),
		"properties", obj(
			// The catalog's classes first: an editor that reports the first of equally good
			// alternatives then names the valid classes for a typo.
			"class", obj("anyOf", jsonpos.NewArray(ref("class"), ref("classExpression"))),
		),
		"allOf", jsonpos.NewArray(perClass...),
	))
	layer.Set("allOf", jsonpos.NewArray(obj(
		"if", obj("not", obj(
			// properties names the key for strict validators (ajv's strictRequired).
			"properties", obj("sub_layers", jsonpos.NewBool(true)),
			"required", jsonpos.NewArray(str("sub_layers")),
		)),
		"then", ref("basicLayer"),
	)))
	return jsonpos.Marshal(root), nil
}

// paramTypes are the schemas of the catalog's parameter types (layers.ParamTypes): a literal of
// the type, or a placeholder expression string.
func paramTypes() *jsonpos.Node {
	placeholder := obj("type", str("string"), "description", str("A placeholder expression, such as \"{batch_size} * {seq_len}\"."))
	num := func(typ string, bound ...string) *jsonpos.Node {
		o := obj("type", str(typ))
		for i := 0; i+1 < len(bound); i += 2 {
			o.Set(bound[i], jsonpos.NewNumber(bound[i+1]))
		}
		return o
	}
	out := obj()
	for _, t := range []struct {
		name string
		lit  *jsonpos.Node
	}{
		{"size", num("integer", "minimum", "1")},
		{"count", num("integer", "minimum", "0")},
		{"amount", num("number", "minimum", "0")},
		{"bytes", num("number", "exclusiveMinimum", "0")},
		{"boolean", obj("type", str("boolean"))},
		{"number", num("number")},
	} {
		desc, ok := layers.ParamTypes[t.name]
		if !ok {
			panic("schema: no parameter type " + t.name)
		}
		out.Set(t.name, obj("description", str(desc+", or a placeholder expression"), "anyOf", jsonpos.NewArray(t.lit, placeholder)))
	}
	return out
}

// classParams is the schema of the parameters object of a class.
func classParams(cl *layers.Class) *jsonpos.Node {
	props := obj()
	var required []*jsonpos.Node
	for _, p := range cl.Params {
		desc := fmt.Sprintf("%s (%s", p.Meaning, p.Type)
		if p.Default != nil {
			desc += "; default " + p.Default.String()
		} else {
			desc += "; required"
			required = append(required, str(p.Name))
		}
		desc += ")"
		t := "number"
		if _, ok := layers.ParamTypes[p.Type]; ok {
			t = p.Type
		}
		props.Set(p.Name, obj("description", str(desc), "$ref", str("#/$defs/paramTypes/"+t)))
	}
	o := obj(
		"description", str(fmt.Sprintf("The parameters of %s (modeltool layers %s).", layers.ShortName(cl.Name), layers.ShortName(cl.Name))),
		"type", str("object"),
		"properties", props,
	)
	if len(required) > 0 {
		o.Set("required", jsonpos.NewArray(required...))
	}
	o.Set("patternProperties", obj("^x-", obj("description", str("Your own annotations; modeltool ignores keys that begin with x-."))))
	o.Set("additionalProperties", jsonpos.NewBool(false))
	return o
}

// classDescription explains a class name in completion lists: what it computes, its category
// and its required parameters; alias names the class an alias stands for.
func classDescription(cl *layers.Class, alias string) string {
	var b strings.Builder
	b.WriteString(layers.ShortName(cl.Name))
	if alias != "" {
		fmt.Fprintf(&b, " (%s is computed as %s)", layers.ShortName(alias), cl.Name)
	}
	fmt.Fprintf(&b, " — %s: %s.", cl.Category, cl.Description)
	var req []string
	for _, p := range cl.Required() {
		req = append(req, p.Name)
	}
	if len(req) > 0 {
		fmt.Fprintf(&b, " Parameters: %s.", strings.Join(req, ", "))
	}
	return b.String()
}

// obj builds an object from key, value pairs.
func obj(kv ...any) *jsonpos.Node {
	o := jsonpos.NewObject()
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1].(*jsonpos.Node))
	}
	return o
}

func str(s string) *jsonpos.Node { return jsonpos.NewString(s) }

func ref(def string) *jsonpos.Node { return obj("$ref", str("#/$defs/"+def)) }
