package cli

import (
	"fmt"
	"os"
	"sort"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/project"
	"github.com/modeltool/modeltool/models"
)

// currentProject loads the project file governing the working directory (.modeltool.json
// there or above); nil without one. A broken project file is exit 2, its faults printed at
// their positions, as a broken --catalog is.
func currentProject() (*project.Project, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, nil
	}
	p, err := project.Load(wd)
	if err != nil {
		if ds, _ := diag.Split(err); len(ds) > 0 {
			return nil, brokenInput(fmt.Sprintf("project file %s is not valid", ds[0].File), err)
		}
		return nil, fmt.Errorf("project file %w", err)
	}
	return p, nil
}

// templateSource is one template a command can use: the project's (its path) or a builtin.
type templateSource struct {
	name, description, source string
	data                      []byte
}

// lookupTemplate finds the template for a model_type: the project file's first, then the
// builtin ones.
func lookupTemplate(name string) (templateSource, bool, error) {
	p, err := currentProject()
	if err != nil {
		return templateSource{}, false, err
	}
	if p != nil {
		if t, ok := p.Templates[name]; ok {
			return templateSource{name: name, description: t.Description, source: t.Path, data: t.Data}, true, nil
		}
	}
	if data, ok := models.Template(name); ok {
		return templateSource{name: name, source: "builtin", data: data}, true, nil
	}
	return templateSource{}, false, nil
}

// templateNames lists every template name a command can use, sorted: the builtin ones and the
// project file's. A broken project file adds none (commands that read it report it).
func templateNames() []string {
	names := models.TemplateNames()
	if p, err := currentProject(); err == nil && p != nil {
		seen := map[string]bool{}
		for _, n := range names {
			seen[n] = true
		}
		for _, n := range p.Order {
			if !seen[n] {
				names = append(names, n)
			}
		}
		sort.Strings(names)
	}
	return names
}
