"""The NiFi an environment deploys to, proven reachable, with the manifest its flows are checked against.

Its URL is `<ENV>_NIFI_URL`, else `NIFI_URL` (argument > environment > `.env`); a secured NiFi
is reached with the client certificate of `<ENV>_NIFI_CLIENT_KEYSTORE`, else `NIFI_CLIENT_KEYSTORE`. The manifest is
that NiFi's own (cached per NiFi version), plus this project's Python processors: it says which
properties exist and their defaults, for validating a version before it touches the canvas and
for telling a changed property from one NiFi merely filled with its default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spotlight_nifi.canvas.client import NiFi, reason
from spotlight_nifi.canvas.errors import CanvasError
from spotlight_nifi.client_certificate import client_certificate, use
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ServiceError
from spotlight_nifi.flow.manifest import RuntimeManifest, load_manifest
from spotlight_nifi.flow.target import with_project_processors


@dataclass
class Canvas:
    """One environment's NiFi."""

    environment: str
    nifi: NiFi
    manifest: RuntimeManifest

    def error(self, flow: str | None, message: str) -> CanvasError:
        return CanvasError(self.environment, self.nifi.url, flow, message)


def open_canvas(environment: str, settings: Settings, cache: Path) -> Canvas:
    """The environment's NiFi, or a one-line error naming the variable to fix or the service to start."""
    url = settings.require("NIFI_URL", environment=environment,
                           hint=f"the NiFi that environment `{environment}` deploys to")
    use(client_certificate(settings, environment))
    nifi = NiFi(url)
    try:
        nifi.version()
    except ServiceError as error:
        cause = reason(error.__cause__) if isinstance(error.__cause__, Exception) else str(error)
        raise CanvasError(environment, nifi.url, None,
                          f"NiFi does not answer ({cause}): check `{environment.upper()}_NIFI_URL` or `NIFI_URL`, "
                          "or start the local one (`spotlight-nifi dev up nifi`)") from None
    return Canvas(environment, nifi, with_project_processors(load_manifest(nifi_url=nifi.url, cache_dir=cache)))
