package populate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
)

// Mode says what populate does with an existing model file.
type Mode int

const (
	// Fill adds what the file lacks and keeps every value the author wrote, also where the
	// config gives another (reported as kept).
	Fill Mode = iota
	// Update makes the file follow its config: it also rewrites every value the template derives
	// that differs, removes a tied_to the config no longer gives and inserts the template's
	// layers the file lacks. What the template does not derive (x- keys, the file's own
	// variables and layers, variables that are calc-time choices such as seq_len) stays.
	Update
	// Check changes nothing: Result.Drift lists every derived value that differs from the
	// config's and everything the file lacks, positioned in the file.
	Check
)

// Report says what a fill did and did not do.
type Report struct {
	// Filled lists, per layer, the keys populate wrote into it.
	Filled []Change
	// Added lists the layers inserted from the template (with --add-missing or --update).
	Added []string
	// Updated lists the values --update rewrote: "model.norm: hidden_size 4096 → 5120".
	Updated []string
	// Kept lists values the author wrote that differ from what the config gives.
	Kept []string
	// Unmatched lists the file's layers that have no counterpart in the template.
	Unmatched []string
	// Missing lists the template's layers the file lacks (insert them with --add-missing).
	Missing []string
	// Notes holds anything else worth saying (older layouts recognised).
	Notes []string
}

// Change is one layer (or the file, with an empty path) and the keys populate wrote into it.
type Change struct {
	Path string
	Keys []string
}

// keyOrder is the order populate gives the keys of a layer it writes.
var keyOrder = []string{"name", "class", "repeat", "tied_to", "routed", "parallel", "parameters", "sub_layers"}

// insertKey adds key to a layer object at its canonical place: before the first existing key
// that comes later in keyOrder, else at the end.
func insertKey(obj *jsonpos.Node, key string, v *jsonpos.Node) {
	rank := slices.Index(keyOrder, key)
	for i, m := range obj.Members {
		if r := slices.Index(keyOrder, m.Key); r > rank {
			obj.Insert(i, key, v)
			return
		}
	}
	obj.Set(key, v)
}

// filler compares an existing file (a clone of its tree, which it changes) with the model the
// template generates from the config, and fills, updates or only reports, by mode.
type filler struct {
	cat        *layers.Catalog
	gen        *generated
	mode       Mode
	addMissing bool
	report     *Report
	// doc is the existing file, for the positions of drift.
	doc *jsonpos.Document
	// drift lists every difference, whatever the mode.
	drift []diag.Diagnostic
	// losses lists what the author wrote that --update would remove with a layer and can
	// carry nowhere (see carry): --update then refuses.
	losses []diag.Diagnostic
	// derivedVars are the template's variables whose values come from config keys
	// (dtype_bytes from torch_dtype); the others are calc-time choices (seq_len), not drift.
	derivedVars map[string]bool
	// modelIDDerived says the config names the model: --model-id, or an _name_or_path that is
	// a Hub id (org/name). A bare name or a local path (configs saved from a download hold
	// "/root/.cache/…/Qwen2-0___5B" or "Phi-3-mini-4k-instruct") and a model_id guessed from
	// the config's file name are no reason to call a file out of sync.
	modelIDDerived bool
	// tiedPaths are the template layers that have a tied_to in some variant: only there is a
	// tied_to the config no longer gives drift (elsewhere it is the author's).
	tiedPaths map[string]bool
	// conditional are the names of template layers that exist only under some configs: those
	// with an "if", and the runs of those with an "index" (NAME, NAME_FIRST_LAST). A layer of
	// the file with such a name that the config does not give now was derived from an earlier
	// config, not written by the author: drift, and --update removes it.
	conditional map[string]bool
	indexed     []string
	// tpl is the template's top-level layers, walked beside the file to know what each layer
	// of the template derives (a class from the config or a fixed one).
	tpl []*model.Layer
}

func newFiller(req Request, cat *layers.Catalog, gen *generated, report *Report) *filler {
	f := &filler{cat: cat, gen: gen, mode: req.Mode, addMissing: req.AddMissing || req.Mode == Update, report: report,
		doc: req.Existing.Doc, derivedVars: map[string]bool{}, tiedPaths: map[string]bool{},
		modelIDDerived: req.ModelID != "" || isHubID(req.Config.Get("_name_or_path")), tpl: req.Template.Layers}
	tpl := req.Template
	for _, v := range tpl.Variables {
		if v.Value.Expr == nil {
			continue
		}
		for _, name := range v.Value.Expr.VarNames() {
			if tpl.Template.ConfigKey(name) != nil {
				f.derivedVars[v.Name] = true
			}
		}
	}
	f.conditional = map[string]bool{}
	model.Walk(tpl.Layers, func(l *model.Layer) bool {
		if l.TiedTo != "" {
			f.tiedPaths[l.Path] = true
		}
		if l.If != nil || l.Index != "" {
			f.conditional[l.Name] = true
		}
		if l.Index != "" {
			f.indexed = append(f.indexed, l.Name)
		}
		return true
	})
	return f
}

// stale reports whether an unmatched layer of the file is one the template derives under other
// configs (see conditional).
func (f *filler) stale(name string) bool {
	if f.conditional[name] {
		return true
	}
	for _, t := range f.indexed {
		if _, _, ok := runOf(name, t); ok {
			return true
		}
	}
	return false
}

// runOf reports whether name is the name populate gives a run of the indexed layer base
// (base_FIRST_LAST), and the run's first and last instance.
func runOf(name, base string) (first, last int64, ok bool) {
	rest, ok := strings.CutPrefix(name, base+"_")
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(rest, "_")
	if !ok {
		return 0, 0, false
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	return first, last, err1 == nil && err2 == nil
}

// templateLayer is the layer of ts that a layer named name comes from: by its name or one of
// its aliases, or as a run of an indexed layer; nil when none.
func templateLayer(ts []*model.Layer, name string) *model.Layer {
	for _, t := range ts {
		if t.Name == name || slices.Contains(t.Aliases, name) {
			return t
		}
	}
	for _, t := range ts {
		if _, _, ok := runOf(name, t.Name); ok && t.Index != "" {
			return t
		}
	}
	return nil
}

// isHubID reports whether n is a string of the form org/name, as Hub model ids are.
func isHubID(n *jsonpos.Node) bool {
	if n == nil || n.Kind != jsonpos.String {
		return false
	}
	org, name, ok := strings.Cut(n.Text, "/")
	valid := func(s string) bool {
		if s == "" || s[0] == '.' || s[0] == '-' {
			return false
		}
		for _, c := range s {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return false
			}
		}
		return true
	}
	return ok && valid(org) && valid(name)
}

func layerName(n *jsonpos.Node) string {
	if v := n.Get("name"); v != nil && v.Kind == jsonpos.String {
		return v.Text
	}
	return ""
}

func layerClass(n *jsonpos.Node) string {
	if v := n.Get("class"); v != nil && v.Kind == jsonpos.String {
		return v.Text
	}
	return ""
}

func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// differs records a value of the file (at node have, whose JSON pointer is ptr) that is not
// the value the config gives (want; nil when the config gives none), and applies the mode:
// Update takes the config's value (set puts it in place; want nil removes the key), Fill keeps
// the author's. what names the value in messages ("in_features", "variable dtype_bytes").
func (f *filler) differs(path, ptr, what string, have, want *jsonpos.Node, set func(*jsonpos.Node)) {
	f.differsFrom("config", path, ptr, what, have, want, set)
}

// differsFrom is differs for a value that source ("config", "template") gives. Two objects or
// two arrays (parallel, routed) are told apart by the leaves that differ, each at its own
// position ("parallel.kv_heads is 32, the config gives 8"), never as "an object".
func (f *filler) differsFrom(source, path, ptr, what string, have, want *jsonpos.Node, set func(*jsonpos.Node)) {
	if want != nil && have.Kind == want.Kind && (have.Kind == jsonpos.Object || have.Kind == jsonpos.Array) {
		leaves := leafDiffs(what, ptr, have, want, nil)
		for _, l := range leaves {
			f.leafDiffers(source, path, l)
		}
		if f.mode == Update && len(leaves) > 0 {
			set(want)
		}
		return
	}
	f.leafDiffers(source, path, leaf{what: what, ptr: ptr, have: have, want: want})
	if f.mode == Update {
		set(want)
	}
}

// leaf is one value that differs inside two objects or arrays: have or want is nil where
// only the other has it; parent is the container of have (for a position when have is nil).
type leaf struct {
	what, ptr  string
	have, want *jsonpos.Node
	parent     *jsonpos.Node
}

// leafDiffs lists the leaves at which have and want (named what, at JSON pointer ptr) differ,
// in want's order and then have's extra members.
func leafDiffs(what, ptr string, have, want, parent *jsonpos.Node) []leaf {
	switch {
	case have == nil || want == nil || have.Kind != want.Kind:
		if have != nil && want != nil && sameValue(have, want) {
			return nil
		}
		return []leaf{{what, ptr, have, want, parent}}
	case have.Kind == jsonpos.Object:
		var out []leaf
		for _, m := range want.Members {
			out = append(out, leafDiffs(what+"."+m.Key, ptr+"/"+jsonpos.EscapePointerToken(m.Key), have.Get(m.Key), m.Value, have)...)
		}
		for _, m := range have.Members {
			if want.Get(m.Key) == nil {
				out = append(out, leaf{what + "." + m.Key, ptr + "/" + jsonpos.EscapePointerToken(m.Key), m.Value, nil, have})
			}
		}
		return out
	case have.Kind == jsonpos.Array:
		var out []leaf
		for i := range max(len(have.Items), len(want.Items)) {
			var h, w *jsonpos.Node
			if i < len(have.Items) {
				h = have.Items[i]
			}
			if i < len(want.Items) {
				w = want.Items[i]
			}
			out = append(out, leafDiffs(fmt.Sprintf("%s[%d]", what, i), ptr+"/"+strconv.Itoa(i), h, w, have)...)
		}
		return out
	}
	if sameValue(have, want) {
		return nil
	}
	return []leaf{{what, ptr, have, want, parent}}
}

// leafDiffers records one value of differsFrom that differs (a scalar, or a leaf of two
// objects or arrays) and reports what the mode does with it; the caller applies Update.
func (f *filler) leafDiffers(source, path string, l leaf) {
	haveText, gives, at := "none", "none", 0
	if l.have != nil {
		haveText, at = show(l.have), l.have.Offset
	} else {
		at = l.parent.Offset
	}
	if l.want != nil {
		gives = show(l.want)
	}
	msg := fmt.Sprintf("%s is %s, the %s gives %s", l.what, haveText, source, gives)
	if l.have == nil {
		msg = fmt.Sprintf("lacks %s (the %s gives %s)", l.what, source, gives)
	}
	d := f.doc.Diagnostic(at, "drift", msg)
	d.Layer, d.Pointer = path, l.ptr
	f.drift = append(f.drift, d)
	where := path
	if where == "" {
		where = "(file)"
	}
	switch f.mode {
	case Update:
		f.report.Updated = append(f.report.Updated, fmt.Sprintf("%s: %s %s → %s", where, l.what, haveText, gives))
	case Fill:
		f.report.Kept = append(f.report.Kept, fmt.Sprintf("%s: %s %s (the %s gives %s)", path, l.what, haveText, source, gives))
	}
}

// lacks records a value the config gives that the file does not have; the caller fills it
// (every mode fills the clone; Check does not write it). at is the offset of the object that
// lacks it.
func (f *filler) lacks(path, ptr string, at int, what string, want *jsonpos.Node) {
	msg := "lacks " + what
	if want != nil {
		msg = fmt.Sprintf("lacks %s (the config gives %s)", what, show(want))
	}
	d := f.doc.Diagnostic(at, "drift", msg)
	d.Layer, d.Pointer = path, ptr
	f.drift = append(f.drift, d)
}

// fillFile fills root (a clone of the author's file) from the generated model.
func (f *filler) fillFile(root *jsonpos.Node) {
	g := f.gen.root
	var top []string
	gid, eid := g.Get("model_id"), root.Get("model_id")
	switch {
	case gid == nil:
	case eid == nil:
		f.lacks("", "/model_id", root.Offset, "model_id", gid)
		root.Insert(0, "model_id", gid.Clone())
		top = append(top, "model_id")
	case f.modelIDDerived && !jsonpos.Equal(eid, gid):
		f.differs("", "/model_id", "model_id", eid, gid, func(n *jsonpos.Node) { root.Set("model_id", n.Clone()) })
	}
	if gv := g.Get("variables"); gv != nil {
		ev := root.Get("variables")
		if ev == nil {
			f.lacks("", "/variables", root.Offset, `"variables" (populate fills the template's)`, nil)
			at := root.Index("layers")
			if at < 0 {
				at = len(root.Members)
			}
			root.Insert(at, "variables", gv.Clone())
			top = append(top, "variables")
		} else if ev.Kind == jsonpos.Object {
			for _, m := range gv.Members {
				ptr := "/variables/" + jsonpos.EscapePointerToken(m.Key)
				have := ev.Get(m.Key)
				switch {
				case have == nil:
					f.lacks("", ptr, ev.Offset, "variable "+m.Key, m.Value)
					ev.Set(m.Key, m.Value.Clone())
					top = append(top, "variables."+m.Key)
				case f.derivedVars[m.Key] && !sameValue(have, m.Value):
					key, want := m.Key, m.Value
					f.differs("", ptr, "variable "+key, have, want, func(n *jsonpos.Node) { ev.Set(key, n.Clone()) })
				}
			}
		}
	}
	if len(top) > 0 {
		f.report.Filled = append(f.report.Filled, Change{Path: "", Keys: top})
	}
	el, gl := root.Get("layers"), g.Get("layers")
	if el == nil || el.Kind != jsonpos.Array || gl == nil {
		return
	}
	f.layers(el, gl, f.tpl, "", "", "/layers")
}

// match finds the generated sibling for an existing layer name.
func (f *filler) match(gArr *jsonpos.Node, name string, used map[*jsonpos.Node]bool) *jsonpos.Node {
	for _, g := range gArr.Items {
		if !used[g] && layerName(g) == name {
			return g
		}
	}
	for _, g := range gArr.Items {
		if !used[g] && slices.Contains(f.gen.aliases[g], name) {
			return g
		}
	}
	return nil
}

// layers fills the layers of an existing sub_layers array from the generated one; ts are the
// template layers gArr was built from. ePath is the dotted path of the parent in the author's
// file, gPath in the generated one; ePtr is the JSON pointer of eArr in the file.
func (f *filler) layers(eArr, gArr *jsonpos.Node, ts []*model.Layer, ePath, gPath, ePtr string) {
	used := map[*jsonpos.Node]bool{}
	matchOf := map[*jsonpos.Node]*jsonpos.Node{} // generated -> existing
	var gone []*jsonpos.Node
	for i, e := range eArr.Items {
		if e.Kind != jsonpos.Object {
			continue
		}
		name := layerName(e)
		ptr := ePtr + "/" + strconv.Itoa(i)
		g := f.match(gArr, name, used)
		if g == nil {
			switch {
			case f.legacy(e, join(ePath, name), ptr):
			case f.stale(name):
				d := f.doc.Diagnostic(e.Offset, "drift", "the config does not give this layer (the template has it only under other config values); populate --update removes it")
				d.Layer, d.Pointer = join(ePath, name), ptr
				f.drift = append(f.drift, d)
				if f.mode == Update {
					gone = append(gone, e)
					f.report.Updated = append(f.report.Updated, fmt.Sprintf("%s: removed, the config does not give it", join(ePath, name)))
				} else {
					f.report.Unmatched = append(f.report.Unmatched, join(ePath, name)+" (the template has it only under other config values)")
				}
			default:
				f.report.Unmatched = append(f.report.Unmatched, join(ePath, name))
			}
			continue
		}
		used[g] = true
		matchOf[g] = e
		f.layer(e, g, templateLayer(ts, layerName(g)), join(ePath, name), join(gPath, layerName(g)), ptr)
	}
	// Layers of the template the file lacks: drift; inserted at their template position with
	// --add-missing and --update.
	insertAt := 0
	for _, g := range gArr.Items {
		if e := matchOf[g]; e != nil {
			insertAt = slices.Index(eArr.Items, e) + 1
			continue
		}
		f.lacks(ePath, ePtr, eArr.Offset, fmt.Sprintf("layer %s, which the template has (populate --update or --add-missing inserts it)", layerName(g)), nil)
		path := join(ePath, layerName(g))
		if !f.addMissing {
			f.report.Missing = append(f.report.Missing, path)
			continue
		}
		eArr.Items = slices.Insert(eArr.Items, insertAt, g.Clone())
		insertAt++
		f.report.Added = append(f.report.Added, path)
	}
	for _, e := range gone {
		f.carry(e, templateLayer(ts, layerName(e)), eArr, gone, ePath)
	}
	if len(gone) > 0 {
		eArr.Items = slices.DeleteFunc(eArr.Items, func(n *jsonpos.Node) bool { return slices.Contains(gone, n) })
	}
}

// legacy recognises modules of older transformers layouts that the current template has
// elsewhere, and fills them. Today that is the rotary embedding that transformers ≤ 4.47 kept
// inside every attention module (besides the model-level one): the forward pass of those
// versions takes cos and sin from the model-level module and never calls the per-layer one, so
// it is filled with the model-level parameters and num_positions 0.
func (f *filler) legacy(e *jsonpos.Node, path, ptr string) bool {
	cl := f.cat.Lookup(layerClass(e))
	if cl == nil || cl.Category != "rotary" || cl.Param("num_positions") == nil || e.Get("sub_layers") != nil {
		return false
	}
	var model *jsonpos.Node
	var modelPath string
	var find func(arr *jsonpos.Node, prefix string)
	find = func(arr *jsonpos.Node, prefix string) {
		for _, g := range arr.Items {
			p := join(prefix, layerName(g))
			if g.Get("sub_layers") != nil {
				find(g.Get("sub_layers"), p)
				continue
			}
			if model == nil && f.cat.Lookup(layerClass(g)) == cl && layerName(g) == layerName(e) {
				model, modelPath = g, p
			}
		}
	}
	find(f.gen.root.Get("layers"), "")
	if model == nil {
		return false
	}
	params := model.Get("parameters").Clone()
	params.Set("num_positions", jsonpos.NewNumber("0"))
	if f.fillParams(e, params, path, ptr) {
		f.report.Notes = append(f.report.Notes, fmt.Sprintf("%s: an older layout's per-attention rotary embedding; filled from %s with num_positions 0, since the forward pass never calls it", path, modelPath))
	}
	return true
}

// layer fills one matched layer; t is the template layer g was built from (nil if unknown).
func (f *filler) layer(e, g *jsonpos.Node, t *model.Layer, ePath, gPath, ptr string) {
	var keys []string
	eClass, gClass := layerClass(e), layerClass(g)
	gSubs := g.Get("sub_layers")
	eSubs := e.Get("sub_layers")
	if gSubs == nil && eSubs != nil || gSubs != nil && eSubs == nil && e.Get("parameters") != nil {
		f.report.Unmatched = append(f.report.Unmatched, fmt.Sprintf("%s (composite in one, basic in the other: left as it is)", ePath))
		return
	}
	// The class is derived like any value: from the config when the template's class is an
	// expression (activation({hidden_act})), else the template's own. For a basic layer
	// another name of the same catalog class is drift too (the class picks the formulas, and a
	// --catalog may tell the names apart); a class of another catalog entry also changes what
	// its parameters are. A composite layer's class is a label calc never reads: only one the
	// config chooses is drift, so a file from an older transformers layout
	// (LlamaSdpaAttention, ≤ 4.47) keeps its module names.
	otherClass := false
	derived := gSubs == nil || t != nil && t.ClassExpr != nil
	if derived && eClass != "" && gClass != "" && eClass != gClass {
		source := "template"
		if t != nil && t.ClassExpr != nil {
			source = "config"
		}
		ec, gc := f.cat.Lookup(eClass), f.cat.Lookup(gClass)
		otherClass = gSubs == nil && (ec == nil || ec != gc)
		f.differsFrom(source, ePath, ptr+"/class", "class", e.Get("class"), jsonpos.NewString(gClass), func(n *jsonpos.Node) { e.Set("class", n.Clone()) })
		if otherClass && f.mode == Fill {
			// The author's class stays, and the layer with it: what the template gives is
			// another class's.
			f.report.Notes = append(f.report.Notes, ePath+": left as it is, for the class it keeps")
			return
		}
	}
	if e.Get("class") == nil && gClass != "" {
		f.lacks(ePath, ptr, e.Offset, "class", jsonpos.NewString(gClass))
		insertKey(e, "class", jsonpos.NewString(gClass))
		keys = append(keys, "class")
	}
	for _, key := range []string{"repeat", "tied_to", "routed", "parallel"} {
		gv := g.Get(key)
		ev := e.Get(key)
		kptr := ptr + "/" + key
		switch {
		case gv == nil && ev != nil && key == "tied_to" && f.tiedPaths[gPath]:
			// The template ties this layer under other config values, not under these.
			f.differs(ePath, kptr, key, ev, nil, func(*jsonpos.Node) { e.Delete(key) })
		case gv == nil:
		case ev == nil:
			f.lacks(ePath, kptr, e.Offset, key, gv)
			insertKey(e, key, gv.Clone())
			keys = append(keys, key)
		case !sameValue(ev, gv):
			f.differs(ePath, kptr, key, ev, gv, func(n *jsonpos.Node) { e.Set(key, n.Clone()) })
		}
	}
	if len(keys) > 0 {
		f.report.Filled = append(f.report.Filled, Change{Path: ePath, Keys: keys})
	}
	if gSubs != nil {
		if eSubs == nil {
			f.lacks(ePath, ptr, e.Offset, "its sub-layers, which the template has (populate --update or --add-missing inserts them)", nil)
			if !f.addMissing {
				f.report.Missing = append(f.report.Missing, ePath+" (its sub-layers)")
				return
			}
			eSubs = jsonpos.NewArray()
			insertKey(e, "sub_layers", eSubs)
		}
		if eSubs.Kind == jsonpos.Array {
			var ts []*model.Layer
			if t != nil {
				ts = t.SubLayers
			}
			f.layers(eSubs, gSubs, ts, ePath, gPath, ptr+"/sub_layers")
		}
		return
	}
	gp := g.Get("parameters")
	switch {
	case gp == nil:
	case !otherClass:
		f.fillParams(e, gp, ePath, ptr)
	case f.mode == Update:
		// The class changed: its parameters follow, and those the new class lacks go.
		f.fillParams(e, gp, ePath, ptr)
		f.dropForeignParams(e, gp, gClass, ePath)
	}
	// Check, with another class: the class's finding says it; another class's parameters are
	// not compared one by one.
}

// dropForeignParams removes the parameters of e that the class it now has does not take
// (after --update changed its class), reporting each.
func (f *filler) dropForeignParams(e, gp *jsonpos.Node, class, path string) {
	ep := e.Get("parameters")
	cl := f.cat.Lookup(class)
	if ep == nil || ep.Kind != jsonpos.Object || cl == nil {
		return
	}
	var gone []string
	for _, m := range ep.Members {
		if gp.Get(m.Key) == nil && cl.Param(m.Key) == nil {
			gone = append(gone, m.Key)
			f.report.Updated = append(f.report.Updated, fmt.Sprintf("%s: parameter %s %s removed, %s takes none", path, m.Key, show(m.Value), layers.ShortName(class)))
		}
	}
	for _, key := range gone {
		ep.Delete(key)
	}
}

// fillParams adds the generated parameters e lacks, compares those it has, and reports
// whether it added any.
func (f *filler) fillParams(e, gp *jsonpos.Node, path, ptr string) bool {
	ep := e.Get("parameters")
	at := e.Offset
	if ep == nil {
		ep = jsonpos.NewObject()
		insertKey(e, "parameters", ep)
	} else {
		at = ep.Offset
	}
	if ep.Kind != jsonpos.Object {
		f.report.Unmatched = append(f.report.Unmatched, path+" (its parameters are not an object: left as they are)")
		return false
	}
	var added []string
	var addedValue *jsonpos.Node
	for _, m := range gp.Members {
		pptr := ptr + "/parameters/" + jsonpos.EscapePointerToken(m.Key)
		ev := ep.Get(m.Key)
		if ev == nil {
			ep.Set(m.Key, m.Value.Clone())
			added = append(added, m.Key)
			addedValue = m.Value
			continue
		}
		if !sameValue(ev, m.Value) {
			key := m.Key
			f.differs(path, pptr, key, ev, m.Value, func(n *jsonpos.Node) { ep.Set(key, n.Clone()) })
		}
	}
	// Scales populate derived from an earlier quantization_config, which the config no longer
	// gives this layer.
	for _, key := range quantParams {
		if ev := ep.Get(key); ev != nil && gp.Get(key) == nil {
			f.differs(path, ptr+"/parameters/"+key, key, ev, nil, func(*jsonpos.Node) { ep.Delete(key) })
		}
	}
	// One finding per layer, not one per parameter: an unfilled layer lacks them all.
	switch pptr := ptr + "/parameters"; len(added) {
	case 0:
	case 1:
		f.lacks(path, pptr+"/"+jsonpos.EscapePointerToken(added[0]), at, "parameter "+added[0], addedValue)
	default:
		f.lacks(path, pptr, at, "parameters "+strings.Join(added, ", ")+" (populate fills them from the config)", nil)
	}
	if len(added) > 0 {
		f.report.Filled = append(f.report.Filled, Change{Path: path, Keys: added})
	}
	return len(added) > 0
}

// sameValue compares two values by meaning: numbers by value, expressions by canonical form.
func sameValue(a, b *jsonpos.Node) bool {
	if jsonpos.Equal(a, b) {
		return true
	}
	ea, erra := asExpr(a)
	eb, errb := asExpr(b)
	if erra != nil || errb != nil {
		return false
	}
	if ca, ok := ea.IsConst(); ok {
		cb, ok := eb.IsConst()
		return ok && ca.Equal(cb)
	}
	return ea.String() == eb.String()
}

func asExpr(n *jsonpos.Node) (*expr.Expr, error) {
	switch n.Kind {
	case jsonpos.Number:
		v, err := expr.ParseNumber(n.Text)
		if err != nil {
			return nil, err
		}
		return expr.Const(v), nil
	case jsonpos.Bool:
		return expr.Const(expr.Bool(n.BoolValue())), nil
	case jsonpos.String:
		return expr.Parse(n.Text)
	}
	return nil, fmt.Errorf("not a value")
}

// show writes a value for a message: a short object or array as its compact JSON
// ({"tp":"column"}), a long one by its kind.
func show(n *jsonpos.Node) string {
	switch n.Kind {
	case jsonpos.String:
		return fmt.Sprintf("%q", n.Text)
	case jsonpos.Object, jsonpos.Array:
		if text := jsonpos.MarshalCompact(n); len(text) <= 60 {
			return string(text)
		}
		return n.Kind.WithArticle()
	}
	return n.Text
}
