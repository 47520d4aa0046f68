-- The failure DB: one row per Kafka record that could not be loaded, keyed by where it came from.
-- A record that fails again (same topic, partition, offset) updates its row: attempts + 1.
CREATE TABLE failures (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload     bytea       NOT NULL,
    key         bytea,
    topic       text        NOT NULL,
    "partition" integer     NOT NULL CHECK ("partition" >= 0),
    "offset"    bigint      NOT NULL CHECK ("offset" >= 0),
    flow        text        NOT NULL,
    processor   text        NOT NULL,
    reason      text        NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    attempts    integer     NOT NULL DEFAULT 1 CHECK (attempts >= 1),
    status      text        NOT NULL DEFAULT 'new'
                            CHECK (status IN ('new', 'replayed', 'resolved', 'ignored')),
    resolved_by text,
    note        text,
    CONSTRAINT failures_source_key UNIQUE (topic, "partition", "offset")
);

-- Review queries: "what is new", "what failed in this flow", newest first.
CREATE INDEX failures_status_first_seen_idx ON failures (status, first_seen DESC);
CREATE INDEX failures_flow_first_seen_idx ON failures (flow, first_seen DESC);
CREATE INDEX failures_first_seen_idx ON failures (first_seen DESC);
