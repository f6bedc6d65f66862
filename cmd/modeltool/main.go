// Command modeltool validates, fills and costs the JSON files that describe large language
// models layer by layer. See README.md.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Writing to a closed pipe (modeltool calc … | head -1) returns EPIPE instead of killing the
	// process, and Main exits quietly.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(Main(os.Args[1:], SystemStreams()))
}
