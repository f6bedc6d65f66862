package safetensors

import (
	"encoding/json"
	"fmt"
	"github.com/modeltool/modeltool/internal/diag"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/modeltool/modeltool/internal/fsutil"
)

// IndexSuffix ends the name of a sharded checkpoint's index (model.safetensors.index.json).
const IndexSuffix = ".safetensors.index.json"

// Checkpoint is every tensor of a checkpoint: one file, the shards an index names, or the files
// of a folder.
type Checkpoint struct {
	// Path is what the user named.
	Path string
	// Index is the index file read, "" without one.
	Index string
	Files []*File
	// Tensors are every file's tensors, sorted by name.
	Tensors []Tensor
}

// Open reads the headers of a checkpoint: a .safetensors file, a sharded checkpoint's
// *.safetensors.index.json, or a folder holding either (an index is preferred; without one,
// every *.safetensors file of the folder is read).
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
	switch {
	case len(indexes) == 1:
		return openIndex(dir, filepath.Join(dir, indexes[0]))
	case len(indexes) > 1:
		for _, name := range indexes {
			if name == "model"+IndexSuffix {
				return openIndex(dir, filepath.Join(dir, name))
			}
		}
		return nil, &Error{File: dir, Offset: -1, Msg: fmt.Sprintf("holds several checkpoint indexes (%s): name the one to check", strings.Join(indexes, ", "))}
	case len(files) == 0:
		return nil, &Error{File: dir, Offset: -1, Msg: "holds no .safetensors file and no " + "model" + IndexSuffix}
	}
	sort.Strings(files)
	var read []*File
	for _, name := range files {
		f, err := ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		read = append(read, f)
	}
	return assemble(dir, "", read)
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
