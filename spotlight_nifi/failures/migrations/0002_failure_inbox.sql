-- Failures written by NiFi flows: PutDatabaseRecord does a plain INSERT of AnnotateFailure's records
-- into `failure_inbox`; a trigger turns each into the same upsert on `failures` that Python callers use.

-- Records that did not come from Kafka (files, HTTP, ...) have no coordinates, and a FlowFile of
-- several Kafka records knows its topic and partition but not each offset. NULLs are distinct in
-- the unique constraint: such a record makes a new row each time it fails; only a record with all
-- three coordinates is counted as the same record failing again.
ALTER TABLE failures
    ALTER COLUMN topic DROP NOT NULL,
    ALTER COLUMN "partition" DROP NOT NULL,
    ALTER COLUMN "offset" DROP NOT NULL;

-- The one upsert of a failed record, for the trigger below and for `spotlight_nifi.failures.store`.
-- A record failing again (same topic, partition, offset) updates its row: attempts + 1, last_seen,
-- the latest reason, flow and processor; status back to 'new' unless a steward chose 'ignored'.
CREATE FUNCTION record_failure(
    payload bytea, key bytea, topic text, "partition" integer, "offset" bigint,
    flow text, processor text, reason text, seen_at timestamptz DEFAULT NULL
) RETURNS bigint LANGUAGE sql VOLATILE
BEGIN ATOMIC
    INSERT INTO failures (payload, key, topic, "partition", "offset", flow, processor, reason, first_seen, last_seen)
    VALUES (record_failure.payload, record_failure.key, record_failure.topic, record_failure."partition",
            record_failure."offset", record_failure.flow, record_failure.processor, record_failure.reason,
            coalesce(record_failure.seen_at, now()), coalesce(record_failure.seen_at, now()))
    ON CONFLICT (topic, "partition", "offset") DO UPDATE SET
        attempts = failures.attempts + 1,
        last_seen = greatest(failures.last_seen, excluded.last_seen),
        reason = excluded.reason,
        flow = excluded.flow,
        processor = excluded.processor,
        status = CASE WHEN failures.status = 'ignored' THEN 'ignored' ELSE 'new' END
    RETURNING id;
END;

-- Exactly the fields of `spotlight_nifi.ingest.failure_record.failure_record`, in JSON-friendly
-- types: `payload` and `key` are base64. `payload_text` is accepted and not kept: it is the
-- payload decoded as UTF-8, which `failures.payload` already holds. Rows never stay here.
CREATE TABLE failure_inbox (
    topic        text,
    "partition"  integer,
    "offset"     bigint,
    key          text,
    payload      text NOT NULL,
    payload_text text,
    flow         text NOT NULL,
    processor    text NOT NULL,
    reason       text NOT NULL
);

-- The bytes of a base64 text, or NULL when the text is not base64.
CREATE FUNCTION failure_inbox_decode(encoded text) RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    RETURN decode(encoded, 'base64');
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN NULL;
END
$$;

-- Text that is not base64 must not block the record (PutDatabaseRecord would hold it forever):
-- its own UTF-8 bytes are kept instead, and the reason says so.
CREATE FUNCTION failure_inbox_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    payload_bytes bytea := failure_inbox_decode(NEW.payload);
    key_bytes bytea := failure_inbox_decode(NEW.key);
    reason text := NEW.reason;
BEGIN
    IF payload_bytes IS NULL AND NEW.payload IS NOT NULL THEN
        payload_bytes := convert_to(NEW.payload, 'UTF8');
        reason := reason || ' (failure_inbox: `payload` was not base64, its text is kept as UTF-8 bytes)';
    END IF;
    IF key_bytes IS NULL AND NEW.key IS NOT NULL THEN
        key_bytes := convert_to(NEW.key, 'UTF8');
        reason := reason || ' (failure_inbox: `key` was not base64, its text is kept as UTF-8 bytes)';
    END IF;
    PERFORM record_failure(payload_bytes, key_bytes, NEW.topic, NEW."partition", NEW."offset",
                           NEW.flow, NEW.processor, reason);
    RETURN NULL;
END
$$;

CREATE TRIGGER failure_inbox_record BEFORE INSERT ON failure_inbox
    FOR EACH ROW EXECUTE FUNCTION failure_inbox_record();

COMMENT ON TABLE failure_inbox IS
    'Insert-only: each row is upserted into failures by record_failure() and never stored here.';
COMMENT ON FUNCTION record_failure(bytea, bytea, text, integer, bigint, text, text, text, timestamptz) IS
    'The one upsert of a failed record (failure_inbox trigger and spotlight_nifi.failures.store).';
