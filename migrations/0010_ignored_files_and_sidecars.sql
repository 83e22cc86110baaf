-- Files that are not photos: a text file, a video, a Live Photo's .MOV, an XMP sidecar. They get no photo row and no
-- jobs, and are not counted as photos or failures.
--   status 'ignored': not an image; error says why (and companion_of names the still of a Live Photo video).
--   status 'sidecar': an XMP sidecar, read with its photo (companion_of); editing it re-reads that photo's metadata.
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt. legacy_alter_table keeps the rename from
-- re-checking the views that name "files" while the old table is gone; they read the new table afterwards unchanged.
PRAGMA legacy_alter_table = ON;

CREATE TABLE files_rebuilt (
    id            INTEGER PRIMARY KEY,
    path          TEXT    NOT NULL UNIQUE,
    photo_id      INTEGER REFERENCES photos(id),
    size_bytes    INTEGER NOT NULL,
    modified_at   TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('present', 'deleted', 'rejected', 'ignored', 'sidecar')),
    error         TEXT,
    first_seen_at TEXT    NOT NULL,
    last_seen_at  TEXT    NOT NULL,
    deleted_at    TEXT,
    companion_of  INTEGER REFERENCES photos(id)
);
INSERT INTO files_rebuilt (id, path, photo_id, size_bytes, modified_at, status, error, first_seen_at, last_seen_at, deleted_at)
SELECT id, path, photo_id, size_bytes, modified_at, status, error, first_seen_at, last_seen_at, deleted_at FROM files;
DROP TABLE files;
ALTER TABLE files_rebuilt RENAME TO files;

PRAGMA legacy_alter_table = OFF;

CREATE INDEX files_photo ON files(photo_id);
CREATE INDEX files_companion ON files(companion_of) WHERE companion_of IS NOT NULL;

-- Per file, what happened to it: useful for "why is my photo not there?". companion_of: the photo an ignored Live
-- Photo video or an XMP sidecar belongs to.
DROP VIEW file_status;
CREATE VIEW file_status AS
SELECT f.path,
       f.status,
       COALESCE(f.error, (SELECT group_concat(j.stage || ': ' || j.last_error, '; ')
                          FROM jobs j WHERE j.photo_id = f.photo_id AND j.state = 'failed')) AS error,
       f.photo_id,
       f.companion_of,
       f.size_bytes,
       f.last_seen_at
FROM files f;
