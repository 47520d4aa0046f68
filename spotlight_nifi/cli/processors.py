"""`spotlight-nifi processors ...`: package the NiFi Python processors and install them into a NiFi."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from spotlight_nifi.ingest import nar

app = typer.Typer(no_args_is_help=True, help="Package the NiFi Python processors as a NAR and install them.")
console = Console(highlight=False, soft_wrap=True)

Source = typer.Option(None, "--source", help="The spotlight-nifi checkout holding processors/ (default: this one).")


@app.command()
def build(out: Path = typer.Option(Path("build/nar"), "--out", help="Output directory."),
          source: Path | None = Source) -> None:
    """Build the NAR: the processors, their bundled dependencies and the NAR manifest."""
    built = nar.build_nar(out, source)
    console.print(f"built {built} ({built.stat().st_size // 1024} KiB)")


@app.command()
def install(nifi_home: Path = typer.Option(..., "--nifi-home", help="The NiFi installation directory."),
            nar_file: Path | None = typer.Option(None, "--nar", help="Install this NAR into extensions/ "
                                                 "(default: copy the package into python/extensions/)."),
            source: Path | None = Source) -> None:
    """Install the processors: the NAR into NIFI_HOME/extensions, or the package into python/extensions."""
    console.print(f"installed {nar.install(nifi_home, nar=nar_file, source=source)}")
