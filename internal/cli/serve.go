package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/dtype"
	"github.com/modeltool/modeltool/internal/hardware"
	"github.com/modeltool/modeltool/internal/serve"
)

type serveOptions struct {
	addr  string
	paths []string
}

func newServeCmd(s *Streams) *cobra.Command {
	opts := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080] [DIR|FILE...]",
		Short: "An interactive planner in the browser over your model files",
		Long: `Serve a local web app over the model files given (default: the current directory's): pick a
model, change the batch, prompt and cache lengths, dtypes, hardware and parallelism, and see
the totals, where FLOPs and bytes go, the roofline and the per-layer table follow. Every
figure is computed by calc on the server; GET /api/calc?model=NAME&batch_size=…&seq_len=…
&past_len=…&hardware=…&tp=… returns exactly what calc --format json prints for those
settings (NAME is the file name without .json). The page's address holds its settings, so a
link reproduces the view.

It listens on the loopback interface only, unless --addr names another (then anyone who
can reach the machine can read the figures of the models served). It serves only the files
it was given (a directory's model files; symlinks in it must stay inside it) and nothing
from outside: the page's assets are built in. Ctrl-C stops it.`,
		Example: `  modeltool serve models/
  modeltool serve --addr 127.0.0.1:9000 models/llama-2-7b-hf.json models/mistral-7b-v0.1.json`,
		ValidArgsFunction: completeModelPaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.paths = args
			return runServe(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().StringVar(&opts.addr, "addr", "127.0.0.1:8080", "address to listen on, HOST:PORT (port 0: any free port); a host other than a loopback address exposes the server to the network")
	return cmd
}

// serveParams are the settings the web app offers: each becomes the calc flag of the same
// meaning, and only flags calc has are offered (so each setting is calc's, with its checks).
func serveParams(s *Streams) []serve.Param {
	var presets []string
	for _, d := range hardware.Presets() {
		presets = append(presets, d.Name)
	}
	dtypes := dtype.StorageNames()
	all := []serve.Param{
		{Key: "batch_size", Flag: "--batch-size", Label: "Batch", Help: "sequences per batch (an integer)", Pattern: serve.Integer()},
		{Key: "seq_len", Flag: "--seq-len", Label: "Prompt", Help: "new tokens per sequence in this step (an integer; 1 for a decode step)", Pattern: serve.Integer()},
		{Key: "past_len", Flag: "--past-len", Label: "Cache", Help: "tokens per sequence already in the KV cache (an integer)", Pattern: serve.Integer()},
		{Key: "generate", Flag: "--generate", Label: "Generate", Help: "prompt and generated tokens, IN:OUT (integers)", Pattern: generatePattern()},
		{Key: "dtype", Flag: "--dtype", Label: "Activations", Help: "activation dtype", Choices: dtypes, Accept: acceptDType},
		{Key: "weight_dtype", Flag: "--weight-dtype", Label: "Weights", Help: "weight dtype (default: as activations)", Choices: dtypes, Accept: acceptDType},
		{Key: "kv_dtype", Flag: "--kv-dtype", Label: "KV cache", Help: "KV-cache dtype (default: as activations)", Choices: dtypes, Accept: acceptDType},
		{Key: "hardware", Flag: "--hardware", Label: "Hardware", Help: "device for the roofline and memory fit", Choices: presets, Accept: acceptHardware},
		{Key: "tp", Flag: "--tp", Label: "TP", Help: "tensor-parallel devices (an integer ≥ 1)", Pattern: serve.Integer(), Max: maxDevices},
		{Key: "pp", Flag: "--pp", Label: "PP", Help: "pipeline stages (an integer ≥ 1)", Pattern: serve.Integer(), Max: maxDevices},
		{Key: "ep", Flag: "--ep", Label: "EP", Help: "expert-parallel devices (an integer ≥ 1)", Pattern: serve.Integer(), Max: maxDevices},
		{Key: "dp", Flag: "--dp", Label: "DP", Help: "data-parallel replicas (an integer ≥ 1)", Pattern: serve.Integer(), Max: maxDevices},
	}
	calcFlags := newCalcCmd(s).Flags()
	var out []serve.Param
	for _, p := range all {
		if calcFlags.Lookup(strings.TrimPrefix(p.Flag, "--")) != nil {
			out = append(out, p)
		}
	}
	return out
}

// acceptHardware accepts what calc --hardware does: a preset's name or alias in any case,
// with or without '-', '_', spaces and the vendor's name (hardware.Lookup).
func acceptHardware(v string) error {
	_, err := hardware.Lookup(v)
	return err
}

// acceptDType accepts what calc --dtype does (storageDType).
func acceptDType(v string) error {
	_, err := storageDType(v)
	return err
}

var generatePattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`^[0-9]{1,%d}:[0-9]{1,%d}$`, serve.MaxDigits, serve.MaxDigits))
})

// inProcess runs modeltool in-process with its output captured: the web app's calculations
// are the calc command itself.
func inProcess(ctx context.Context, args []string) (stdout, stderr []byte, code int) {
	var out, errb bytes.Buffer
	code = MainContext(ctx, args, &Streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }})
	return out.Bytes(), errb.Bytes(), code
}

// ServeHandler is the web app of modeltool serve over the model files of paths (notes about
// files passed over go to s.Err), and the names of the models it serves. loopback says the
// server listens on the loopback interface only (it then refuses requests to other host
// names). The browser tests run it in-process.
func ServeHandler(s *Streams, paths []string, loopback bool) (http.Handler, []string, error) {
	models, notes, err := serve.Discover(paths)
	for _, n := range notes {
		fmt.Fprintf(s.Err, "modeltool: %s\n", n)
	}
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name
	}
	return serve.Handler(serve.Options{Models: models, Params: serveParams(s), Run: inProcess, Loopback: loopback}), names, nil
}

func runServe(ctx context.Context, s *Streams, opts *serveOptions) error {
	host, _, err := net.SplitHostPort(opts.addr)
	if err != nil {
		return usagef("--addr %q: expected HOST:PORT, such as 127.0.0.1:8080", opts.addr)
	}
	loopback := isLoopback(host)
	handler, names, err := ServeHandler(s, opts.paths, loopback)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", opts.addr, err)
	}
	if !loopback {
		fmt.Fprintf(s.Err, "modeltool: warning: listening on %s, not only on this machine's loopback interface: anyone who can reach it can read the figures of the models served\n", ln.Addr())
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	if ctx == nil {
		ctx = context.Background()
	}
	// Ctrl-C stops the server rather than the process: the one router of the signals
	// calls stop while serve runs (signalRouter), so the answer is exit 0.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	release := signals.take(stop)
	defer release()
	fmt.Fprintf(s.Err, "modeltool: serving %d model(s) (%s) at http://%s/ — Ctrl-C stops\n", len(names), clipList(names, 6), ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("stopping: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	fmt.Fprintln(s.Err, "modeltool: stopped")
	return nil
}

// isLoopback reports whether a listening host is the loopback interface only.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clipList joins the first n names, saying how many more there are.
func clipList(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
