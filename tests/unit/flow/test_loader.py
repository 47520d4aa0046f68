"""Finding flows in `flows/`: errors name the module and the line that raised."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotlight_nifi.errors import FlowLoadError
from spotlight_nifi.flow.loader import discover

GOOD = 'from spotlight_nifi.flow.model import Flow\n{var} = Flow("{name}")\n'


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_module_level_flow_is_found_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, "b.py", GOOD.format(var="x", name="Beta") + GOOD.format(var="y", name="Alpha"))
    write(tmp_path, "_helpers.py", "raise RuntimeError('never imported')\n")
    assert [f.flow.name for f in discover(tmp_path)] == ["Alpha", "Beta"]


def test_selection_by_flow_or_module_name(tmp_path: Path) -> None:
    write(tmp_path, "a.py", GOOD.format(var="x", name="Alpha"))
    write(tmp_path, "b.py", GOOD.format(var="x", name="Beta"))
    assert [f.flow.name for f in discover(tmp_path, ["b"])] == ["Beta"]
    assert [f.flow.name for f in discover(tmp_path, ["Alpha"])] == ["Alpha"]


def test_a_module_that_raises_names_file_error_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.py", "x = 1\ny = x / 0\n")
    with pytest.raises(FlowLoadError) as error:
        discover(tmp_path)
    assert str(error.value) == f"flow `{path}`: module raised ZeroDivisionError: division by zero (line 2)"


def test_a_flow_name_declared_twice_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.py", GOOD.format(var="x", name="Same"))
    write(tmp_path, "b.py", GOOD.format(var="x", name="Same"))
    with pytest.raises(FlowLoadError) as error:
        discover(tmp_path)
    assert str(error.value) == (f"flow `Same`: flow name is declared twice: in `{tmp_path / 'a.py'}` and "
                                f"`{tmp_path / 'b.py'}`; flow names must be unique")


def test_an_unknown_selection_lists_the_flows(tmp_path: Path) -> None:
    write(tmp_path, "a.py", GOOD.format(var="x", name="Alpha"))
    with pytest.raises(FlowLoadError) as error:
        discover(tmp_path, ["Gamma"])
    assert str(error.value) == f"flow `Gamma`: no such flow in `{tmp_path}` (flows: `Alpha`)"


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FlowLoadError, match="the flows directory does not exist"):
        discover(tmp_path / "nope")
