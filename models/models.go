// Package models holds the architecture templates that populate builds model files from, one
// per HuggingFace model_type, embedded in the binary. The populated model files and the
// config.json files they came from sit beside this package as data.
package models

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed templates/*.json
var templates embed.FS

// TemplateNames returns the model_types that have a template, sorted.
func TemplateNames() []string {
	entries, _ := fs.ReadDir(templates, "templates")
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			names = append(names, strings.TrimSuffix(e.Name(), ".json"))
		}
	}
	sort.Strings(names)
	return names
}

// Template returns the text of the template for modelType, and whether there is one.
func Template(modelType string) ([]byte, bool) {
	if modelType == "" || strings.ContainsAny(modelType, "/\\.") {
		return nil, false
	}
	data, err := templates.ReadFile(path.Join("templates", modelType+".json"))
	if err != nil {
		return nil, false
	}
	return data, true
}
