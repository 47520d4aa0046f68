"""The NiFi side of the processors: descriptors from `processor_specs`, property values, results.

Imports `nifiapi` only inside the functions: that package exists only in NiFi's Python process
(and in the tests, which load it from its Maven artifact).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spotlight_nifi.ingest import envelope
from spotlight_nifi.ingest.batch import HTTP_BATCH
from spotlight_nifi.ingest.steps import Outcome, failed
from spotlight_nifi.processor_specs import ProcessorProperty, PythonProcessorSpec

ATTRIBUTES_READ = ("kafka.topic", "kafka.partition", "kafka.offset", "kafka.key", HTTP_BATCH, envelope.CONTENT,
                   envelope.COLUMNS, envelope.FAILED, envelope.FAILURE_REASON, envelope.FAILURE_PROCESSOR,
                   envelope.FLOWFILE_UUID)


def _descriptor(prop: ProcessorProperty) -> Any:
    from nifiapi.properties import (  # type: ignore[import-not-found]
        ExpressionLanguageScope, PropertyDescriptor, StandardValidators)

    if prop.positive_integer:
        validators = [StandardValidators.POSITIVE_INTEGER_VALIDATOR]
    elif prop.required and not prop.allowable:
        validators = [StandardValidators.NON_EMPTY_VALIDATOR]
    else:
        validators = None
    scope = (ExpressionLanguageScope.NONE if prop.sensitive or prop.allowable
             else ExpressionLanguageScope.FLOWFILE_ATTRIBUTES)
    return PropertyDescriptor(name=prop.name, description=prop.description, required=prop.required,
                              sensitive=prop.sensitive, default_value=prop.default,
                              allowable_values=list(prop.allowable) or None, validators=validators,
                              expression_language_scope=scope)


def property_descriptors(spec: PythonProcessorSpec) -> list[Any]:
    """The `PropertyDescriptor`s of a processor, in the spec's order."""
    return [_descriptor(prop) for prop in spec.properties]


def property_values(spec: PythonProcessorSpec, context: Any, flowfile: Any) -> dict[str, str | None]:
    """Every property's value for this FlowFile (Expression Language evaluated against it)."""
    return {prop.name: context.getProperty(prop.name).evaluateAttributeExpressions(flowfile).getValue()
            for prop in spec.properties}


def attributes(flowfile: Any) -> dict[str, str]:
    """The attributes the steps read, one `getAttribute` call each (no copy of the whole map)."""
    found = {name: flowfile.getAttribute(name) for name in ATTRIBUTES_READ}
    return {name: value for name, value in found.items() if value is not None}


def result(outcome: Outcome) -> Any:
    from nifiapi.flowfiletransform import FlowFileTransformResult  # type: ignore[import-not-found]

    return FlowFileTransformResult(outcome.relationship, attributes=outcome.attributes or None,
                                   contents=outcome.contents)


Step = Callable[[dict[str, str | None], bytes, dict[str, str]], Outcome]
"""What a processor does with its property values and a FlowFile's content and attributes."""


def transform(spec: PythonProcessorSpec, context: Any, flowfile: Any, step: Step) -> Any:
    """One `FlowFileTransform.transform`: the step's outcome; `failure` with the reason if it raises."""
    props = property_values(spec, context, flowfile)
    try:
        outcome = step(props, flowfile.getContentsAsBytes(), attributes(flowfile))
    except Exception as error:
        outcome = failed(spec.type, f"{type(error).__name__}: {error}")
    return result(outcome)
