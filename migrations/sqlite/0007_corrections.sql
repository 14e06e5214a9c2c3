-- Location corrections proposed from a courier's position at a handover, confirmed by staff.
CREATE TABLE location_corrections (
    id TEXT PRIMARY KEY,
    recipient_id TEXT NOT NULL REFERENCES recipients (id),
    order_id TEXT NOT NULL REFERENCES orders (id),
    stored_lat REAL,
    stored_lon REAL,
    proposed_lat REAL NOT NULL,
    proposed_lon REAL NOT NULL,
    distance_m REAL NOT NULL,
    source TEXT NOT NULL DEFAULT 'courier_gps',
    status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'accepted', 'rejected')),
    proposed_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT
);
CREATE INDEX location_corrections_status ON location_corrections (status, proposed_at);
CREATE INDEX location_corrections_recipient ON location_corrections (recipient_id);
