-- What the data stewards' web page needs: a reason class and target table per failure, every
-- attempt, an audit trail of decisions, and indexes that keep filtered keyset pages fast at a
-- million rows.

-- Trigram index for the case-insensitive "reason contains" filter. pg_trgm is a trusted
-- extension: the database owner may create it without being superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Reason classes are data: the first pattern (a POSIX regular expression, in position order)
-- matching a reason names its class; a reason no pattern matches is 'other'.
CREATE TABLE failure_reason_classes (
    position integer PRIMARY KEY,
    class    text    NOT NULL,
    pattern  text    NOT NULL
);
INSERT INTO failure_reason_classes (position, class, pattern) VALUES
    (10, 'invalid UTF-8', '^not valid UTF-8'),
    (20, 'invalid JSON', '^(invalid JSON|not a JSON array)|could not parse the message as JSON'),
    (30, 'empty message', '^empty Kafka message'),
    (40, 'missing or null field', '^field `.*` is (missing|null) and column `.*` is not Nullable$'),
    (50, 'unknown field', '^field `.*` has no column$'),
    (60, 'wrong type', '^(field `|record is )'),
    (70, 'table', '^table `'),
    (80, 'ClickHouse', 'ClickHouse');

CREATE FUNCTION failure_reason_class(reason text) RETURNS text LANGUAGE sql STABLE
RETURN coalesce((SELECT class FROM failure_reason_classes
                 WHERE failure_reason_class.reason ~ pattern ORDER BY position LIMIT 1), 'other');

-- The ClickHouse table a failed record was meant for: given by the caller, else the one its
-- reason names (`table `x` ...`); NULL when neither says.
ALTER TABLE failures ADD COLUMN target_table text, ADD COLUMN reason_class text;

CREATE FUNCTION failures_classify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.reason_class := failure_reason_class(NEW.reason);
    NEW.target_table := coalesce(NEW.target_table, substring(NEW.reason from 'table `([^`]+)`'));
    RETURN NEW;
END
$$;

CREATE TRIGGER failures_classify BEFORE INSERT OR UPDATE OF reason ON failures
    FOR EACH ROW EXECUTE FUNCTION failures_classify();

UPDATE failures SET reason_class = failure_reason_class(reason),
                    target_table = substring(reason from 'table `([^`]+)`');
ALTER TABLE failures ALTER COLUMN reason_class SET NOT NULL;

-- Every time a record failed. Rows recorded before this migration keep only their latest
-- attempt here (`failures.attempts` still counts them all).
CREATE TABLE failure_attempts (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    failure_id bigint      NOT NULL REFERENCES failures (id) ON DELETE CASCADE,
    seen_at    timestamptz NOT NULL,
    flow       text        NOT NULL,
    processor  text        NOT NULL,
    reason     text        NOT NULL
);
CREATE INDEX failure_attempts_failure_idx ON failure_attempts (failure_id, seen_at);
INSERT INTO failure_attempts (failure_id, seen_at, flow, processor, reason)
    SELECT id, last_seen, flow, processor, reason FROM failures;

-- The one upsert of a failed record, as in 0002, now also taking the target table and keeping
-- each attempt. Same rules: same (topic, partition, offset) updates its row, attempts + 1.
DROP FUNCTION record_failure(bytea, bytea, text, integer, bigint, text, text, text, timestamptz);
CREATE FUNCTION record_failure(
    payload bytea, key bytea, topic text, "partition" integer, "offset" bigint,
    flow text, processor text, reason text, seen_at timestamptz DEFAULT NULL, target_table text DEFAULT NULL
) RETURNS bigint LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH upserted AS (
        INSERT INTO failures (payload, key, topic, "partition", "offset", flow, processor, reason,
                              first_seen, last_seen, target_table)
        VALUES (record_failure.payload, record_failure.key, record_failure.topic, record_failure."partition",
                record_failure."offset", record_failure.flow, record_failure.processor, record_failure.reason,
                coalesce(record_failure.seen_at, now()), coalesce(record_failure.seen_at, now()),
                record_failure.target_table)
        ON CONFLICT (topic, "partition", "offset") DO UPDATE SET
            attempts = failures.attempts + 1,
            last_seen = greatest(failures.last_seen, excluded.last_seen),
            reason = excluded.reason,
            flow = excluded.flow,
            processor = excluded.processor,
            target_table = coalesce(excluded.target_table, failures.target_table),
            status = CASE WHEN failures.status = 'ignored' THEN 'ignored' ELSE 'new' END
        RETURNING id
    )
    INSERT INTO failure_attempts (failure_id, seen_at, flow, processor, reason)
    SELECT id, coalesce(record_failure.seen_at, now()), record_failure.flow, record_failure.processor,
           record_failure.reason
    FROM upserted
    RETURNING failure_id;
END;

COMMENT ON FUNCTION record_failure(bytea, bytea, text, integer, bigint, text, text, text, timestamptz, text) IS
    'The one upsert of a failed record (failure_inbox trigger and spotlight_nifi.failures.store).';

-- Who did what to which record, and when: every replay, resolve and ignore (one row per record),
-- and every export (failure_id NULL, the filters in detail).
CREATE TABLE failure_actions (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    failure_id bigint      REFERENCES failures (id) ON DELETE CASCADE,
    action     text        NOT NULL CHECK (action IN ('replay', 'resolve', 'ignore', 'export')),
    actor      text        NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    note       text,
    detail     jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX failure_actions_failure_idx ON failure_actions (failure_id, at);

-- Keyset pages: one (key, id) index per sort key, one (filter column, first_seen, id) per filter,
-- and the open records (new or replayed) with what the overview groups them by. They replace
-- 0001's single-key indexes, which cannot order ties by id.
DROP INDEX failures_status_first_seen_idx, failures_flow_first_seen_idx, failures_first_seen_idx;
CREATE INDEX failures_first_seen_id_idx ON failures (first_seen, id);
CREATE INDEX failures_last_seen_id_idx ON failures (last_seen, id);
CREATE INDEX failures_attempts_id_idx ON failures (attempts, id);
CREATE INDEX failures_status_first_seen_id_idx ON failures (status, first_seen, id);
CREATE INDEX failures_topic_first_seen_id_idx ON failures (topic, first_seen, id);
CREATE INDEX failures_flow_first_seen_id_idx ON failures (flow, first_seen, id);
CREATE INDEX failures_table_first_seen_id_idx ON failures (target_table, first_seen, id);
CREATE INDEX failures_class_first_seen_id_idx ON failures (reason_class, first_seen, id);
CREATE INDEX failures_open_first_seen_id_idx ON failures (first_seen, id)
    INCLUDE (topic, target_table, reason_class) WHERE status IN ('new', 'replayed');
CREATE INDEX failures_reason_trgm_idx ON failures USING gin (reason gin_trgm_ops);
