package cli

import (
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/layers"
)

// completeModelPaths completes the file arguments of commands that read model files: .json
// files and directories, nothing else.
func completeModelPaths(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return []string{"json"}, cobra.ShellCompDirectiveFilterFileExt
}

// modelFileCommands read model files (or directories of them) as their arguments.
var modelFileCommands = []string{"validate", "calc", "fit", "populate", "tree", "serve"}

// jsonFileFlags name a JSON file (or, for --weights, a checkpoint index or folder).
var jsonFileFlags = []string{"config", "catalog", "template", "hardware-file", "weights"}

// registerFileCompletion makes the model-file commands complete .json files and folders, for
// their arguments and their file flags.
func registerFileCompletion(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.ValidArgsFunction == nil && contains(modelFileCommands, c.Name()) {
			c.ValidArgsFunction = completeModelPaths
		}
		for _, name := range jsonFileFlags {
			if c.Flags().Lookup(name) != nil {
				if _, ok := c.GetFlagCompletionFunc(name); !ok {
					_ = c.RegisterFlagCompletionFunc(name, completeModelPaths)
				}
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// completeClasses completes a class for `modeltool layers`: a short name (Lin → Linear) when it
// names one class, else the full paths and aliases that start with what was typed, each with
// its description.
func completeClasses(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	classesOf := map[string]map[*layers.Class]bool{} // short name -> classes
	desc := map[string]string{}
	var out []string
	for _, c := range layers.Builtin().Classes() {
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			short := layers.ShortName(n)
			if strings.HasPrefix(strings.ToLower(short), strings.ToLower(toComplete)) {
				if classesOf[short] == nil {
					classesOf[short] = map[*layers.Class]bool{}
				}
				classesOf[short][c] = true
				desc[short] = c.Description
			}
			if strings.HasPrefix(n, toComplete) && strings.Contains(toComplete, ".") {
				out = append(out, n+"\t"+c.Description)
			}
		}
	}
	for short, cls := range classesOf {
		if len(cls) == 1 {
			out = append(out, short+"\t"+desc[short])
			continue
		}
		for c := range cls {
			for _, n := range append([]string{c.Name}, c.Aliases...) {
				if layers.ShortName(n) == short {
					out = append(out, n+"\t"+c.Description)
				}
			}
		}
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}
