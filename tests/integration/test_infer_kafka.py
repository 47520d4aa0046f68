"""Sampling records from a real Kafka topic (the local KRaft broker of the project's stack)."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Producer

from spotlight_nifi.errors import InputDataError
from spotlight_nifi.infer.reader import read_kafka

pytestmark = pytest.mark.integration


@pytest.fixture
def topic(kafka_bootstrap: str) -> str:
    name = f"infer-{uuid.uuid4().hex[:8]}"
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for value in [b'{"id": 1}', b'{"id": 2,\n "tag": "x"}', b"not json", b'{"id": 3}']:
        producer.produce(name, value)
    producer.flush(30)
    return name


def test_sample_reads_records_and_reports_the_bad_message(kafka_bootstrap: str, topic: str) -> None:
    records = read_kafka(topic, kafka_bootstrap, 10, skip_invalid=True)
    assert records.records == [{"id": 1}, {"id": 2, "tag": "x"}, {"id": 3}]
    assert [(n, raw) for n, _, raw in records.invalid] == [(3, b"not json")]
    with pytest.raises(InputDataError, match=rf"^`kafka:{topic}` line 3: invalid JSON"):
        read_kafka(topic, kafka_bootstrap, 10)


def test_sample_stops_at_n(kafka_bootstrap: str, topic: str) -> None:
    assert read_kafka(topic, kafka_bootstrap, 2).records == [{"id": 1}, {"id": 2, "tag": "x"}]
