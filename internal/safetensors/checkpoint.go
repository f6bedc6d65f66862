package safetensors

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/fsutil"
)

// IndexSuffix ends the name of a sharded checkpoint's index (model.safetensors.index.json).
const IndexSuffix = ".safetensors.index.json"

// Checkpoint is every tensor of a checkpoint: one file, the shards an index names, or what
// transformers loads from a folder.
type Checkpoint struct {
	// Path is what the user named.
	Path string
	// Index is the index file read, "" without one.
	Index string
	Files []*File
	// Tensors are every file's tensors, sorted by name.
	Tensors []Tensor
	// Notes say which .safetensors files of a folder were not read, and why.
	Notes []string
}

// Open reads the headers of a checkpoint: a .safetensors file, a sharded checkpoint's
// *.safetensors.index.json, or a folder, of which it reads what transformers' from_pretrained
// loads: the index (model.safetensors.index.json) and the shards it names, else
// model.safetensors, else the shards named model-NNNNN-of-NNNNN.safetensors when all of them are
// there. Other .safetensors files of the folder (Mistral's consolidated.safetensors, an
// adapter) are not read, and a note says so.
func Open(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, pathError(err)
	}
	if st.IsDir() {
		return openDir(path)
	}
	if strings.HasSuffix(path, IndexSuffix) || strings.HasSuffix(path, ".index.json") {
		return openIndex(path, path)
	}
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return assemble(path, "", []*File{f})
}

// SingleName is the file transformers loads from a folder without an index.
const SingleName = "model.safetensors"

// shardName is the name transformers gives the shards of a checkpoint: model-00001-of-00004.safetensors.
var shardName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^model-(\d{5,})-of-(\d{5,})\.safetensors$`)
})

func openDir(dir string) (*Checkpoint, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, pathError(err)
	}
	var indexes, files []string
	for _, e := range entries {
		if !e.Type().IsRegular() && e.Type()&os.ModeSymlink == 0 {
			continue
		}
		switch name := e.Name(); {
		case strings.HasSuffix(name, IndexSuffix):
			indexes = append(indexes, name)
		case strings.HasSuffix(name, ".safetensors"):
			files = append(files, name)
		}
	}
	sort.Strings(files)
	var ck *Checkpoint
	switch {
	case len(indexes) == 1:
		ck, err = openIndex(dir, filepath.Join(dir, indexes[0]))
	case len(indexes) > 1:
		if !slices.Contains(indexes, "model"+IndexSuffix) {
			return nil, &Error{File: dir, Offset: -1, Msg: fmt.Sprintf("holds several checkpoint indexes (%s): name the one to check", strings.Join(indexes, ", "))}
		}
		ck, err = openIndex(dir, filepath.Join(dir, "model"+IndexSuffix))
	case len(files) == 0:
		return nil, &Error{File: dir, Offset: -1, Msg: "holds no .safetensors file and no " + "model" + IndexSuffix}
	default:
		var names []string
		if names, err = unindexed(dir, files); err != nil {
			return nil, err
		}
		var read []*File
		for _, name := range names {
			f, err := ReadFile(filepath.Join(dir, name))
			if err != nil {
				return nil, err
			}
			read = append(read, f)
		}
		ck, err = assemble(dir, "", read)
	}
	if err != nil {
		return nil, err
	}
	ck.noteUnread(dir, files)
	return ck, nil
}

// unindexed chooses, from the .safetensors files of a folder without an index, the ones
// transformers loads: model.safetensors, else a complete set of model-NNNNN-of-NNNNN shards.
func unindexed(dir string, files []string) ([]string, error) {
	if slices.Contains(files, SingleName) {
		return []string{SingleName}, nil
	}
	shards := map[int]string{} // shard number → file
	total, first := "", ""
	for _, name := range files {
		m := shardName().FindStringSubmatch(name)
		if m == nil {
			continue
		}
		if total != "" && m[2] != total {
			return nil, &Error{File: dir, Offset: -1, Msg: fmt.Sprintf("holds shards of two checkpoints (%s and %s) and no index: name the index or the file to check", first, name)}
		}
		total, first = m[2], cmp.Or(first, name)
		if k, err := strconv.Atoi(m[1]); err == nil {
			shards[k] = name
		}
	}
	if total == "" {
		return nil, &Error{File: dir, Offset: -1, Msg: fmt.Sprintf("holds no %s, no model-NNNNN-of-NNNNN.safetensors shards and no model%s, which is what transformers loads from a folder; name the file to check (it holds %s)", SingleName, IndexSuffix, strings.Join(files, ", "))}
	}
	// Shards 1 … n, each present; n may be absurd (…-of-99999999): the first missing one is
	// among the first len(shards)+1.
	n, err := strconv.Atoi(total)
	if err != nil || n < 1 {
		return nil, &Error{File: dir, Offset: -1, Msg: fmt.Sprintf("holds %s, a shard of no checkpoint (of %s shards), and no model%s", first, total, IndexSuffix)}
	}
	var chosen []string
	for k := 1; k <= n; k++ {
		name, ok := shards[k]
		if !ok {
			return nil, &Error{File: dir, Offset: -1, Msg: fmt.Sprintf("holds shards model-NNNNN-of-%s.safetensors but not all of them (model-%05d-of-%s.safetensors is missing) and no model%s", total, k, total, IndexSuffix)}
		}
		chosen = append(chosen, name)
	}
	return chosen, nil
}

// noteUnread notes the .safetensors files of the folder that the checkpoint does not read.
func (c *Checkpoint) noteUnread(dir string, files []string) {
	read := map[string]bool{}
	for _, f := range c.Files {
		read[filepath.Base(f.Path)] = true
	}
	for _, name := range files {
		if read[name] {
			continue
		}
		why := "without an index transformers loads " + SingleName + " or its model-NNNNN-of-NNNNN shards only"
		if c.Index != "" {
			why = "the index " + filepath.Base(c.Index) + " does not name it"
		}
		c.Notes = append(c.Notes, fmt.Sprintf("%s: not read: %s (name it to check it)", filepath.Join(dir, name), why))
	}
}

// index is a sharded checkpoint's index file.
type index struct {
	WeightMap map[string]string `json:"weight_map"`
}

func openIndex(path, indexPath string) (*Checkpoint, error) {
	data, err := fsutil.ReadFile(indexPath)
	if err != nil {
		return nil, err
	}
	var idx index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, &Error{File: indexPath, Offset: -1, Msg: "not a checkpoint index: " + jsonMessage(err)}
	}
	if idx.WeightMap == nil {
		return nil, &Error{File: indexPath, Offset: -1, Msg: `not a checkpoint index: it has no "weight_map" object`}
	}
	dir := filepath.Dir(indexPath)
	shards := map[string][]string{} // shard → tensors the index places in it
	for tensor, shard := range idx.WeightMap {
		if !filepath.IsLocal(shard) {
			return nil, &Error{File: indexPath, Offset: -1, Msg: fmt.Sprintf("tensor %s is in %q, which is not a file beside the index", diag.Quote(tensor), shard)}
		}
		shards[shard] = append(shards[shard], tensor)
	}
	names := make([]string, 0, len(shards))
	for s := range shards {
		names = append(names, s)
	}
	sort.Strings(names)
	var files []*File
	for _, name := range names {
		f, err := ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		have := make(map[string]bool, len(f.Tensors))
		for _, t := range f.Tensors {
			have[t.Name] = true
			if s, ok := idx.WeightMap[t.Name]; !ok || s != name {
				where := "does not list it"
				if ok {
					where = "places it in " + s
				}
				return nil, &Error{File: f.Path, Offset: -1, Msg: fmt.Sprintf("holds tensor %s, but the index %s", diag.Quote(t.Name), where)}
			}
		}
		want := shards[name]
		sort.Strings(want)
		for _, t := range want {
			if !have[t] {
				return nil, &Error{File: f.Path, Offset: -1, Msg: fmt.Sprintf("the index places tensor %s in this file, which does not hold it", diag.Quote(t))}
			}
		}
		files = append(files, f)
	}
	return assemble(path, indexPath, files)
}

// assemble joins the files' tensors, refusing a tensor that two files hold.
func assemble(path, indexPath string, files []*File) (*Checkpoint, error) {
	c := &Checkpoint{Path: path, Index: indexPath, Files: files}
	for _, f := range files {
		c.Tensors = append(c.Tensors, f.Tensors...)
	}
	sort.SliceStable(c.Tensors, func(i, j int) bool { return c.Tensors[i].Name < c.Tensors[j].Name })
	for i := 1; i < len(c.Tensors); i++ {
		if a, b := c.Tensors[i-1], c.Tensors[i]; a.Name == b.Name {
			return nil, &Error{File: b.File, Offset: -1, Msg: fmt.Sprintf("tensor %s is also in %s", diag.Quote(b.Name), a.File)}
		}
	}
	return c, nil
}
