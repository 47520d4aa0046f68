#!/usr/bin/env python3
"""Time to compile and validate 100 flows of 20 components each, and its ratio to json.dumps.

Validation runs against a real runtime manifest (NiFi 2.3.0 NARs from Maven Central, cached)
plus this project's Python processors, so every component is actually checked. The ratio
compares our whole path (model → JSON dict → manifest checks → canonical text) with only
serialising the same dicts with `json.dumps`.
"""

from __future__ import annotations

import json
import statistics
import time

from spotlight_nifi.flow import components as c
from spotlight_nifi.flow.compile import compile_flow, to_json
from spotlight_nifi.flow.manifest import load_manifest
from spotlight_nifi.flow.manifest_sources import nar_coordinates
from spotlight_nifi.flow.model import Bundle, Flow, Parameter, ParameterContext
from spotlight_nifi.flow.target import with_project_processors
from spotlight_nifi.flow.validate import validate

FLOWS, REPEATS = 100, 5
NARS = nar_coordinates("2.3.0", ("nifi-record-serialization-services-nar", "nifi-dbcp-service-nar",
                                 "nifi-standard-services-api-nar", "nifi-splunk-nar"))


def flow(index: int) -> Flow:
    """3 controller services and 17 processors in a chain: 20 components, 16 connections."""
    result = Flow(f"Bench {index}", parameter_context=ParameterContext("bench", [
        Parameter("secret", sensitive=True, env="SECRET"), Parameter("url", "chdb:///tmp/bench")]))
    record = Bundle.nifi("nifi-record-serialization-services-nar", "2.3.0")
    result.add(c.service("Reader", "org.apache.nifi.json.JsonTreeReader", record.artifact,
                         {"schema-access-strategy": "infer-schema"}, bundle=record))
    result.add(c.service("Writer", "org.apache.nifi.json.JsonRecordSetWriter", record.artifact,
                         {"Schema Write Strategy": "no-schema"}, bundle=record))
    result.add(c.service("Pool", "org.apache.nifi.dbcp.DBCPConnectionPool", "nifi-dbcp-service-nar",
                         {"Database Connection URL": "#{url}", "Database Driver Class Name": "org.postgresql.Driver",
                          "Password": "#{secret}"}, sensitive=frozenset({"Password"}),
                         bundle=Bundle.nifi("nifi-dbcp-service-nar", "2.3.0")))
    previous = result.add(c.processor("Source", "org.apache.nifi.processors.splunk.GetSplunk", "nifi-splunk-nar",
                                      {"Hostname": f"splunk-{index}"}, bundle=Bundle.nifi("nifi-splunk-nar", "2.3.0")))
    for step in range(16):
        last = step == 15
        current = result.add(c.cast_to_clickhouse(
            f"Cast {step}", url="#{url}", table=f"t{index}_{step}", user="default", password="#{secret}",
            auto_terminate=("failure", "original", "success") if last else ("failure", "original")))
        result.connect(previous, current, "success")
        previous = current
    return result


def main() -> None:
    manifest = with_project_processors(load_manifest(nars=NARS))
    flows = [flow(i) for i in range(FLOWS)]
    ours, dumps = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        snapshots = []
        for item in flows:
            snapshot = compile_flow(item)
            report = validate(item.name, snapshot, manifest, strict=True)
            if report.issues:
                raise SystemExit(f"bench flow is invalid: {report.issues[0]}")
            to_json(snapshot)
            snapshots.append(snapshot)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        for snapshot in snapshots:
            json.dumps(snapshot, sort_keys=True, indent=2)
        dumps.append(time.perf_counter() - start)
    ours_s, dumps_s = statistics.median(ours), statistics.median(dumps)
    print(f"flows: {FLOWS} × 20 components, median of {REPEATS} runs, manifest: {manifest.source}")
    print(f"compile + validate + serialise: {ours_s * 1000:.1f} ms ({ours_s / FLOWS * 1000:.2f} ms per flow)")
    print(f"json.dumps of the same output:  {dumps_s * 1000:.1f} ms")
    print(f"ratio ours / json.dumps: {ours_s / dumps_s:.1f}×")


if __name__ == "__main__":
    main()
