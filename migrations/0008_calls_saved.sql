-- "Calls saved" counted from what happened instead of from a group's size: one for each description a member copied
-- from its representative (each is a model call that was not made). A member that had to be described itself, say
-- because its representative's file was gone, saves nothing; without VLM tiers nothing is saved yet.
DROP VIEW cluster_overview;
CREATE VIEW cluster_overview AS
SELECT c.id AS cluster_id,
       count(m.photo_id) AS size,
       c.representative_photo_id,
       (SELECT f.path FROM files f WHERE f.photo_id = c.representative_photo_id AND f.status = 'present' ORDER BY f.id LIMIT 1) AS representative_path,
       (SELECT count(*) FROM vlm_results r JOIN cluster_members copier ON copier.photo_id = r.photo_id
        WHERE r.source_photo_id = c.representative_photo_id AND r.photo_id <> r.source_photo_id AND copier.cluster_id = c.id) AS calls_saved
FROM clusters c
JOIN cluster_members m ON m.cluster_id = c.id
GROUP BY c.id;
