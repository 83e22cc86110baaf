-- Tilted copies (a photo turned by up to 30 degrees, black corners and all) are found by the pHash of the photo's
-- central square turned by 0, -5, 5, -10, 10, ... -30, 30 degrees: 13 little-endian 64-bit values, as shown first.
-- NULL for photos hashed before this migration: they are compared by the upright pHash only.
ALTER TABLE photo_hashes ADD COLUMN tilted_hashes BLOB;
