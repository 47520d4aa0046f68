"""A NiFi Registry server as a flow registry: a bucket per environment, flows by name, integer versions.

Calls go through nipyapi's generated registry client (`BucketsApi`, `BucketFlowsApi`) with raw
JSON in and out: snapshots stay plain dicts, never swagger models. NiFi Registry accepts a new
version only when its number is the next integer, and answers 409 otherwise, so of two racing
pushes one wins and the other sees `RegistryMoved`.

The server sets a version's author to the authenticated user (`anonymous` when unsecured) and
keeps only the fields of its own data model (0.8.0 drops what NiFi 2.x added, such as
`bulletinLevel` or a service's `scheduledState`), so the author and the digest of what was sent
travel in the version's comments as trailers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import datetime, timezone
from typing import Any

from spotlight_nifi.registry import trailers
from spotlight_nifi.registry.errors import RegistryError, RegistryMoved, RegistryUnreachable
from spotlight_nifi.registry.interface import FlowVersion, Publication
from spotlight_nifi.registry.lineage import Source
from spotlight_nifi.registry.snapshot import canonical, digest, flow_id

API_PATH = "/nifi-registry-api"


class NiFiRegistryServer:
    """One bucket of a NiFi Registry server: one environment's versions."""

    def __init__(self, url: str, bucket: str, environment: str) -> None:
        from nipyapi import (
            registry,  # here: importing nipyapi costs a third of a second
        )

        base = url.rstrip("/")
        self.url = base if base.endswith(API_PATH) else base + API_PATH
        self.bucket = bucket
        self.environment = environment
        self.description = f"NiFi Registry `{base}` bucket `{bucket}`"
        client = registry.ApiClient(host=self.url)
        self._buckets = registry.BucketsApi(client)
        self._flows = registry.BucketFlowsApi(client)
        self._api_error = registry.rest.ApiException
        self._bucket_id: str | None = None

    def _call(self, method: Callable[..., Any], *args: Any, missing_ok: bool = False) -> Any:
        """Raw JSON of one call; None for a 404 when `missing_ok`; 409 means someone got in first.

        A read is tried three times: 0.8.0 creates revision rows lazily on reads, and two
        concurrent reads of a new bucket or flow can fail with 500 on that insert."""
        attempts = 3 if method.__name__.startswith("get_") else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._request(method, args)
            except self._api_error as error:
                if error.status == 404 and missing_ok:
                    return None
                if error.status < 500 or attempt == attempts:
                    raise self._refused(error) from None
                time.sleep(0.2)
        return None

    def _request(self, method: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        import urllib3

        try:
            response = method(*args, _preload_content=False, _request_timeout=30)
        except urllib3.exceptions.HTTPError as error:
            raise RegistryUnreachable(
                self.environment, self.description,
                f"cannot reach `{self.url}` ({type(error).__name__}); is the server up? "
                "(`spotlight-nifi dev up nifi-registry` starts a local one) check the environment's `url`") from None
        return json.loads(response.data) if response.data else None

    def _refused(self, error: Any) -> RegistryError:
        body = (error.body.decode(errors="replace") if isinstance(error.body, bytes) else str(error.body or "")).strip()
        if error.status == 409:
            return RegistryMoved(self.environment, self.description, body)
        return RegistryError(self.environment, self.description, f"HTTP {error.status} from `{self.url}`: "
                                                                 f"{body or error.reason}")

    def refresh(self) -> None:
        self._bucket_id = None

    def _bucket(self) -> str | None:
        if self._bucket_id is None:
            found = [b for b in self._call(self._buckets.get_buckets) if b["name"] == self.bucket]
            self._bucket_id = found[0]["identifier"] if found else None
        return self._bucket_id

    def _create(self, create: Callable[[], Any], landed: Callable[[], bool], what: str) -> Any:
        """Run a create; when it fails because another writer created the same thing first (0.8.0
        answers 409 or, when the race reaches its database or flow storage, 500), raise RegistryMoved."""
        try:
            return create()
        except RegistryMoved:
            raise
        except RegistryError:
            if landed():
                raise RegistryMoved(self.environment, self.description, f"{what} was written by another writer "
                                                                        "meanwhile") from None
            raise

    def _ensure_bucket(self) -> str:
        if self._bucket() is None:
            with suppress(RegistryMoved):
                self._create(lambda: self._call(self._buckets.create_bucket, {"name": self.bucket}),
                             lambda: self._bucket() is not None, "the bucket")
        bucket = self._bucket()
        if bucket is None:
            raise RegistryError(self.environment, self.description, "the bucket could not be created")
        return bucket

    def _has_version(self, flow: str, number: int) -> bool:
        latest = self.latest([flow]).get(flow)
        return latest is not None and int(latest.version) >= number

    def _flow_ids(self, bucket: str) -> dict[str, str]:
        """Server id of each flow by its flow id; of two flows of one name (racing creators can make
        two in 0.8.0) the oldest."""
        found = sorted(self._call(self._flows.get_flows, bucket), key=lambda f: (f.get("createdTimestamp", 0),
                                                                                   f["identifier"]), reverse=True)
        return {flow_id(f["name"]): f["identifier"] for f in found}

    def _flow(self, bucket: str, flow: str) -> str | None:
        return self._flow_ids(bucket).get(flow_id(flow))

    def _claim(self, bucket: str, flow: str, identifier: str) -> None:
        """Keep a flow we created only if it is the oldest of its name; else delete it and raise
        RegistryMoved: its version was never the flow's, and the next read shows the other one."""
        if self._flow(bucket, flow) != identifier:
            revision = self._call(self._flows.get_flow, bucket, identifier)["revision"]["version"]
            self._call(self._flows.delete_flow, revision, bucket, identifier)
            raise RegistryMoved(self.environment, self.description, f"flow `{flow}` was created by another writer "
                                                                    "meanwhile")

    def _locate(self, flow: str) -> tuple[str, str] | None:
        """(bucket id, flow id) of a flow, None when the bucket or the flow does not exist."""
        bucket = self._bucket()
        identifier = self._flow(bucket, flow) if bucket else None
        return (bucket, identifier) if bucket and identifier else None

    def latest(self, flows: Sequence[str]) -> dict[str, FlowVersion]:
        bucket = self._bucket()
        if bucket is None:
            return {}
        ids = self._flow_ids(bucket)
        versions = {}
        for flow in flows:
            identifier = ids.get(flow_id(flow))
            meta = self._call(self._flows.get_latest_flow_version_metadata, bucket, identifier, missing_ok=True) \
                if identifier else None
            if meta:
                versions[flow] = self._version(flow, meta)
        return versions

    def _version(self, flow: str, meta: dict[str, Any]) -> FlowVersion:
        found = trailers.parse(meta.get("comments"))
        return FlowVersion(flow, str(meta["version"]), found.get(trailers.AUTHOR, meta.get("author", "")),
                           datetime.fromtimestamp(meta.get("timestamp", 0) / 1000, timezone.utc),
                           meta.get("comments") or "", Source.from_trailers(found), found.get(trailers.CONTENT_DIGEST))

    def snapshot(self, flow: str, version: str) -> dict[str, Any]:
        located = self._locate(flow)
        found = self._call(self._flows.get_flow_version, *located, version, missing_ok=True) if located else None
        if found is None:
            raise RegistryError(self.environment, self.description, f"flow `{flow}` has no version `{version}`")
        return found

    def publish(self, publications: Sequence[Publication], message: str, author: str) -> dict[str, FlowVersion]:
        """Each flow's next version; a flow another writer created or moved meanwhile raises."""
        bucket = self._ensure_bucket()
        return {item.flow: self._publish(bucket, item, message, author) for item in publications}

    def _publish(self, bucket: str, item: Publication, message: str, author: str) -> FlowVersion:
        identifier = self._flow(bucket, item.flow)
        created_here = identifier is None and item.previous is None
        if created_here:
            identifier = self._create(
                lambda: self._call(self._flows.create_flow, {"name": item.flow, "type": "Flow"}, bucket),
                lambda: self._flow(bucket, item.flow) is not None, f"flow `{item.flow}`")["identifier"]
        if identifier is None:
            raise RegistryMoved(self.environment, self.description, f"flow `{item.flow}` was deleted meanwhile")
        comments = trailers.with_trailers(message, {trailers.AUTHOR: author,
                                                    trailers.CONTENT_DIGEST: digest(item.snapshot)})
        number = int(item.previous.version) + 1 if item.previous else 1
        body = {**canonical(item.snapshot), "snapshotMetadata": {"version": number, "comments": comments}}
        created = self._create(lambda: self._call(self._flows.create_flow_version, body, bucket, identifier),
                               lambda: self._has_version(item.flow, number), f"version {number} of flow `{item.flow}`")
        if created_here:
            self._claim(bucket, item.flow, identifier)
        return self._version(item.flow, created["snapshotMetadata"])
