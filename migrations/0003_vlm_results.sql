-- L1.5 quick and L2 deep VLM results. All SQL on these tables lives in src/PrivateVlm/Vlm/Results/VlmResultsTable.cs.

-- One validated description per (photo, tier), stored as the JSON the model returned (query it with json_extract)
-- with everything it depends on, so a changed prompt or model re-queues exactly the affected photos.
-- source_photo_id is the photo whose pixels were sent: the photo itself for its own result; a near-duplicate
-- cluster's representative when the result is inherited (then similarity says how close they are).
CREATE TABLE vlm_results (
    photo_id             INTEGER NOT NULL REFERENCES photos(id),
    tier                 TEXT    NOT NULL CHECK (tier IN ('quick', 'deep')),
    source_photo_id      INTEGER NOT NULL REFERENCES photos(id),
    similarity           REAL,
    prompt_version       TEXT    NOT NULL,
    prompt_hash          TEXT    NOT NULL,
    model                TEXT    NOT NULL,
    endpoint             TEXT    NOT NULL,
    result_json          TEXT    NOT NULL CHECK (json_valid(result_json)),
    image_width          INTEGER NOT NULL,
    image_height         INTEGER NOT NULL,
    image_bytes          INTEGER NOT NULL,
    prompt_tokens        INTEGER NOT NULL,
    cached_tokens        INTEGER NOT NULL,
    prompt_ms            REAL,
    generated_tokens     INTEGER NOT NULL,
    generated_per_second REAL,
    wall_ms              REAL    NOT NULL,
    attempts             INTEGER NOT NULL,
    created_at           TEXT    NOT NULL,
    PRIMARY KEY (photo_id, tier)
);
CREATE INDEX vlm_results_prompt ON vlm_results(tier, prompt_version, prompt_hash);
CREATE INDEX vlm_results_source ON vlm_results(source_photo_id);

-- What a description names, one row each: quick entities (kind = person, animal, vehicle, ...) and deep
-- people ('person'), places ('place'), objects ('object') and visible text ('text'). detail holds the rest
-- (a person's activity, a place's kind, an object's prominence, where text was seen).
CREATE TABLE vlm_entities (
    photo_id INTEGER NOT NULL REFERENCES photos(id),
    tier     TEXT    NOT NULL,
    kind     TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    count    INTEGER NOT NULL,
    detail   TEXT
);
CREATE INDEX vlm_entities_photo ON vlm_entities(photo_id, tier);
CREATE INDEX vlm_entities_name ON vlm_entities(kind, name);

-- Full-text search over captions, scenes, entity names and text seen, one row per (photo, tier), rewritten in
-- the transaction that stores the result. It keeps its own copy of these few hundred bytes so snippet() and
-- highlight() work:  SELECT photo_id, tier, snippet(vlm_search, -1, '[', ']', '...', 8)
--                    FROM vlm_search WHERE vlm_search MATCH 'beach';
CREATE VIRTUAL TABLE vlm_search USING fts5(
    photo_id UNINDEXED,
    tier UNINDEXED,
    caption,
    scene,
    entities,
    text_seen,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Every unusable answer (invalid JSON, schema violation, truncated) and every photo a tier gave up on, with the
-- raw model text when there was one.
CREATE TABLE vlm_failures (
    id          INTEGER PRIMARY KEY,
    photo_id    INTEGER NOT NULL REFERENCES photos(id),
    tier        TEXT    NOT NULL,
    error       TEXT    NOT NULL,
    raw_text    TEXT,
    occurred_at TEXT    NOT NULL
);
CREATE INDEX vlm_failures_photo ON vlm_failures(photo_id, tier);

-- One row per photo with a file on disk: the quick look (scene, indoor/outdoor, time of day), the deep caption
-- and mood, and which model and prompt version produced each.
CREATE VIEW photo_descriptions AS
SELECT p.id AS photo_id,
       (SELECT f.path FROM files f WHERE f.photo_id = p.id AND f.status = 'present' ORDER BY f.id LIMIT 1) AS path,
       json_extract(q.result_json, '$.context.scene')       AS scene,
       json_extract(q.result_json, '$.context.setting')     AS setting,
       json_extract(q.result_json, '$.context.time_of_day') AS time_of_day,
       json_extract(d.result_json, '$.caption')             AS caption,
       json_extract(d.result_json, '$.mood.overall')        AS mood,
       json_extract(d.result_json, '$.people.count')        AS people_count,
       q.model          AS quick_model,
       q.prompt_version AS quick_prompt_version,
       d.model          AS deep_model,
       d.prompt_version AS deep_prompt_version,
       q.result_json    AS quick_json,
       d.result_json    AS deep_json
FROM photos p
LEFT JOIN vlm_results q ON q.photo_id = p.id AND q.tier = 'quick'
LEFT JOIN vlm_results d ON d.photo_id = p.id AND d.tier = 'deep'
WHERE (q.photo_id IS NOT NULL OR d.photo_id IS NOT NULL)
  AND EXISTS (SELECT 1 FROM files f WHERE f.photo_id = p.id AND f.status = 'present');

-- What each call cost: image size sent, tokens (cached prefix included), time, and how many attempts it took.
CREATE VIEW vlm_costs AS
SELECT photo_id, tier, model, endpoint, image_width, image_height, image_bytes, prompt_tokens, cached_tokens,
       prompt_ms, generated_tokens, generated_per_second, wall_ms, attempts, created_at
FROM vlm_results
WHERE source_photo_id = photo_id;
