"""CastToClickHouse: cast a batch of JSON records to a ClickHouse table's column types.

See the package docstring for why good records and misfits leave in one `success` FlowFile.
"""

from typing import Any

from nifiapi.flowfiletransform import FlowFileTransform

from spotlight_nifi.ingest import nifi
from spotlight_nifi.ingest.steps import (Connections, Outcome, cast_flowfile, positive_int, required,
                                         schema_mode)
from spotlight_nifi.processor_specs import CAST


class CastToClickHouse(FlowFileTransform):
    class Java:
        implements = ['org.apache.nifi.python.processor.FlowFileTransform']

    class ProcessorDetails:
        version = '0.1.0'
        description = ('Casts a batch of JSON records (JSON Lines, a JSON array, or ConsumeKafka wrapper records) to '
                       'the target table\'s column types and writes every record read to success, one JSON line '
                       'each: a record that fits carries its value, one that does not carries its reason and raw '
                       'bytes. failure is for the whole batch only (ClickHouse unreachable, table missing).')
        tags = ['spotlight', 'clickhouse', 'json', 'cast', 'schema', 'kafka']
        dependencies = ['spotlight-nifi==0.1.0', 'orjson>=3.9', 'msgspec>=0.18', 'clickhouse-connect>=0.8',
                        'genson>=1.3', 'jsonschema>=4.20']

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.connections = Connections()

    def getPropertyDescriptors(self) -> list[Any]:
        return nifi.property_descriptors(CAST)

    def onStopped(self, context: Any) -> None:
        self.connections.close()

    def transform(self, context: Any, flowfile: Any) -> Any:
        return nifi.transform(CAST, context, flowfile, self._cast)

    def _cast(self, props: dict[str, Any], content: bytes, attributes: dict[str, str]) -> Outcome:
        return cast_flowfile(self.connections.for_properties(props), content, attributes,
                             table=required(props, 'Table'), mode=schema_mode(props['Schema Mode']),
                             sample_size=positive_int('Sample Size', props['Sample Size']),
                             lenient=props['Lenient Parsing'] == 'true', cluster=props['ClickHouse Cluster'] or None)
