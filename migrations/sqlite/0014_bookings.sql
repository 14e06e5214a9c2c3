-- Bookings with a courier company's booking API (quote -> book -> status -> cancel): one pickup
-- to one drop per booking, our reference (the row id) on each, the fare quoted and charged, and
-- when the worker next looks at it (a durable timer).
CREATE TABLE bookings (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id),
    offer_id TEXT NOT NULL REFERENCES offers (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    stop_id TEXT NOT NULL REFERENCES job_stops (id),
    state TEXT NOT NULL CHECK (state IN ('quote', 'searching', 'active', 'cancel', 'done')),
    quote_ref TEXT,
    booking_ref TEXT,
    fare_quoted_idr INTEGER,
    fare_charged_idr INTEGER,
    last_status TEXT,
    last_error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX bookings_due ON bookings (state, due_at);
CREATE INDEX bookings_job ON bookings (job_id);
