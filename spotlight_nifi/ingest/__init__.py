"""The logic behind the NiFi Python processors: read a FlowFile's records, cast, insert, annotate.

`batch` reads and casts, `envelope` is the format CastToClickHouse emits, `failure_record` builds
failure-DB rows, `steps` is one function per processor, `nar` packages the processors.
"""

from __future__ import annotations

from spotlight_nifi.ingest.batch import CastBatch, Item, Source, cast_batch, read_batch
from spotlight_nifi.ingest.steps import Outcome, annotate_flowfile, cast_flowfile, insert_flowfile

__all__ = ["CastBatch", "Item", "Outcome", "Source", "annotate_flowfile", "cast_batch", "cast_flowfile",
           "insert_flowfile", "read_batch"]
