package cli

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// Streams are the program's standard streams and environment, passed in so every command can
// run in-process in tests.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// OutTerminal and ErrTerminal say whether Out and Err are terminals (for colour).
	OutTerminal bool
	ErrTerminal bool
	// Getenv reads an environment variable (NO_COLOR).
	Getenv func(string) string
}

// SystemStreams returns the process's real streams.
func SystemStreams() *Streams {
	return &Streams{
		In:          os.Stdin,
		Out:         os.Stdout,
		Err:         os.Stderr,
		OutTerminal: isTerminal(os.Stdout),
		ErrTerminal: isTerminal(os.Stderr),
		Getenv:      os.Getenv,
	}
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}
