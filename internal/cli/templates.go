package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/suggest"
)

type templatesOptions struct {
	format string
}

func newTemplatesCmd(s *Streams) *cobra.Command {
	opts := &templatesOptions{}
	cmd := &cobra.Command{
		Use:   "templates [show NAME]",
		Short: "List the architecture templates, or print one",
		Long: `List the architecture templates populate builds model files from — one per HuggingFace
model_type, builtin or named by the project file (.modeltool.json) — or print one with
"templates show NAME", to read it or to start a template of your own from it
(docs/authoring.md).`,
		Example: `  modeltool templates
  modeltool templates show qwen2 > models/templates/my_family.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return nil
			case args[0] != "show":
				return usagef("unknown %q: modeltool templates lists them, modeltool templates show NAME prints one", args[0])
			case len(args) != 2:
				return usagef("templates show takes one NAME (modeltool templates lists them)")
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			switch len(args) {
			case 0:
				return []string{"show"}, cobra.ShellCompDirectiveNoFileComp
			case 1:
				return templateNames(), cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				return runTemplatesShow(s, args[1])
			}
			return runTemplatesList(s, opts)
		},
	}
	cmd.Flags().StringVar(&opts.format, "format", "text", "the list as text or json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runTemplatesShow(s *Streams, name string) error {
	t, ok, err := lookupTemplate(name)
	if err != nil {
		return err
	}
	if !ok {
		names := templateNames()
		msg := fmt.Sprintf("no template %s", quoteName(name))
		if n := suggest.Nearest(name, names); n != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", n)
		}
		return usagef("%s; modeltool templates lists them: %s", msg, strings.Join(names, ", "))
	}
	_, err = s.Out.Write(t.data)
	return err
}

func quoteName(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return fmt.Sprintf("%q", s)
}

func runTemplatesList(s *Streams, opts *templatesOptions) error {
	if err := checkFormat(opts.format, []string{"text", "json"}); err != nil {
		return err
	}
	type entry struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Source      string `json:"source"`
	}
	var list []entry
	for _, n := range templateNames() {
		t, ok, err := lookupTemplate(n)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		d := t.description
		if d == "" {
			d = templateDescription(t.data)
		}
		list = append(list, entry{n, d, t.source})
	}
	if opts.format == "json" {
		out, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(s.Out, "%s\n", out)
		return err
	}
	width := 0
	for _, e := range list {
		width = max(width, len(e.Name))
	}
	var b strings.Builder
	for _, e := range list {
		d := firstSentence(e.Description)
		if e.Source != "builtin" {
			d += " [" + e.Source + "]"
		}
		fmt.Fprintf(&b, "%-*s  %s\n", width, e.Name, d)
	}
	fmt.Fprintf(&b, "\n%d templates; modeltool templates show NAME prints one.\n", len(list))
	_, err := s.Out.Write([]byte(b.String()))
	return err
}

// templateDescription reads a template's template.description.
func templateDescription(data []byte) string {
	var t struct {
		Template struct {
			Description string `json:"description"`
		} `json:"template"`
	}
	if json.Unmarshal(data, &t) != nil {
		return ""
	}
	return t.Template.Description
}

// firstSentence is a description's first sentence, at most 100 characters (cut at a word), for
// a one-line list.
func firstSentence(d string) string {
	if i := strings.Index(d, ". "); i > 0 {
		d = d[:i]
	}
	d = strings.TrimSuffix(d, ".")
	if r := []rune(d); len(r) > 100 {
		cut := string(r[:100])
		if i := strings.LastIndexByte(cut, ' '); i > 60 {
			cut = cut[:i]
		}
		d = cut + "…"
	}
	return d
}
