// Command modeltool validates, fills and costs the JSON files that describe large language
// models layer by layer. See README.md; the commands are in internal/cli.
package main

import (
	"os"

	"github.com/modeltool/modeltool/internal/cli"
)

func main() {
	os.Exit(cli.Run())
}
