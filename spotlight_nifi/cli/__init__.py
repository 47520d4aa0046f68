"""The `spotlight-nifi` command: sub-command groups, and the one error boundary.

Each module in this package holds one group of thin commands (parse input, call one library
function, print the result). `main` is the only place that turns errors into exit codes: a
`SpotlightError` prints its one-line message in red and exits 1; the traceback is shown only
with `--debug`.
"""

from __future__ import annotations

import sys
import traceback

import typer
from rich.console import Console
from rich.markup import escape

from spotlight_nifi.cli import canvas, cdc, dev, failures, flows, infra, processors, reconcile, registry, types
from spotlight_nifi.errors import SpotlightError

app = typer.Typer(
    name="spotlight-nifi",
    help="Apache NiFi 2.x flows as code: build, validate, infer ClickHouse types, load, review failures.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an error."),
) -> None:
    """Apache NiFi 2.x flows as code."""


flows.register(app)
reconcile.register(app)
registry.register(app)
canvas.register(app)
types.register(app)
app.add_typer(cdc.app, name="cdc")
app.add_typer(dev.app, name="dev")
app.add_typer(failures.app, name="failures")
app.add_typer(infra.app, name="infra")
app.add_typer(processors.app, name="processors")


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; exit 1 with a one-line red message on a known error.

    Usage errors are left to click's standalone mode (usage line, exit 2); everything the
    library raises as `SpotlightError` is caught here, once.
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="spotlight-nifi", standalone_mode=True)
    except SpotlightError as error:
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        if "--debug" in args:
            err.print(traceback.format_exc(), markup=False)
        err.print(f"[red]Error:[/red] {escape(str(error))}", markup=True)
        raise SystemExit(1) from None
