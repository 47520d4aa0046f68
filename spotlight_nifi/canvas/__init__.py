"""The NiFi canvas operators watch: flow versions deployed in place, parameters filled, services
enabled, processors started, and what runs there compared with the code and the registry.

Everything here talks to NiFi's REST API through nipyapi; `parameters`, `record` and `drift` are
the pure parts (which value each parameter gets, what a deploy records, what changed on the canvas).
"""

from spotlight_nifi.canvas.client import ComponentState, NiFi, Queue
from spotlight_nifi.canvas.deploy import Deployment, deploy_definition
from spotlight_nifi.canvas.drift import comparable, drift
from spotlight_nifi.canvas.environment import Canvas, open_canvas
from spotlight_nifi.canvas.errors import CanvasError, LocalChanges, NotRunning
from spotlight_nifi.canvas.parameters import parameter_values
from spotlight_nifi.canvas.record import DeployRecord, attach, detach
from spotlight_nifi.canvas.rollout import deploy
from spotlight_nifi.canvas.status import Against, FlowStatus, compare, status

__all__ = [
    "Against", "Canvas", "CanvasError", "ComponentState", "DeployRecord", "Deployment", "FlowStatus", "LocalChanges",
    "NiFi", "NotRunning", "Queue", "attach", "comparable", "compare", "deploy", "deploy_definition", "detach", "drift",
    "open_canvas", "parameter_values", "status",
]
