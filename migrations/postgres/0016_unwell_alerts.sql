-- A recipient found unwell (handed over anyway, or too ill to take it) raises an `unwell` alert.
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
    CHECK (kind IN ('welfare', 'unwell', 'job_unassigned', 'medicine_failed', 'partner_disabled', 'wave_missed'));
