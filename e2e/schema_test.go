package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The editor schema under the JSON Schema validators people's tools use: ajv (JavaScript; what
// many editor plugins and CI linters run), in its strict mode, and python-jsonschema. They run
// only when MODELTOOL_SCHEMA_TEST=1 (.ci/run sets it, after installing ajv-cli from npm and
// python3-jsonschema from Debian); then a missing validator fails the test. MODELTOOL_AJV names
// the ajv program (default: ajv on PATH), MODELTOOL_PYTHON the Python with jsonschema (default
// python3).

func requireSchemaValidators(t *testing.T) (ajv, python string) {
	t.Helper()
	if os.Getenv("MODELTOOL_SCHEMA_TEST") != "1" {
		t.Skip("runs ajv and python-jsonschema on the editor schema; set MODELTOOL_SCHEMA_TEST=1 to run it")
	}
	ajv = os.Getenv("MODELTOOL_AJV")
	if ajv == "" {
		ajv = "ajv"
	}
	python = os.Getenv("MODELTOOL_PYTHON")
	if python == "" {
		python = "python3"
	}
	if _, err := exec.LookPath(ajv); err != nil {
		t.Fatalf("MODELTOOL_SCHEMA_TEST=1 but there is no ajv (npm install ajv-cli; MODELTOOL_AJV names it): %v", err)
	}
	if out, err := exec.Command(python, "-c", "import jsonschema").CombinedOutput(); err != nil {
		t.Fatalf("MODELTOOL_SCHEMA_TEST=1 but %s has no jsonschema (apt-get install python3-jsonschema; MODELTOOL_PYTHON names another): %v\n%s", python, err, out)
	}
	return ajv, python
}

// editorSchema writes what `modeltool schema` prints to a file and returns its path.
func editorSchema(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(modeltool(t), "schema").Output()
	if err != nil {
		t.Fatalf("modeltool schema: %v", err)
	}
	path := filepath.Join(t.TempDir(), "model.schema.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// shippedModelFiles returns every shipped model file and template (not the configs).
func shippedModelFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pattern := range []string{"models/*.json", "models/templates/*.json"} {
		files, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if !strings.HasSuffix(f, ".config.json") {
				out = append(out, f)
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d model files and templates", len(out))
	}
	return out
}

// schemaFixtures are the two most common authoring mistakes, with the pointer each is flagged at.
var schemaFixtures = map[string]string{
	"typo-class.json":        "/layers/0/sub_layers/1/class",      // torch.nn.modules.linear.Lineer
	"missing-parameter.json": "/layers/0/sub_layers/1/parameters", // a Linear without out_features
}

// TestEditorSchemaAjv: ajv --strict=true compiles the schema, accepts every shipped model and
// template, and flags each fixture's mistake at its pointer and nowhere else.
func TestEditorSchemaAjv(t *testing.T) {
	ajv, _ := requireSchemaValidators(t)
	schema := editorSchema(t)
	base := []string{"--spec=draft2020", "--strict=true", "--all-errors", "-s", schema}
	if out, err := exec.Command(ajv, append([]string{"compile"}, base...)...).CombinedOutput(); err != nil {
		t.Fatalf("ajv compile --strict=true refuses the schema: %v\n%s", err, out)
	}
	args := append([]string{"validate"}, base...)
	for _, f := range shippedModelFiles(t) {
		args = append(args, "-d", f)
	}
	if out, err := exec.Command(ajv, args...).CombinedOutput(); err != nil {
		t.Errorf("ajv refuses shipped files: %v\n%s", err, out)
	}
	for name, want := range schemaFixtures {
		cmd := exec.Command(ajv, append([]string{"validate"}, append(base, "--errors=json", "-d", filepath.Join(repoRoot, "testdata", "schema", name))...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err == nil {
			t.Errorf("ajv accepts %s", name)
			continue
		}
		// ajv-cli prints "FILE invalid" and then the errors as one JSON array.
		text := stderr.String()
		start := strings.IndexByte(text, '[')
		var errs []struct {
			InstancePath string `json:"instancePath"`
			Keyword      string `json:"keyword"`
		}
		if start < 0 || json.Unmarshal([]byte(text[start:]), &errs) != nil {
			t.Fatalf("ajv's output for %s is not an error list:\n%s", name, text)
		}
		var at []string
		for _, e := range errs {
			// ajv adds a summary of each failed if/then ("must match \"then\" schema") at the
			// object the if tested: the layer. The fault itself is reported where it is.
			if e.Keyword != "if" && !slices.Contains(at, e.InstancePath) {
				at = append(at, e.InstancePath)
			}
		}
		if !slices.Equal(at, []string{want}) {
			t.Errorf("ajv flags %s at %v, want %s", name, at, want)
		}
	}
}

// pythonCheck validates files against a schema with python-jsonschema's draft 2020-12
// validator (after checking the schema itself) and prints each error as a JSON line: the file,
// the error's JSON pointer and the keyword that failed.
const pythonCheck = `
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for f in sys.argv[2:]:
    for e in v.iter_errors(json.load(open(f, encoding="utf-8"))):
        ptr = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in e.absolute_path)
        print(json.dumps({"file": f, "pointer": ptr, "keyword": e.validator}))
`

// TestEditorSchemaPythonJsonschema: python-jsonschema accepts the schema and every shipped
// model and template, and flags each fixture's mistake at its pointer and nowhere else.
func TestEditorSchemaPythonJsonschema(t *testing.T) {
	_, python := requireSchemaValidators(t)
	schema := editorSchema(t)
	files := shippedModelFiles(t)
	for name := range schemaFixtures {
		files = append(files, filepath.Join(repoRoot, "testdata", "schema", name))
	}
	cmd := exec.Command(python, append([]string{"-c", pythonCheck, schema}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python-jsonschema: %v\n%s", err, stderr.String())
	}
	flagged := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var e struct{ File, Pointer, Keyword string }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		name := filepath.Base(e.File)
		if _, ok := schemaFixtures[name]; !ok || filepath.Dir(e.File) != filepath.Join(repoRoot, "testdata", "schema") {
			t.Errorf("python-jsonschema refuses %s at %s (%s)", e.File, e.Pointer, e.Keyword)
			continue
		}
		if !slices.Contains(flagged[name], e.Pointer) {
			flagged[name] = append(flagged[name], e.Pointer)
		}
	}
	for name, want := range schemaFixtures {
		if !slices.Equal(flagged[name], []string{want}) {
			t.Errorf("python-jsonschema flags %s at %v, want %s", name, flagged[name], want)
		}
	}
}

// languageServiceCheck runs VS Code's JSON language service (vscode-json-languageservice, the
// library behind VS Code's and vscode-json-languageserver's JSON support) with the schema on
// files, as an editor does while one types: it prints each file's diagnostics (0-based line and
// character) as JSON lines, and the completions offered for an empty class with their
// documentation.
const languageServiceCheck = `
const ls = require("vscode-json-languageservice");
const fs = require("fs");
const [schemaPath, ...files] = process.argv.slice(1);
const svc = ls.getLanguageService({});
svc.configure({validate: true, schemas: [{uri: "file:///modeltool.schema.json", fileMatch: ["*.json"], schema: JSON.parse(fs.readFileSync(schemaPath, "utf8"))}]});
(async () => {
  for (const f of files) {
    const doc = ls.TextDocument.create("file:///" + f.replace(/^\/+/, ""), "json", 1, fs.readFileSync(f, "utf8"));
    for (const d of await svc.doValidation(doc, svc.parseJSONDocument(doc))) {
      console.log(JSON.stringify({file: f, line: d.range.start.line, character: d.range.start.character, message: d.message}));
    }
  }
  const text = '{"layers": [{"name": "l", "class": ""}]}';
  const doc = ls.TextDocument.create("file:///complete.json", "json", 1, text);
  const list = await svc.doComplete(doc, doc.positionAt(text.indexOf('""') + 1), svc.parseJSONDocument(doc));
  for (const item of list.items) {
    console.log(JSON.stringify({completion: item.label, documentation: typeof item.documentation === "string" ? item.documentation : (item.documentation || {}).value || ""}));
  }
})().catch(e => { console.error(e); process.exit(1); });
`

// TestEditorSchemaLanguageService: in VS Code's JSON language service the typo'd class is
// flagged at the class and the missing parameter at the parameters object, and an empty
// class offers the catalog's classes with their descriptions. It runs when
// MODELTOOL_SCHEMA_TEST=1, with MODELTOOL_NODE_PATH naming the node_modules folder that holds
// vscode-json-languageservice (.ci/run installs it from npm).
func TestEditorSchemaLanguageService(t *testing.T) {
	requireSchemaValidators(t)
	nodePath := os.Getenv("MODELTOOL_NODE_PATH")
	if _, err := os.Stat(filepath.Join(nodePath, "vscode-json-languageservice")); err != nil {
		t.Fatalf("MODELTOOL_SCHEMA_TEST=1 but MODELTOOL_NODE_PATH (%q) has no vscode-json-languageservice (npm install it): %v", nodePath, err)
	}
	schema := editorSchema(t)
	fixtures := filepath.Join(repoRoot, "testdata", "schema")
	cmd := exec.Command("node", "-e", languageServiceCheck, schema, filepath.Join(fixtures, "typo-class.json"), filepath.Join(fixtures, "missing-parameter.json"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	// The fixtures' line 7 (0-based 6): the class value of proj begins at character 32, and its
	// parameters object at character 66.
	want := map[string]string{"typo-class.json": "6:32", "missing-parameter.json": "6:66"}
	got := map[string][]string{}
	linear := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r struct {
			File, Message, Completion, Documentation string
			Line, Character                          int
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		if r.Completion != "" {
			if r.Completion == `"torch.nn.modules.linear.Linear"` {
				linear = r.Documentation
			}
			continue
		}
		got[filepath.Base(r.File)] = append(got[filepath.Base(r.File)], fmt.Sprintf("%d:%d %s", r.Line, r.Character, r.Message))
	}
	for name, at := range want {
		if len(got[name]) != 1 || !strings.HasPrefix(got[name][0], at+" ") {
			t.Errorf("the language service flags %s with %q, want one diagnostic at %s", name, got[name], at)
		}
	}
	if !strings.Contains(strings.Join(got["typo-class.json"], ""), "Value is not accepted. Valid values:") {
		t.Errorf("the typo is not reported against the catalog's classes: %q", got["typo-class.json"])
	}
	if !strings.Contains(strings.Join(got["missing-parameter.json"], ""), "out_features") {
		t.Errorf("the missing parameter is not named: %q", got["missing-parameter.json"])
	}
	if !strings.HasPrefix(linear, "Linear — matmul: y = x·Wᵀ + b") {
		t.Errorf("the completion of Linear is documented %q", linear)
	}
}
