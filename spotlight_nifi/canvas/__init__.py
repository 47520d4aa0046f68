"""The NiFi canvas operators watch: flows uploaded, parameters filled, services enabled, processors started.

Everything here talks to NiFi's REST API through nipyapi; `parameters` is the pure part (which
value each parameter gets in an environment).
"""

from spotlight_nifi.canvas.client import ComponentState, NiFi
from spotlight_nifi.canvas.deploy import Deployment, deploy_definition
from spotlight_nifi.canvas.parameters import parameter_values

__all__ = ["ComponentState", "Deployment", "NiFi", "deploy_definition", "parameter_values"]
