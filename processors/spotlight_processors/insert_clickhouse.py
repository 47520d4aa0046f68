"""InsertClickHouse: insert the records of a CastToClickHouse `success` FlowFile that fit the table.

Lines that did not fit are skipped here: AnnotateFailure records them from its own copy. On
`failure` (after the flow's retries) AnnotateFailure records every fitting line with the reason.
Each batch's insert carries a token from the FlowFile's `uuid`, so a retry never duplicates rows.
"""

from typing import Any

from nifiapi.flowfiletransform import FlowFileTransform

from spotlight_nifi.ingest import nifi
from spotlight_nifi.ingest.steps import Connections, Outcome, insert_flowfile, positive_int, required
from spotlight_nifi.processor_specs import INSERT


class InsertClickHouse(FlowFileTransform):
    class Java:
        implements = ['org.apache.nifi.python.processor.FlowFileTransform']

    class ProcessorDetails:
        version = '0.1.0'
        description = 'Inserts a batch of cast JSON records into ClickHouse in one native insert.'
        tags = ['spotlight', 'clickhouse', 'insert', 'put', 'database']
        dependencies = ['spotlight-nifi==0.1.0', 'orjson>=3.9', 'msgspec>=0.18', 'clickhouse-connect>=0.8',
                        'genson>=1.3', 'jsonschema>=4.20']

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.connections = Connections()

    def getPropertyDescriptors(self) -> list[Any]:
        return nifi.property_descriptors(INSERT)

    def onStopped(self, context: Any) -> None:
        self.connections.close()

    def transform(self, context: Any, flowfile: Any) -> Any:
        return nifi.transform(INSERT, context, flowfile, self._insert)

    def _insert(self, props: dict[str, Any], content: bytes, attributes: dict[str, str]) -> Outcome:
        return insert_flowfile(self.connections.for_properties(props), content, attributes,
                               table=required(props, 'Table'),
                               batch_size=positive_int('Batch Size', props['Batch Size']))
