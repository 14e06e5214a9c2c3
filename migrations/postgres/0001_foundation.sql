-- Foundation schema: sites, partners, users and tokens, recipients, enrolments, orders,
-- idempotency keys and the audit log.
-- Portable column subset (see src/store/mod.rs): ids are UUID text, instants are fixed-width
-- RFC 3339 UTC text (sorts as time), local dates are YYYY-MM-DD text, flags are 0/1 integers,
-- structured values are JSON text.

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('pharmacy', 'kitchen')),
    name TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    phone TEXT,
    time_zone TEXT NOT NULL,
    opening_hours TEXT NOT NULL DEFAULT '[]',
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE partners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL DEFAULT 'webhook',
    webhook_url TEXT,
    capabilities TEXT NOT NULL,
    fare TEXT NOT NULL,
    rank BIGINT NOT NULL DEFAULT 100,
    offer_timeout_s BIGINT NOT NULL DEFAULT 120,
    service_area TEXT,
    outbound_secret TEXT NOT NULL,
    outbound_secret_previous TEXT,
    inbound_secret TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    login TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'pharmacist', 'social_worker', 'partner')),
    site_id TEXT REFERENCES sites (id),
    partner_id TEXT REFERENCES partners (id),
    password_hash TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'pharmacist', 'social_worker', 'partner')),
    user_id TEXT REFERENCES users (id),
    site_id TEXT REFERENCES sites (id),
    partner_id TEXT REFERENCES partners (id),
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE recipients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT,
    address TEXT NOT NULL DEFAULT '',
    landmark TEXT NOT NULL DEFAULT '',
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    location_source TEXT,
    village TEXT NOT NULL DEFAULT '',
    kecamatan TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX recipients_name ON recipients (name);
CREATE INDEX recipients_village ON recipients (village);

CREATE TABLE enrolments (
    id TEXT PRIMARY KEY,
    recipient_id TEXT NOT NULL REFERENCES recipients (id),
    kitchen_id TEXT NOT NULL REFERENCES sites (id),
    weekdays BIGINT NOT NULL,
    meals TEXT NOT NULL,
    diet_notes TEXT NOT NULL DEFAULT '',
    start_date TEXT NOT NULL,
    end_date TEXT,
    ended_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX enrolments_recipient ON enrolments (recipient_id);

CREATE TABLE enrolment_pauses (
    id TEXT PRIMARY KEY,
    enrolment_id TEXT NOT NULL REFERENCES enrolments (id),
    from_date TEXT NOT NULL,
    until_date TEXT,
    reason TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX enrolment_pauses_enrolment ON enrolment_pauses (enrolment_id);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('meal', 'medicine')),
    status TEXT NOT NULL,
    site_id TEXT NOT NULL REFERENCES sites (id),
    recipient_id TEXT REFERENCES recipients (id),
    enrolment_id TEXT REFERENCES enrolments (id),
    meal_date TEXT,
    meal_name TEXT,
    recipient_name TEXT NOT NULL,
    phone TEXT,
    address TEXT NOT NULL DEFAULT '',
    landmark TEXT NOT NULL DEFAULT '',
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    location_source TEXT,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    service_s BIGINT NOT NULL,
    meal_tins BIGINT NOT NULL DEFAULT 0,
    parcels BIGINT NOT NULL DEFAULT 0,
    cold_slots BIGINT NOT NULL DEFAULT 0,
    priority TEXT NOT NULL DEFAULT 'routine',
    cold_chain_max_minutes BIGINT,
    controlled BIGINT NOT NULL DEFAULT 0,
    pin_hash TEXT,
    clinical_notes TEXT,
    external_ref TEXT,
    medical_record_no TEXT,
    attempt BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (enrolment_id, meal_date, meal_name)
);
CREATE INDEX orders_site_created ON orders (site_id, created_at);
CREATE INDEX orders_status ON orders (status);
CREATE INDEX orders_meal_date ON orders (meal_date);

CREATE TABLE order_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

-- The audit log is append-only.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
