"""AnnotateFailure: turn whatever failed upstream into failure-DB records, one JSON line per Kafka record.

Its `success` goes to PutDatabaseRecord (JSON reader) into the failure DB's `failures` table; what
each kind of input becomes is described in `spotlight_nifi.ingest.failure_record`.
"""

from typing import Any

from nifiapi.flowfiletransform import FlowFileTransform

from spotlight_nifi.ingest import nifi
from spotlight_nifi.ingest.steps import Outcome, annotate_flowfile, required
from spotlight_nifi.processor_specs import ANNOTATE


class AnnotateFailure(FlowFileTransform):
    class Java:
        implements = ['org.apache.nifi.python.processor.FlowFileTransform']

    class ProcessorDetails:
        version = '0.1.0'
        description = ('Turns any failed FlowFile into one failure-DB record: raw bytes, topic, partition, offset, '
                       'flow, processor and reason.')
        tags = ['spotlight', 'failure', 'dead letter', 'kafka', 'postgresql']
        dependencies = ['spotlight-nifi==0.1.0', 'orjson>=3.9', 'msgspec>=0.18', 'clickhouse-connect>=0.8',
                        'genson>=1.3', 'jsonschema>=4.20']

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()

    def getPropertyDescriptors(self) -> list[Any]:
        return nifi.property_descriptors(ANNOTATE)

    def transform(self, context: Any, flowfile: Any) -> Any:
        return nifi.transform(ANNOTATE, context, flowfile, self._annotate)

    def _annotate(self, props: dict[str, Any], content: bytes, attributes: dict[str, str]) -> Outcome:
        return annotate_flowfile(content, attributes, flow=required(props, 'Flow Name'))
