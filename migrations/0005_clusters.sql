-- Near-duplicate groups: photos that look alike and were taken close together share one representative, whose
-- VLM analysis the others inherit instead of costing a model call each.

-- The model-free fingerprint of each photo: pHash (and dHash) of its 32x32 upright grayscale thumbnail, for each
-- of the eight orientations (8 little-endian 64-bit values per blob, upright first), plus the capture facts used.
CREATE TABLE photo_hashes (
    photo_id        INTEGER PRIMARY KEY REFERENCES photos(id),
    phash           INTEGER NOT NULL,
    dhash           INTEGER NOT NULL,
    phash_oriented  BLOB    NOT NULL,
    dhash_oriented  BLOB    NOT NULL,
    computed_at     TEXT    NOT NULL
);

CREATE TABLE clusters (
    id                      INTEGER PRIMARY KEY,
    representative_photo_id INTEGER NOT NULL UNIQUE REFERENCES photos(id),
    created_at              TEXT    NOT NULL
);

-- Current membership (the representative is a member of its own cluster with distance 0).
CREATE TABLE cluster_members (
    photo_id   INTEGER PRIMARY KEY REFERENCES photos(id),
    cluster_id INTEGER NOT NULL REFERENCES clusters(id),
    distance   INTEGER NOT NULL,
    cosine     REAL,
    joined_at  TEXT    NOT NULL,
    reason     TEXT    NOT NULL
);
CREATE INDEX cluster_members_cluster ON cluster_members(cluster_id);

-- Every membership a photo ever had, so regrouping and promotion keep history.
CREATE TABLE cluster_history (
    id         INTEGER PRIMARY KEY,
    photo_id   INTEGER NOT NULL REFERENCES photos(id),
    cluster_id INTEGER NOT NULL,
    left_at    TEXT    NOT NULL,
    why        TEXT    NOT NULL
);

CREATE VIEW cluster_overview AS
SELECT c.id AS cluster_id,
       count(m.photo_id) AS size,
       c.representative_photo_id,
       (SELECT f.path FROM files f WHERE f.photo_id = c.representative_photo_id AND f.status = 'present' ORDER BY f.id LIMIT 1) AS representative_path,
       count(m.photo_id) - 1 AS calls_saved
FROM clusters c
JOIN cluster_members m ON m.cluster_id = c.id
GROUP BY c.id;
