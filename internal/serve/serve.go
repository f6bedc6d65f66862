// Package serve is the web app of `modeltool serve`: a page with controls for the batch, the
// sequence lengths, dtypes, hardware and parallelism over the model files it was given, and an
// API whose answer is exactly what `calc --format json` prints for those settings. Every
// figure is computed on the server by the calc command itself (Options.Run), so the page, the
// API and the command line cannot disagree; the page shows the HTML report of the same
// settings (calc --format html), so its charts and tables are the report's.
//
// The handler serves only its embedded assets and the models it was given, by name: no path
// from a request ever reaches the file system.
package serve

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/report"
)

// MaxQueryBytes bounds a request's query string.
const MaxQueryBytes = 2048

// DefaultTimeout is the longest a request may wait for a calculation slot and compute: no
// request holds one of the few slots for long (calc of a 50,000-layer file takes about 2 s, a
// generation of 10^9 tokens on Llama 4 Scout 25 ms).
const DefaultTimeout = 30 * time.Second

//go:embed assets
var assets embed.FS

// Param is a setting a request may give: its query key, the calc flag it becomes, and what
// values it accepts.
type Param struct {
	// Key is the query key (batch_size).
	Key string
	// Flag is calc's flag (--batch-size).
	Flag string
	// Label and Help describe the control on the page.
	Label, Help string
	// Choices, when set, are the values the page offers (hardware presets, dtypes); "" (the
	// model file's default) is always accepted.
	Choices []string
	// Accept, when set, decides which values are accepted and says why one is not (the
	// command's own check, so the API accepts what the command line does: any spelling calc
	// takes, not only Choices); when nil and Choices is set, only Choices are accepted.
	Accept func(v string) error
	// Pattern, when Choices is nil, is what a value must match.
	Pattern *regexp.Regexp
	// Max, when set, bounds an integer value.
	Max int
}

// MaxDigits is the most digits a number of a request may have: the web app's bound on the
// work a request can ask for (the command line takes any integer).
const MaxDigits = 30

// Integer returns the pattern of a non-negative integer of at most MaxDigits digits.
func Integer() *regexp.Regexp { return integer() }

// integer compiles Integer's pattern on first use, not at every start of the program (its
// repetition makes it one of the costlier).
var integer = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9]{1,` + strconv.Itoa(MaxDigits) + `}$`)
})

// tooManyDigits reports whether v is made of numbers (digits, and ':' between them, as
// --generate's IN:OUT) one of which is longer than MaxDigits: a number too large, not a
// malformed one.
func tooManyDigits(v string) bool {
	long := false
	for _, part := range strings.Split(v, ":") {
		if part == "" || strings.Trim(part, "0123456789") != "" {
			return false
		}
		long = long || len(part) > MaxDigits
	}
	return long
}

// Options configure the handler.
type Options struct {
	Models []Model
	// Params are the settings the page offers and the API accepts, in the order shown.
	Params []Param
	// Run runs modeltool with args in-process and returns its standard output, standard error
	// and exit code (cli.MainContext); once ctx is done it must stop soon.
	Run func(ctx context.Context, args []string) (stdout, stderr []byte, code int)
	// Limit bounds the calculations that run at once (default 2).
	Limit int
	// Timeout bounds a request's wait for a calculation slot and its calculation together
	// (default DefaultTimeout): past it the calculation is stopped and the answer is 503.
	Timeout time.Duration
	// Loopback says the server listens only on the loopback interface; it then answers only
	// requests addressed to a loopback host name (a page elsewhere cannot reach it by DNS
	// rebinding).
	Loopback bool
}

type server struct {
	opts   Options
	models map[string]Model
	slots  chan struct{}
	static http.Handler
}

// Handler returns the web app.
func Handler(opts Options) http.Handler {
	if opts.Limit <= 0 {
		opts.Limit = 2
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	s := &server{opts: opts, models: map[string]Model{}, slots: make(chan struct{}, opts.Limit)}
	for _, m := range opts.Models {
		s.models[m.Name] = m
	}
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded folder is part of the build
	}
	s.static = http.FileServerFS(sub)
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", s.page)
	mux.HandleFunc("/app.js", s.asset)
	mux.HandleFunc("/app.css", s.asset)
	mux.HandleFunc("/exactjson.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = io.WriteString(w, report.ExactJSONJS())
	})
	mux.HandleFunc("/api/models", s.modelList)
	mux.HandleFunc("/api/calc", s.calc)
	mux.HandleFunc("/report", s.report)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpError(w, http.StatusNotFound, "no such page: "+clip(r.URL.Path))
	})
	return s.guard(mux)
}

// guard applies what every request must meet: GET or HEAD, a bounded query, a loopback Host
// when listening on loopback; and the headers of every answer.
func (s *server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			httpError(w, http.StatusMethodNotAllowed, "only GET and HEAD")
			return
		}
		if len(r.URL.RawQuery) > MaxQueryBytes {
			httpError(w, http.StatusRequestURITooLong, fmt.Sprintf("the query is %d bytes; at most %d are accepted", len(r.URL.RawQuery), MaxQueryBytes))
			return
		}
		if s.opts.Loopback && !loopbackHost(r.Host) {
			httpError(w, http.StatusMisdirectedRequest, "this server answers only requests to localhost or a loopback address")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names this machine's loopback interface.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *server) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'")
	data, err := fs.ReadFile(assets, "assets/index.html")
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(data)
}

func (s *server) asset(w http.ResponseWriter, r *http.Request) {
	s.static.ServeHTTP(w, r)
}

// modelList answers /api/models: the models and the settings the page offers.
func (s *server) modelList(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Query()) > 0 {
		httpError(w, http.StatusBadRequest, "/api/models takes no parameters")
		return
	}
	type param struct {
		Key     string   `json:"key"`
		Flag    string   `json:"flag"`
		Label   string   `json:"label"`
		Help    string   `json:"help"`
		Choices []string `json:"choices,omitempty"`
	}
	out := struct {
		Models []string `json:"models"`
		Params []param  `json:"params"`
	}{Models: []string{}}
	for _, m := range s.opts.Models {
		out.Models = append(out.Models, m.Name)
	}
	for _, p := range s.opts.Params {
		out.Params = append(out.Params, param{p.Key, p.Flag, p.Label, p.Help, p.Choices})
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

// calc answers /api/calc: exactly what calc --format json prints for the settings.
func (s *server) calc(w http.ResponseWriter, r *http.Request) {
	s.run(w, r, "json", "application/json")
}

// report answers /report: the HTML report (calc --format html) for the settings.
func (s *server) report(w http.ResponseWriter, r *http.Request) {
	s.run(w, r, "html", "text/html; charset=utf-8")
}

func (s *server) run(w http.ResponseWriter, r *http.Request, format, contentType string) {
	m, args, err := s.parse(r.URL.RawQuery)
	if err != nil {
		httpError(w, err.status, err.msg)
		return
	}
	if !m.stillThere() {
		httpError(w, http.StatusGone, fmt.Sprintf("model %s: %s no longer resolves to the file served", m.Name, m.Path))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		if r.Context().Err() == nil {
			httpError(w, http.StatusServiceUnavailable, fmt.Sprintf("busy: no calculation slot came free within %s; try again", s.opts.Timeout))
		}
		return
	}
	args = append(append([]string{"calc", "--format", format, "--color", "never"}, args...), "--", m.Path)
	stdout, stderr, code := s.opts.Run(ctx, args)
	switch {
	case r.Context().Err() != nil:
		return // the client is gone
	case ctx.Err() != nil:
		httpError(w, http.StatusServiceUnavailable, fmt.Sprintf("the calculation took longer than %s and was stopped: ask for less (a shorter generate=IN:OUT, a smaller batch)", s.opts.Timeout))
	case code == 0:
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(stdout)
	case code == 1 && format == "json" && len(stdout) > 0:
		// Findings in the model file: calc's diagnostics document.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write(stdout)
	case code == 1:
		httpError(w, http.StatusUnprocessableEntity, message(stderr))
	default:
		httpError(w, http.StatusBadRequest, message(stderr))
	}
}

// requestError is a refused request: a status and what to say.
type requestError struct {
	status int
	msg    string
}

// parse checks a query and turns it into calc's flags: model= names a model served; every
// other key is one of the Params, at most once, with a value it accepts ("" leaves the
// model file's default).
func (s *server) parse(raw string) (Model, []string, *requestError) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return Model{}, nil, &requestError{http.StatusBadRequest, "malformed query: " + clip(err.Error())}
	}
	for k, vs := range q {
		if len(vs) > 1 {
			return Model{}, nil, &requestError{http.StatusBadRequest, fmt.Sprintf("%s is given %d times", clip(k), len(vs))}
		}
	}
	name := q.Get("model")
	if name == "" {
		return Model{}, nil, &requestError{http.StatusBadRequest, "no model: add model=NAME (/api/models lists them)"}
	}
	m, ok := s.models[name]
	if !ok {
		return Model{}, nil, &requestError{http.StatusNotFound, fmt.Sprintf("no model %s here (/api/models lists them)", clip(strconv.Quote(name)))}
	}
	var args []string
	known := []string{"model"}
	for _, p := range s.opts.Params {
		known = append(known, p.Key)
		v := q.Get(p.Key)
		if v == "" {
			continue
		}
		if msg := p.check(v); msg != "" {
			return Model{}, nil, &requestError{http.StatusBadRequest, msg}
		}
		args = append(args, p.Flag+"="+v)
	}
	for k := range q {
		if !slices.Contains(known, k) {
			return Model{}, nil, &requestError{http.StatusBadRequest, fmt.Sprintf("unknown parameter %s (known: %s)", clip(strconv.Quote(k)), strings.Join(known, ", "))}
		}
	}
	return m, args, nil
}

// check returns what is wrong with a value of the parameter, or "".
func (p Param) check(v string) string {
	if p.Accept != nil {
		if err := p.Accept(v); err != nil {
			return fmt.Sprintf("%s=%s: %v", p.Key, clip(strconv.Quote(v)), err)
		}
		return ""
	}
	if p.Choices != nil {
		if !slices.Contains(p.Choices, v) {
			return fmt.Sprintf("%s=%s: not one of %s", p.Key, clip(strconv.Quote(v)), strings.Join(p.Choices, ", "))
		}
		return ""
	}
	if p.Pattern != nil && !p.Pattern.MatchString(v) {
		if tooManyDigits(v) {
			return fmt.Sprintf("%s=%s: too large: at most %d digits (below 10^%d)", p.Key, clip(v), MaxDigits, MaxDigits)
		}
		return fmt.Sprintf("%s=%s: %s", p.Key, clip(strconv.Quote(v)), p.Help)
	}
	if p.Max > 0 {
		if n, err := strconv.Atoi(v); err != nil || n > p.Max {
			return fmt.Sprintf("%s=%s: at most %d", p.Key, clip(v), p.Max)
		}
	}
	return ""
}

// message is what a failed command wrote to standard error, without the program's name and
// the pointer to --help (the settings are the page's, not a command line).
func message(stderr []byte) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(stderr)), "\n") {
		if strings.HasPrefix(l, "Run 'modeltool") {
			continue
		}
		lines = append(lines, strings.TrimPrefix(l, "modeltool: "))
	}
	return strings.Join(lines, "\n")
}

// httpError answers with a status and a JSON object {"error": msg}.
func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// clip bounds text from a request that goes into a message (diag.Clip, the one rule).
func clip(s string) string { return diag.Clip(s) }
