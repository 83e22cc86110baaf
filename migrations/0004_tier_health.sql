-- Health of the VLM tiers, written by the daemon every poll (about every 2 s) so `privatevlm health` and users can
-- read it while the daemon runs:
--   SELECT tier, state, detail, process_id, since, updated_at FROM tier_health;
-- state is one of disabled, starting, ready, busy, degraded, down; since is when the tier entered that state;
-- process_id is the supervised model server's pid (NULL when the daemon does not run that server). updated_at older
-- than a few seconds means the daemon is not running (or is stuck): the rows then describe the past.
CREATE TABLE tier_health (
    tier       TEXT PRIMARY KEY,
    state      TEXT NOT NULL CHECK (state IN ('disabled', 'starting', 'ready', 'busy', 'degraded', 'down')),
    detail     TEXT NOT NULL,
    process_id INTEGER,
    since      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
