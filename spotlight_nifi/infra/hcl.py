"""A minimal HCL writer for Nomad job files: blocks, attributes, lists, maps and heredocs.

Written here rather than with a library's serializer so the golden files stay byte-stable across
library versions; tests parse every file back with python-hcl2. Attribute `=` signs of
consecutive attributes are aligned as `nomad fmt` does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Heredoc:
    """A multi-line string written verbatim as `<<EOT` (no indent stripping to reason about).

    HCL would interpolate `${` and `%{` in it, so such text is refused; it must end with a newline.
    """

    text: str

    def __post_init__(self) -> None:
        if "${" in self.text or "%{" in self.text or not self.text.endswith("\n") or "\nEOT\n" in self.text:
            raise ValueError("heredoc text must end with a newline and hold no `${`, `%{` or `EOT` line")


Value = Union[str, int, bool, Heredoc, list[str], dict[str, str]]


@dataclass(frozen=True)
class Block:
    """`type "label" { body }`; body items are `(name, value)` attributes or nested blocks, in order."""

    type: str
    labels: tuple[str, ...] = ()
    body: list[Item] = field(default_factory=list)


Item = Union[tuple[str, Value], Block]


def _string(text: str) -> str:
    """A quoted HCL string; `${...}` stays live, since Nomad resolves `${NOMAD_*}` at run time."""
    return json.dumps(text, ensure_ascii=False).replace("%{", "%%{")


def _value(value: Value, indent: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Heredoc):
        return f"<<EOT\n{value.text}EOT"
    if isinstance(value, list):
        return "[" + ", ".join(_string(item) for item in value) + "]"
    width = max(len(key) for key in value)
    lines = [f"{indent}  {key.ljust(width)} = {_string(item)}" for key, item in value.items()]
    return "{\n" + "\n".join(lines) + f"\n{indent}}}"


def _body(items: list[Item], indent: str) -> list[str]:
    lines: list[str] = []
    run: list[tuple[str, Value]] = []

    def flush() -> None:
        width = max((len(name) for name, _ in run), default=0)
        lines.extend(f"{indent}{name.ljust(width)} = {_value(value, indent)}" for name, value in run)
        run.clear()

    for item in items:
        if isinstance(item, Block):
            flush()
            if lines:
                lines.append("")
            lines.extend(_block(item, indent))
        else:
            if run == [] and lines and lines[-1] != "":
                lines.append("")
            run.append(item)
    flush()
    return lines


def _block(block: Block, indent: str) -> list[str]:
    head = " ".join([block.type, *(_string(label) for label in block.labels)])
    return [f"{indent}{head} {{", *_body(block.body, indent + "  "), f"{indent}}}"]


def dumps(block: Block, header: str = "") -> str:
    """The block as HCL text, preceded by `header` as `#` comment lines."""
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comments + "\n".join(_block(block, "")) + "\n"
