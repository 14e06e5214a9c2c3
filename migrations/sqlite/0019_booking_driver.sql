-- The driver a booking company named for each booking (JSON: name, plate, phone), so that a job
-- booked stop by stop shows each stop's own driver; and a booking looked up by its stop.
ALTER TABLE bookings ADD COLUMN driver TEXT;
CREATE INDEX bookings_stop ON bookings (stop_id);
