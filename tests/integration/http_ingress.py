"""POSTing a batch to a flow's HTTP ingress the way a producer must: again until NiFi has stored it."""

from __future__ import annotations

import time

import urllib3

from spotlight_nifi.ingest.batch import HTTP_BATCH


def post_batch(url: str, batch: str, body: bytes, deadline: float) -> None:
    """POST until ListenHTTP answers 200 (it does once the FlowFile is in NiFi's repository), naming
    the batch so a re-sent one is recognised; TimeoutError once `deadline` (monotonic) has passed."""
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2, read=30))
    while True:
        try:
            if http.request("POST", url, body=body, headers={HTTP_BATCH: batch}).status == 200:
                return
        except urllib3.exceptions.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"batch {batch} not accepted by {url}")
        time.sleep(0.5)
