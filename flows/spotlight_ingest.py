"""Spotlight's ingest: API JSON landed on Kafka topics, loaded into ClickHouse tables."""

from spotlight_nifi.flow.template import Topic, ingest_flow

ingest = ingest_flow(
    "Spotlight ingest",
    [
        Topic("reddit.submissions", table="reddit_submissions"),
        Topic("github.events", table="github_events", batch_size=20000),
        Topic("weather.observations", table="weather_observations", batch_size=5000),
    ],
)
