-- The outbox: every outbound webhook is a row written in the same transaction as the change
-- that causes it, then delivered by a worker (retries, ordering per job, expiry).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    job_id TEXT,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'dropped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    deadline TEXT,
    claimed_until TEXT,
    last_status INTEGER,
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_partner_job ON outbox (partner_id, job_id, id);

-- A partner whose endpoint answered 410 Gone is disabled until staff re-enable it.
ALTER TABLE partners ADD COLUMN disabled_at TEXT;
ALTER TABLE partners ADD COLUMN disabled_reason TEXT;
