-- How far the true place may be from a stored location, in metres: a typed pin about 10 m, a
-- Plus Code by its length, a courier's GPS its accuracy, a village centroid the village's size.
-- Empty for rows stored before it was recorded.
ALTER TABLE recipients ADD COLUMN location_precision_m REAL;
ALTER TABLE orders ADD COLUMN location_precision_m REAL;
