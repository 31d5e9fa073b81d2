-- The first schema: verdicts, the observables of every event, enforcement
-- actions, and the hourly KPI tables that materialized views keep.
--
-- Written for ClickHouse 18.16 and later alike: MergeTree engines with the
-- PARTITION BY / ORDER BY syntax, materialized views with TO, aggregate
-- states; no TTL, no LowCardinality, no DateTime64, no skip indexes.
-- {db} is replaced by the configured database name, quoted.
--
-- Idempotency: a verdict is keyed by (event_id, indicator_id), an action by
-- action_id. The base tables are ReplacingMergeTree, so a repeated insert
-- collapses on merge (queries that need exact rows use FINAL). The views
-- see every insert, repeats included, so their counts are uniq states of
-- the key rather than sums: a repeat adds nothing.

CREATE TABLE IF NOT EXISTS {db}.verdicts (
    event_id String,
    indicator_id String,
    event_time DateTime,
    verdict_time DateTime,
    department String,
    user String,
    host String,
    observable_type String,
    observable_value String,
    observable_field String,
    other_fields Array(String),
    indicator_type String,
    indicator_value String,
    feeds Array(String),
    feed_ids Array(String),
    confidence UInt8,
    severity Enum8('unknown' = 0, 'info' = 1, 'low' = 2, 'medium' = 3, 'high' = 4,
        'critical' = 5),
    format String,
    kind String,
    origin String,
    threat_types Array(String),
    malware Array(String),
    campaigns Array(String),
    actors Array(String),
    retrospective UInt8,
    matcher_version UInt64,
    -- live is the ReplacingMergeTree version: when a live verdict and a
    -- retrospective one exist for the same key, the live one is kept.
    live UInt8
) ENGINE = ReplacingMergeTree(live)
PARTITION BY toYYYYMM(event_time)
ORDER BY (event_id, indicator_id);

CREATE TABLE IF NOT EXISTS {db}.observables (
    type String,
    value String,
    event_id String,
    field String,
    event_time DateTime,
    department String,
    user String,
    host String,
    format String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (type, value, event_id, field);

-- actions is the enforcement audit trail: one row per audit record (an
-- action proposed, tried, applied, failed, expired...), with the verdict
-- behind it when there is one. A record is keyed by (action_id, event, op,
-- attempt, time); records without an action (policy changes) have an
-- empty action_id.
CREATE TABLE IF NOT EXISTS {db}.actions (
    time DateTime,
    event String,
    action_id String,
    op String,
    attempt UInt32,
    target_kind String,
    target String,
    adapter String,
    rule String,
    actor String,
    mode String,
    dry_run UInt8,
    state String,
    expires DateTime,
    answer String,
    error String,
    note String,
    event_id String,
    indicator_id String,
    verdict_time DateTime,
    department String,
    user String,
    host String,
    severity Enum8('unknown' = 0, 'info' = 1, 'low' = 2, 'medium' = 3, 'high' = 4,
        'critical' = 5)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (action_id, event, op, attempt, time);

-- detect_le is the upper bound in seconds of the detection-delay bucket
-- (verdict time minus event time): 1, 10, 60, 300, 3600, 86400, or
-- 4294967295 for longer. Buckets of uniq states keep the delay KPI
-- idempotent, which a quantile state would not be.
CREATE TABLE IF NOT EXISTS {db}.kpi_department_hourly (
    department String,
    hour DateTime,
    severity Enum8('unknown' = 0, 'info' = 1, 'low' = 2, 'medium' = 3, 'high' = 4,
        'critical' = 5),
    detect_le UInt32,
    verdicts AggregateFunction(uniq, String, String),
    retro_verdicts AggregateFunction(uniqIf, String, String, UInt8),
    events AggregateFunction(uniq, String),
    hosts AggregateFunction(uniqIf, String, UInt8),
    users AggregateFunction(uniqIf, String, UInt8),
    detect_delay_max AggregateFunction(max, UInt32)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (department, hour, severity, detect_le);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.kpi_department_hourly_mv
TO {db}.kpi_department_hourly AS
SELECT
    department,
    toStartOfHour(event_time) AS hour,
    severity,
    arrayFirst(b -> toUInt32(greatest(toInt64(verdict_time) - toInt64(event_time), 0)) <= b,
        [1, 10, 60, 300, 3600, 86400, 4294967295]) AS detect_le,
    uniqState(event_id, indicator_id) AS verdicts,
    uniqIfState(event_id, indicator_id, retrospective) AS retro_verdicts,
    uniqState(event_id) AS events,
    uniqIfState(host, toUInt8(host != '')) AS hosts,
    uniqIfState(user, toUInt8(user != '')) AS users,
    maxState(toUInt32(greatest(toInt64(verdict_time) - toInt64(event_time), 0)))
        AS detect_delay_max
FROM {db}.verdicts
GROUP BY department, hour, severity, detect_le;

CREATE TABLE IF NOT EXISTS {db}.kpi_feed_hourly (
    feed String,
    hour DateTime,
    severity Enum8('unknown' = 0, 'info' = 1, 'low' = 2, 'medium' = 3, 'high' = 4,
        'critical' = 5),
    verdicts AggregateFunction(uniq, String, String),
    retro_verdicts AggregateFunction(uniqIf, String, String, UInt8),
    indicators AggregateFunction(uniq, String),
    hosts AggregateFunction(uniqIf, String, UInt8),
    departments AggregateFunction(uniqIf, String, UInt8)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (feed, hour, severity);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.kpi_feed_hourly_mv
TO {db}.kpi_feed_hourly AS
SELECT
    feed,
    toStartOfHour(event_time) AS hour,
    severity,
    uniqState(event_id, indicator_id) AS verdicts,
    uniqIfState(event_id, indicator_id, retrospective) AS retro_verdicts,
    uniqState(indicator_id) AS indicators,
    uniqIfState(host, toUInt8(host != '')) AS hosts,
    uniqIfState(department, toUInt8(department != '')) AS departments
FROM {db}.verdicts
ARRAY JOIN feeds AS feed
GROUP BY feed, hour, severity;

-- kpi_containment_hourly counts the audit records of actions taken on a
-- verdict, per department, hour, adapter, audit event and dry-run flag.
-- contain_le buckets the containment delay (record time minus verdict
-- time) like detect_le; it means containment for event 'applied'.
CREATE TABLE IF NOT EXISTS {db}.kpi_containment_hourly (
    department String,
    hour DateTime,
    adapter String,
    event String,
    dry_run UInt8,
    contain_le UInt32,
    actions AggregateFunction(uniq, String),
    verdicts AggregateFunction(uniq, String, String),
    targets AggregateFunction(uniq, String),
    contain_delay_max AggregateFunction(max, UInt32)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (department, hour, adapter, event, dry_run, contain_le);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.kpi_containment_hourly_mv
TO {db}.kpi_containment_hourly AS
SELECT
    department,
    toStartOfHour(time) AS hour,
    adapter,
    event,
    dry_run,
    arrayFirst(b -> toUInt32(greatest(toInt64(time) - toInt64(verdict_time), 0)) <= b,
        [1, 10, 60, 300, 3600, 86400, 4294967295]) AS contain_le,
    uniqState(action_id) AS actions,
    uniqState(event_id, indicator_id) AS verdicts,
    uniqState(target) AS targets,
    maxState(toUInt32(greatest(toInt64(time) - toInt64(verdict_time), 0)))
        AS contain_delay_max
FROM {db}.actions
WHERE action_id != '' AND event_id != '' AND op != 'remove'
GROUP BY department, hour, adapter, event, dry_run, contain_le;
