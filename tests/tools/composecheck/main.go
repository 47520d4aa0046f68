// Command composecheck loads a compose file with compose-go, the loader Docker Compose itself uses,
// so tests can check the rendered docker-compose.yml where no Docker engine (`docker compose config`) exists.
//
// Usage: composecheck <compose-file> [<env-file>]
//
// It interpolates from the env file only (never the caller's environment, so results are reproducible),
// validates against the schema, normalizes, checks consistency, prints the project as JSON and exits 0;
// on any error it prints the loader's message to stderr and exits 1.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: composecheck <compose-file> [<env-file>]")
		os.Exit(2)
	}
	out, err := load(os.Args[1], os.Args[2:]...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(append(out, '\n'))
}

// load mirrors `docker compose --env-file <env-file> config --format json`, minus cli.WithOsEnv.
func load(file string, envFiles ...string) ([]byte, error) {
	options, err := cli.NewProjectOptions([]string{file},
		cli.WithWorkingDirectory(filepath.Dir(file)),
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
		cli.WithDiscardEnvFile,
	)
	if err != nil {
		return nil, err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return nil, err
	}
	if err := project.CheckContainerNameUnicity(); err != nil {
		return nil, err
	}
	return project.MarshalJSON()
}
