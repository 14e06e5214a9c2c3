-- Fares and payer per job, so a month's partner invoice can be reconciled against antar's
-- records. quoted_fare_idr / charged_fare_idr are NULL until a partner reports them: the invoice
-- report then takes the job's fare estimate as the quote and the quote as the charge. Jobs
-- carried as bookings (booking-API partners) take their fares from their bookings.
ALTER TABLE jobs ADD COLUMN quoted_fare_idr INTEGER;
ALTER TABLE jobs ADD COLUMN charged_fare_idr INTEGER;
ALTER TABLE jobs ADD COLUMN payer TEXT NOT NULL DEFAULT 'program' CHECK (payer IN ('program', 'patient'));
CREATE INDEX jobs_partner_departure ON jobs (partner_id, departure);
CREATE INDEX bookings_partner ON bookings (partner_id);
