-- Runs last in the publishing transaction: what was just published is no longer dirty.
delete from state.telecom_dirty_intervals;
