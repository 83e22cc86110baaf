-- L1: one CLIP image embedding per photo and model, the photo's top zero-shot labels, and the cached text
-- embeddings of the label prompts ("a photo of {label}"), computed once per model and label list.
-- Vectors are L2-normalised float32, little-endian, dimensions x 4 bytes, so cosine similarity is a dot product.

CREATE TABLE photo_embeddings (
    photo_id   INTEGER NOT NULL REFERENCES photos(id),
    model      TEXT    NOT NULL,
    dimensions INTEGER NOT NULL CHECK (dimensions > 0),
    vector     BLOB    NOT NULL CHECK (length(vector) = 4 * dimensions),
    created_at TEXT    NOT NULL,
    PRIMARY KEY (photo_id, model)
);
CREATE INDEX photo_embeddings_model ON photo_embeddings(model);

-- Top labels per photo, rank 1 = best. score is a softmax probability over the whole label list (CLIP cosine x 100),
-- so the scores of one photo sum to at most 1. label_list is the list version (e.g. "everyday.v1").
CREATE TABLE photo_labels (
    photo_id   INTEGER NOT NULL REFERENCES photos(id),
    model      TEXT    NOT NULL,
    label_list TEXT    NOT NULL,
    rank       INTEGER NOT NULL CHECK (rank >= 1),
    label      TEXT    NOT NULL,
    score      REAL    NOT NULL,
    PRIMARY KEY (photo_id, model, rank)
);
CREATE INDEX photo_labels_label ON photo_labels(label);

CREATE TABLE label_embeddings (
    model      TEXT NOT NULL,
    label_list TEXT NOT NULL,
    label      TEXT NOT NULL,
    vector     BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (model, label_list, label)
);

-- Views a user queries: one row per label of a photo that still has a file on disk, best label first.
-- e.g. privatevlm query "SELECT path, label, score FROM photo_tags WHERE label = 'a dog' ORDER BY score DESC"
CREATE VIEW photo_tags AS
SELECT l.photo_id,
       (SELECT f.path FROM files f WHERE f.photo_id = l.photo_id AND f.status = 'present' ORDER BY f.id LIMIT 1) AS path,
       l.label,
       l.score,
       l.rank,
       l.model,
       l.label_list
FROM photo_labels l
WHERE EXISTS (SELECT 1 FROM files f WHERE f.photo_id = l.photo_id AND f.status = 'present');
