-- Indexes for the live Today page (what changed since) and the day's jobs by departure.
CREATE INDEX orders_updated ON orders (updated_at);
CREATE INDEX jobs_departure ON jobs (departure);
