"""Errors of a deploy, in the package's one hierarchy (`SpotlightError`).

Each names the environment, the NiFi and the flow at fault, says what happened to the canvas
(untouched, rolled back, or deployed but not running) and how to go on.
"""

from __future__ import annotations

from spotlight_nifi.errors import SpotlightError


class CanvasError(SpotlightError):
    """A deploy to one environment's NiFi was refused or failed."""

    def __init__(self, environment: str, url: str, flow: str | None, message: str) -> None:
        self.environment = environment
        self.url = url
        self.flow = flow
        where = f"environment `{environment}` (NiFi at `{url}`)" + (f": flow `{flow}`" if flow else "")
        super().__init__(f"{where}: {message}")


class LocalChanges(CanvasError):
    """The canvas was changed by hand since the last deploy; `diff` says how (deployed → canvas)."""

    def __init__(self, environment: str, url: str, flow: str, diff: str, fix: str) -> None:
        self.diff = diff
        super().__init__(environment, url, flow, f"the canvas was changed since the last deploy; nothing was "
                                                 f"deployed: {fix}\n{diff}")


class NotRunning(CanvasError):
    """The new version is on the canvas, but some components are invalid or did not start."""
