-- Dispatch: stored planning runs and their jobs, offers to partners, inbound partner events,
-- alerts for staff, and the record of scheduled planning waves.

-- One planning run (a scheduled wave or on demand) and what it decided.
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    site_id TEXT REFERENCES sites (id),
    origin TEXT NOT NULL CHECK (origin IN ('wave', 'on_demand', 'urgent')),
    orders BIGINT NOT NULL,
    routes BIGINT NOT NULL,
    unplanned TEXT NOT NULL DEFAULT '[]',
    cost_idr DOUBLE PRECISION NOT NULL,
    one_trip_per_order_idr DOUBLE PRECISION NOT NULL,
    matrix_ms BIGINT NOT NULL,
    solve_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- One courier route, offered to one partner at a time.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    kind TEXT NOT NULL CHECK (kind IN ('meal', 'medicine')),
    status TEXT NOT NULL CHECK (status IN ('offered', 'accepted', 'courier_assigned', 'picked_up', 'completed', 'cancelled', 'expired')),
    partner_id TEXT REFERENCES partners (id),
    departure TEXT NOT NULL,
    distance_m DOUBLE PRECISION NOT NULL,
    duration_s DOUBLE PRECISION NOT NULL,
    fare_idr DOUBLE PRECISION NOT NULL,
    geometry TEXT NOT NULL DEFAULT '[]',
    needs_cold_box BIGINT NOT NULL DEFAULT 0,
    needs_controlled BIGINT NOT NULL DEFAULT 0,
    load BIGINT NOT NULL DEFAULT 0,
    last_seq BIGINT NOT NULL DEFAULT 0,
    round BIGINT NOT NULL DEFAULT 1,
    courier TEXT,
    courier_lat DOUBLE PRECISION,
    courier_lon DOUBLE PRECISION,
    courier_seen_at TEXT,
    flagged_at TEXT,
    flag_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX jobs_status ON jobs (status);
CREATE INDEX jobs_plan ON jobs (plan_id);

-- The stops of a job, in riding order. Stop ids are minted per job.
CREATE TABLE job_stops (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id),
    position BIGINT NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders (id),
    parcel_code TEXT NOT NULL,
    eta TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'arrived', 'delivered', 'failed', 'removed')),
    proof TEXT,
    fail_reason TEXT,
    note TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX job_stops_job ON job_stops (job_id, position);
CREATE INDEX job_stops_order ON job_stops (order_id);

-- One offer of a job to one partner. An offer pending past expires_at is a due timer.
CREATE TABLE offers (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    round BIGINT NOT NULL DEFAULT 1,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'expired', 'withdrawn')),
    offered_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    decided_at TEXT,
    reason TEXT,
    -- Stops this offer adds to a job already held (an urgent insertion the partner must accept).
    added_stops TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX offers_due ON offers (status, expires_at);
CREATE INDEX offers_job ON offers (job_id);

-- Every accepted inbound partner event, keyed by its webhook-id (duplicates are ignored).
CREATE TABLE partner_events (
    partner_id TEXT NOT NULL REFERENCES partners (id),
    webhook_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    seq BIGINT NOT NULL,
    occurred_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (partner_id, webhook_id)
);
CREATE INDEX partner_events_job ON partner_events (job_id, seq);

-- Things staff must see and handle: welfare alerts, jobs nobody took, late medicine.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('welfare', 'job_unassigned', 'medicine_failed', 'partner_disabled', 'wave_missed')),
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
CREATE INDEX alerts_status ON alerts (status, raised_at);

-- Scheduled planning waves that have run (one row per site and local wave time).
CREATE TABLE waves (
    site_id TEXT NOT NULL REFERENCES sites (id),
    wave_at TEXT NOT NULL,
    plan_id TEXT,
    ran_at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (site_id, wave_at)
);

-- Per-site planning waves (JSON; NULL = the defaults for the site's kind).
ALTER TABLE sites ADD COLUMN waves TEXT;
