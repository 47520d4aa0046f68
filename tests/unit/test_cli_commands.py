"""The root command imports only the module of the command it runs: its table must name every one."""

from __future__ import annotations

import subprocess
import sys

import typer

from spotlight_nifi.cli import COMMANDS, GROUPS, REGISTERING, build_app


def _names(modules: tuple[str, ...]) -> set[str]:
    return set(typer.main.get_command(build_app(modules)).commands)  # type: ignore[attr-defined]


def test_every_command_is_found_in_the_module_the_table_names() -> None:
    every = {name for module in (*REGISTERING, *GROUPS) for name in _names((module,))}
    assert set(COMMANDS) == every
    for command, module in COMMANDS.items():
        assert command in _names((module,)), f"`{command}` is not in spotlight_nifi.cli.{module}"


def test_running_load_imports_neither_nipyapi_nor_the_web_app() -> None:
    probe = ("import sys\nfrom spotlight_nifi.cli import main\ntry:\n    main(['load', '--help'])\nexcept SystemExit:\n"
             "    pass\nprint(sorted(m for m in ('nipyapi', 'flask', 'spotlight_nifi.stack.services') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
