-- Runs last in the publishing transaction: what was just published is no longer dirty.
delete from model_staging.telecom_dirty_intervals;
