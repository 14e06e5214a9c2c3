-- A recipient found unwell (handed over anyway, or too ill to take it) raises an `unwell` alert.
-- SQLite cannot change a CHECK in place, so the table is copied; nothing references alerts.
CREATE TABLE alerts_new (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('welfare', 'unwell', 'job_unassigned', 'medicine_failed', 'partner_disabled', 'wave_missed')),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'closed')),
    site_id TEXT REFERENCES sites (id),
    order_id TEXT REFERENCES orders (id),
    job_id TEXT REFERENCES jobs (id),
    recipient_id TEXT REFERENCES recipients (id),
    reason TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    raised_at TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    closed_by TEXT,
    closed_at TEXT,
    close_note TEXT
);
INSERT INTO alerts_new (id, kind, status, site_id, order_id, job_id, recipient_id, reason, note, raised_at,
                        acknowledged_by, acknowledged_at, closed_by, closed_at, close_note)
SELECT id, kind, status, site_id, order_id, job_id, recipient_id, reason, note, raised_at,
       acknowledged_by, acknowledged_at, closed_by, closed_at, close_note
FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE INDEX alerts_status ON alerts (status, raised_at);
