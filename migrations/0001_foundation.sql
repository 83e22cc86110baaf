-- Foundation: photos by content, the files that hold them, L0 metadata, and the durable job queue.
-- Times are ISO-8601 UTC text ("2026-11-21T23:24:10.123Z") so they sort and read well in sqlite3.

-- One row per distinct content: identical bytes under two names are one photo and are analysed once.
CREATE TABLE photos (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT    NOT NULL UNIQUE,
    size_bytes    INTEGER NOT NULL,
    first_seen_at TEXT    NOT NULL
);

-- One row per path under the watched folder. A rename or move updates the path; a deletion keeps the row (and the
-- photo's results) with status 'deleted'. Files that could not become a photo (empty, unreadable) keep their error.
CREATE TABLE files (
    id            INTEGER PRIMARY KEY,
    path          TEXT    NOT NULL UNIQUE,
    photo_id      INTEGER REFERENCES photos(id),
    size_bytes    INTEGER NOT NULL,
    modified_at   TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('present', 'deleted', 'rejected')),
    error         TEXT,
    first_seen_at TEXT    NOT NULL,
    last_seen_at  TEXT    NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX files_photo ON files(photo_id);

-- L0: what the photo's own bytes say. taken_at_local is the camera's wall clock; taken_at_utc only when the file
-- states its offset (or the time came from the file's mtime, which is an instant).
CREATE TABLE photo_metadata (
    photo_id          INTEGER PRIMARY KEY REFERENCES photos(id),
    format            TEXT,
    taken_at_local    TEXT,
    taken_at_offset   TEXT,
    taken_at_utc      TEXT,
    taken_at_source   TEXT,
    camera_make       TEXT,
    camera_model      TEXT,
    lens              TEXT,
    focal_length_mm   REAL,
    f_number          REAL,
    exposure_seconds  REAL,
    iso               INTEGER,
    width             INTEGER,
    height            INTEGER,
    orientation       INTEGER,
    gps_latitude      REAL,
    gps_longitude     REAL,
    gps_altitude_m    REAL,
    extracted_at      TEXT NOT NULL
);

-- The durable queue: one row per (photo, stage). attempts is counted when a job is claimed, so a photo that kills
-- the process is still noticed; after the stage's maximum it is 'failed' with its error and the daemon moves on.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    photo_id         INTEGER NOT NULL REFERENCES photos(id),
    stage            TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    not_before       TEXT    NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    last_error       TEXT,
    enqueued_at      TEXT    NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    UNIQUE (photo_id, stage)
);
CREATE INDEX jobs_claim ON jobs(stage, state, photo_id);
CREATE INDEX jobs_finished ON jobs(state, finished_at);

-- Every failed attempt, for `status` ("last errors") and for people asking why a photo failed.
CREATE TABLE job_errors (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER NOT NULL REFERENCES jobs(id),
    photo_id    INTEGER NOT NULL REFERENCES photos(id),
    stage       TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,
    error       TEXT    NOT NULL,
    occurred_at TEXT    NOT NULL
);
CREATE INDEX job_errors_recent ON job_errors(occurred_at);

-- Views a user queries. One row per photo that still has a file on disk, with its best path and L0 facts.
CREATE VIEW photo_overview AS
SELECT p.id                 AS photo_id,
       (SELECT f.path FROM files f WHERE f.photo_id = p.id AND f.status = 'present' ORDER BY f.id LIMIT 1) AS path,
       m.format,
       m.taken_at_local,
       m.taken_at_offset,
       m.taken_at_utc,
       m.taken_at_source,
       m.camera_make,
       m.camera_model,
       m.lens,
       m.width,
       m.height,
       m.orientation,
       m.gps_latitude,
       m.gps_longitude,
       m.gps_altitude_m,
       p.size_bytes,
       p.sha256
FROM photos p
LEFT JOIN photo_metadata m ON m.photo_id = p.id
WHERE EXISTS (SELECT 1 FROM files f WHERE f.photo_id = p.id AND f.status = 'present');

-- Per file, what happened to it: useful for "why is my photo not there?".
CREATE VIEW file_status AS
SELECT f.path,
       f.status,
       COALESCE(f.error, (SELECT group_concat(j.stage || ': ' || j.last_error, '; ')
                          FROM jobs j WHERE j.photo_id = f.photo_id AND j.state = 'failed')) AS error,
       f.photo_id,
       f.size_bytes,
       f.last_seen_at
FROM files f;

-- Per stage and state, how many jobs: what `privatevlm status` prints.
CREATE VIEW pipeline_progress AS
SELECT stage, state, count(*) AS jobs, min(enqueued_at) AS oldest_enqueued_at
FROM jobs
GROUP BY stage, state;
