-- L0 fields people add in their photo tools, from embedded XMP or the photo's XMP sidecar (which wins):
-- rating (xmp:Rating, -1 rejected .. 5 stars), keywords (dc:subject as a JSON array of text), title (dc:title),
-- description (dc:description), and which sidecar was read (sidecar_path).
ALTER TABLE photo_metadata ADD COLUMN rating INTEGER;
ALTER TABLE photo_metadata ADD COLUMN keywords TEXT;
ALTER TABLE photo_metadata ADD COLUMN title TEXT;
ALTER TABLE photo_metadata ADD COLUMN description TEXT;
ALTER TABLE photo_metadata ADD COLUMN sidecar_path TEXT;

DROP VIEW photo_overview;
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
       p.sha256,
       m.rating,
       m.keywords,
       m.title,
       m.description,
       m.sidecar_path
FROM photos p
LEFT JOIN photo_metadata m ON m.photo_id = p.id
WHERE EXISTS (SELECT 1 FROM files f WHERE f.photo_id = p.id AND f.status = 'present');
