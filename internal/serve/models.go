package serve

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/modeltool/modeltool/internal/fsutil"
	"github.com/modeltool/modeltool/internal/model"
)

// Model is one model file the server may compute.
type Model struct {
	// Name is the file name without .json: what /api/calc?model= names.
	Name string
	// Path is the file as it was given or found (relative to the working directory when the
	// argument was), the name calc reports it under.
	Path string
	// real is the file's resolved path when the server started; a request reads the file only
	// while the path still resolves to it.
	real string
}

// Discover turns the command line's paths into the models to serve. A file named is served as
// it is; a directory gives the model files below it by the rule of every directory walk
// (fsutil.ExpandPaths, then model.Classify: HuggingFace configs, templates and other JSON are
// left out), except that a symlink found in a directory must resolve inside that directory.
// Two files with the same name: the first is served and the other reported in notes.
func Discover(paths []string) (models []Model, notes []string, err error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	for _, p := range paths {
		if p == "-" {
			return nil, nil, fmt.Errorf("serve reads model files, not standard input")
		}
	}
	// What the walk passes over (configs, hidden directories, special files) is not a model.
	found, _, err := fsutil.ExpandPaths(paths)
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]string{}
	for _, f := range found {
		real, err := filepath.EvalSymlinks(f.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		if real, err = filepath.Abs(real); err != nil {
			return nil, nil, err
		}
		if f.Dir != "" {
			dir, err := filepath.EvalSymlinks(f.Dir)
			if err == nil {
				dir, err = filepath.Abs(dir)
			}
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f.Dir, err)
			}
			if !inside(real, dir) {
				notes = append(notes, fmt.Sprintf("%s: skipped, a symlink to %s, outside %s", f.Path, real, f.Dir))
				continue
			}
			data, err := fsutil.ReadFile(f.Path)
			if err != nil {
				notes = append(notes, fmt.Sprintf("%s: skipped, %v", f.Path, err))
				continue
			}
			if kind, _ := model.Classify(data, nil); kind != model.ModelFile {
				continue // a template, a config, other JSON: not a model calc computes
			}
		}
		name := strings.TrimSuffix(filepath.Base(f.Path), ".json")
		if first, ok := byName[name]; ok {
			notes = append(notes, fmt.Sprintf("%s: skipped, %s has the same name", f.Path, first))
			continue
		}
		byName[name] = f.Path
		models = append(models, Model{Name: name, Path: f.Path, real: real})
	}
	sort.SliceStable(models, func(i, j int) bool { return models[i].Name < models[j].Name })
	if len(models) == 0 {
		return nil, notes, fmt.Errorf("no model files in %s", strings.Join(paths, ", "))
	}
	return models, notes, nil
}

// inside reports whether path is dir or below it (both absolute and clean).
func inside(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// stillThere reports whether the model's path still resolves to the file that was found when
// the server started (a file replaced by a symlink to elsewhere is not served).
func (m Model) stillThere() bool {
	real, err := filepath.EvalSymlinks(m.Path)
	if err != nil {
		return false
	}
	real, err = filepath.Abs(real)
	if err != nil || real != m.real {
		return false
	}
	st, err := os.Stat(real)
	return err == nil && st.Mode().IsRegular()
}
