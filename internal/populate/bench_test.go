package populate_test

import (
	"os"
	"testing"

	"github.com/modeltool/modeltool/internal/populate"
	"github.com/modeltool/modeltool/models"
)

// BenchmarkRun is populate --config of the shipped models that take longest, stage by stage:
// reading and validating the template (load-template) and building, writing and validating the
// model file (run). Llama 4 Scout's 48 decoder layers alternate kinds, so each is built on its
// own; DeepSeek-V2 has a dense first layer before 59 MoE layers.
func BenchmarkRun(b *testing.B) {
	for _, name := range []string{"llama-4-scout-17b-16e-text", "deepseek-v2", "gemma-2-9b", "glm-4.5-air", "ai21-jamba-1.5-mini"} {
		data, err := os.ReadFile("../../models/" + name + ".config.json")
		if err != nil {
			b.Fatal(err)
		}
		cfg, err := populate.ReadConfig(name+".config.json", data)
		if err != nil {
			b.Fatal(err)
		}
		src, ok := models.Template(cfg.ModelType)
		if !ok {
			b.Fatalf("%s: no template %s", name, cfg.ModelType)
		}
		b.Run(name+"/load-template", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := populate.LoadTemplate(cfg.ModelType, src, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		tpl, err := populate.LoadTemplate(cfg.ModelType, src, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/run", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: cfg.ModelType})
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(res.Output)))
			}
		})
	}
}
