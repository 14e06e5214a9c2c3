-- How far an order's pin is from the nearest ridable road, measured at intake (metres).
ALTER TABLE orders ADD COLUMN snap_distance_m REAL;
