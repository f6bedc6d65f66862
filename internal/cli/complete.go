package cli

import "github.com/spf13/cobra"

// completeModelPaths completes the file arguments of commands that read model files: .json
// files and directories, nothing else.
func completeModelPaths(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return []string{"json"}, cobra.ShellCompDirectiveFilterFileExt
}
