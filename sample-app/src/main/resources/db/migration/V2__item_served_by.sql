-- Which database user wrote each item: shows rotations in the data itself.
ALTER TABLE items ADD COLUMN IF NOT EXISTS created_by text;
