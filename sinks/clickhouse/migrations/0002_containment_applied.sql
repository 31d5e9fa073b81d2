-- Containment counts from the first time the device took an action.
--
-- Every audit record of an action now carries its verdict (event,
-- indicator, department, verdict time), and the records of an applied
-- action carry applied_time, when the device first confirmed it. An
-- action applied again (drift repaired after a restart, say) writes a
-- second 'applied' record with the same applied_time, so the view below
-- files it under the same hour and delay bucket as the first: the uniq
-- states absorb it and the longest delay does not grow. Records written
-- before this migration have applied_time 0 and fall back to their own
-- time. ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: the migrator
-- takes "duplicate column" as done.
ALTER TABLE {db}.actions ADD COLUMN applied_time DateTime AFTER expires;

-- ClickHouse 18.16 has no ALTER for a view's query: it is dropped and made
-- again. Rows inserted into actions between the two statements miss the
-- KPI table; a migration runs once, at start.
DROP TABLE IF EXISTS {db}.kpi_containment_hourly_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.kpi_containment_hourly_mv
TO {db}.kpi_containment_hourly AS
SELECT
    department,
    toStartOfHour(if(event = 'applied' AND applied_time > toDateTime(1), applied_time, time)
        AS at) AS hour,
    adapter,
    event,
    dry_run,
    arrayFirst(b -> toUInt32(greatest(toInt64(at) - toInt64(verdict_time), 0)) <= b,
        [1, 10, 60, 300, 3600, 86400, 4294967295]) AS contain_le,
    uniqState(action_id) AS actions,
    uniqState(event_id, indicator_id) AS verdicts,
    uniqState(target) AS targets,
    maxState(toUInt32(greatest(toInt64(at) - toInt64(verdict_time), 0)))
        AS contain_delay_max
FROM {db}.actions
WHERE action_id != '' AND event_id != '' AND op != 'remove'
GROUP BY department, hour, adapter, event, dry_run, contain_le;
