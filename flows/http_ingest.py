"""Batches POSTed over HTTP by batch producers (Airflow, Spark jobs) loaded into the `events` table.

No Kafka: this is the flow the local NiFi 2.3.0 (which has no Kafka NAR) runs end to end.
"""

from spotlight_nifi.flow.template import HttpIngress, ingest_flow

http_ingest = ingest_flow("Spotlight HTTP ingest", [HttpIngress("events", table="events")])
