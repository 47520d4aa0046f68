// Command nomadcheck checks the template blocks of Nomad jobs with consul-template, the engine Nomad
// renders them with, so tests can catch a template Nomad would refuse where no Nomad runs (Nomad is
// no longer open source; consul-template, MPL-2.0, is).
//
// Usage: nomadcheck <job.hcl>...
//
// Each job must be filled already (what Terraform's templatefile makes of it). Every template in a
// job → group → task is parsed with consul-template's own function map and executed against an empty
// brain, as on Nomad's first render before any data is fetched (missing data is recorded, not an
// error). An `env = true` template must also render as an env file: `KEY=value` and empty lines only.
// Problems go to stderr as `<file>: task <task>: template <destination>: <error>` with exit status 1;
// otherwise one line says how many templates were checked.
package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/hashicorp/consul-template/template"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

const engine = "github.com/hashicorp/consul-template"

// denied is the Nomad client's default `template { function_denylist }`: a job calling these fails to render.
var denied = []string{"plugin", "writeToFile"}

var envLine = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: nomadcheck <job.hcl>...")
		os.Exit(2)
	}
	// consul-template's `env` falls back to the process environment: clear it, so no result depends on the caller's.
	os.Clearenv()
	checked, failed := 0, false
	for _, path := range os.Args[1:] {
		count, problems := checkJob(path)
		checked += count
		for _, problem := range problems {
			fmt.Fprintf(os.Stderr, "%s: %s\n", path, problem)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
	fmt.Printf("nomadcheck: %d templates checked in %d jobs with consul-template %s\n", checked, len(os.Args)-1, version())
}

// checkJob returns how many templates the file holds and what is wrong, each problem naming its task and template.
func checkJob(path string) (int, []string) {
	file, diags := hclparse.NewParser().ParseHCLFile(path)
	if diags.HasErrors() {
		return 0, []string{describe(diags)}
	}
	count, problems := 0, []string(nil)
	for _, job := range blocks(file.Body.(*hclsyntax.Body), "job") {
		for _, group := range blocks(job.Body, "group") {
			for _, task := range blocks(group.Body, "task") {
				for _, block := range blocks(task.Body, "template") {
					count++
					name, err := destinationOf(block.Body)
					if err == nil {
						err = checkTemplate(block.Body, name)
					}
					if err != nil {
						problems = append(problems, fmt.Sprintf("task %s: template %s: %v", strings.Join(task.Labels, " "), name, err))
					}
				}
			}
		}
	}
	return count, problems
}

// destinationOf names the template in messages: the file Nomad renders it into.
func destinationOf(body *hclsyntax.Body) (string, error) {
	value, err := attribute(body, "destination", cty.String)
	if err != nil || value.IsNull() {
		return "(no destination)", err
	}
	return value.AsString(), nil
}

// checkTemplate renders the template's data as Nomad's first render would, and checks an env template's output.
func checkTemplate(body *hclsyntax.Body, destination string) error {
	data, err := attribute(body, "data", cty.String)
	if err != nil {
		return err
	}
	if data.IsNull() {
		return errors.New("no data to check")
	}
	env, err := attribute(body, "env", cty.Bool)
	if err != nil {
		return err
	}
	tmpl, err := template.NewTemplate(&template.NewTemplateInput{
		Contents:         data.AsString(),
		Destination:      destination,
		FunctionDenylist: denied,
	})
	if err != nil {
		return err
	}
	result, err := tmpl.Execute(&template.ExecuteInput{Brain: template.NewBrain()})
	if err != nil {
		return err
	}
	if env.IsNull() || env.False() {
		return nil
	}
	for n, line := range strings.Split(string(result.Output), "\n") {
		if strings.TrimSpace(line) != "" && !envLine.MatchString(line) {
			return fmt.Errorf("env = true, but output line %d is not KEY=value: %q", n+1, line)
		}
	}
	return nil
}

// attribute evaluates a literal attribute (no variables: the job is filled) as the given type; null when absent.
func attribute(body *hclsyntax.Body, name string, want cty.Type) (cty.Value, error) {
	attr, ok := body.Attributes[name]
	if !ok {
		return cty.NullVal(want), nil
	}
	value, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("%s: %s", name, describe(diags))
	}
	value, err := convert.Convert(value, want)
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s: %w", name, err)
	}
	return value, nil
}

// describe is HCL's message without the file name the report already starts with.
func describe(diags hcl.Diagnostics) string {
	var errs []string
	for _, diag := range diags {
		if diag.Severity != hcl.DiagError {
			continue
		}
		at := ""
		if diag.Subject != nil {
			at = fmt.Sprintf("line %d: ", diag.Subject.Start.Line)
		}
		errs = append(errs, fmt.Sprintf("%s%s; %s", at, diag.Summary, diag.Detail))
	}
	return strings.Join(errs, "; ")
}

func blocks(body *hclsyntax.Body, kind string) []*hclsyntax.Block {
	var found []*hclsyntax.Block
	for _, block := range body.Blocks {
		if block.Type == kind {
			found = append(found, block)
		}
	}
	return found
}

// version is the consul-template module linked in, from the build info (go.mod pins it).
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == engine {
				return dep.Version
			}
		}
	}
	return "(unknown version)"
}
