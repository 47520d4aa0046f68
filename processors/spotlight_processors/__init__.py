"""Spotlight's NiFi 2.x Python processors: CastToClickHouse, InsertClickHouse, AnnotateFailure.

Thin adapters (nifiapi `FlowFileTransform`) over `spotlight_nifi.ingest.steps`; their names,
properties and relationships come from `spotlight_nifi.processor_specs`.

NiFi reads each `ProcessorDetails` (version, description, tags, dependencies) from the source
text before it imports anything, and only literals survive that reading, so those four are
literals here; `tests/integration/test_processors.py` proves they equal the specs.

One FlowFile in, one FlowFile out: a FlowFileTransform returns a single FlowFileTransformResult
(nifiapi 2.3.0; the multiple-output interface of later NiFi versions still sends `failure` with
the original content only). So per-record failures cannot leave on `failure` next to a good batch.
CastToClickHouse therefore writes every record read into its one `success` FlowFile, each line
either a record that fits or a misfit with its reason and exact raw bytes
(`spotlight_nifi.ingest.envelope`); the flow sends that FlowFile both to InsertClickHouse (which
inserts the fitting lines) and to AnnotateFailure (which turns the misfit lines into failure-DB
rows). `failure` is kept for a whole FlowFile that could not be handled (ClickHouse unreachable,
table missing): it carries the reason in `spotlight.failure.reason`.
"""
