// Command modeltool validates, fills and costs the JSON files that describe large language
// models layer by layer. See README.md.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], SystemStreams()))
}
