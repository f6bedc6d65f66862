package models_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/model"
)

// TestShippedModelsAreUpToDate rebuilds every shipped model file from the config beside it
// and requires the same bytes, so the files never drift from their templates.
func TestShippedModelsAreUpToDate(t *testing.T) {
	configs, err := filepath.Glob("*.config.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(configs) == 0 {
		t.Fatal("no shipped configs")
	}
	for _, cfg := range configs {
		modelPath := strings.TrimSuffix(cfg, ".config.json") + ".json"
		t.Run(modelPath, func(t *testing.T) {
			want, err := os.ReadFile(modelPath)
			if err != nil {
				t.Fatalf("every shipped config has its model file beside it: %v", err)
			}
			f, err := model.Parse(modelPath, want)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := populateConfig(t, cfg, data, f.ModelID)
			if err != nil {
				t.Fatalf("%s: %v", cfg, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what populate builds from %s; regenerate it:\n  modeltool populate --config models/%s --model-id %s -o models/%s",
					modelPath, cfg, cfg, f.ModelID, modelPath)
			}
		})
	}
}
