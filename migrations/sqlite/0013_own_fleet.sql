-- Our own fleet: couriers who belong to a site (pharmacy or kitchen), the courier holding an
-- own-fleet job, and the tin a courier brought back from a stop ("rantang kembali").
CREATE TABLE couriers (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites (id),
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    vehicle TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity > 0),
    max_stops INTEGER NOT NULL CHECK (max_stops > 0),
    -- Working days as a JSON array of short English names, e.g. ["mon","tue"].
    working_days TEXT NOT NULL,
    -- Local times HH:MM in the region's zone.
    work_start TEXT NOT NULL,
    work_end TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX couriers_site ON couriers (site_id);

ALTER TABLE jobs ADD COLUMN courier_id TEXT REFERENCES couriers (id);
CREATE INDEX jobs_courier ON jobs (courier_id);

ALTER TABLE job_stops ADD COLUMN tin_returned_at TEXT;
