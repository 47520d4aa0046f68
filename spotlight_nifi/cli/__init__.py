"""The `spotlight-nifi` command: sub-command groups, and the one error boundary.

Each module in this package holds one group of thin commands (parse input, call one library
function, print the result). `main` is the only place that turns errors into exit codes: a
`SpotlightError` prints its one-line message in red and exits 1; the traceback is shown only
with `--debug`.
`main` imports only the module of the command it runs (`COMMANDS`): the modules together import
nipyapi, psycopg, the local stack and the web app, a third of a second that `load` or `query`
would otherwise pay on every run. Help and unknown commands get every module.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Sequence

import typer
from rich.console import Console
from rich.markup import escape

from spotlight_nifi.errors import SpotlightError

GROUPS = ("cdc", "dev", "failures", "infra", "processors")
"""Modules whose `app` is a sub-command group of their own name."""
REGISTERING = ("flows", "reconcile", "registry", "canvas", "types")
"""Modules whose `register(app)` adds top-level commands."""
COMMANDS = {"build": "flows", "validate": "flows", "diff": "flows", "reconcile": "reconcile", "push": "registry",
            "promote": "registry", "deploy": "canvas", "status": "canvas", "infer": "types", "load": "types",
            "query": "types", **{group: group for group in GROUPS}}
"""Which module each top-level command lives in (a unit test checks it against the modules)."""


def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an error."),
) -> None:
    """Apache NiFi 2.x flows as code."""


def build_app(modules: Sequence[str] = (*REGISTERING, *GROUPS)) -> typer.Typer:
    """The root command with the commands of `modules` (all by default)."""
    root = typer.Typer(
        name="spotlight-nifi",
        help="Apache NiFi 2.x flows as code: build, validate, infer ClickHouse types, load, review failures.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    root.callback()(_root)
    for name in modules:
        module = importlib.import_module(f"spotlight_nifi.cli.{name}")
        if name in GROUPS:
            root.add_typer(module.app, name=name)
        else:
            module.register(root)
    return root


def _modules_for(args: Sequence[str]) -> Sequence[str]:
    command = next((arg for arg in args if not arg.startswith("-")), None)
    return (COMMANDS[command],) if command in COMMANDS else (*REGISTERING, *GROUPS)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; exit 1 with a one-line red message on a known error.

    Usage errors are left to click's standalone mode (usage line, exit 2); everything the
    library raises as `SpotlightError` is caught here, once.
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        build_app(_modules_for(args))(args=args, prog_name="spotlight-nifi", standalone_mode=True)
    except SpotlightError as error:
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        if "--debug" in args:
            err.print(traceback.format_exc(), markup=False)
        err.print(f"[red]Error:[/red] {escape(str(error))}", markup=True)
        raise SystemExit(1) from None
