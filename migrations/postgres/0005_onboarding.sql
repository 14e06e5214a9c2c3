-- Onboarding from real lists: administrative areas (Kemendagri codes) and the recipient columns
-- used to recognise a person again (national id as a keyed MAC plus its last 4 digits, the
-- hospital's medical record number) and to group them by village without spelling variants.

CREATE TABLE areas (
    code TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('desa', 'kecamatan', 'kabupaten')),
    name TEXT NOT NULL,
    parent_code TEXT,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX areas_parent ON areas (parent_code);

ALTER TABLE recipients ADD COLUMN nik_mac TEXT;
ALTER TABLE recipients ADD COLUMN nik_last4 TEXT;
ALTER TABLE recipients ADD COLUMN medical_record_no TEXT;
ALTER TABLE recipients ADD COLUMN village_code TEXT;
CREATE UNIQUE INDEX recipients_nik_mac ON recipients (nik_mac);
CREATE INDEX recipients_medical_record_no ON recipients (medical_record_no);
CREATE INDEX recipients_village_code ON recipients (village_code);
