DROP TABLE runner_leases;
DROP TABLE audit_events;
DROP TABLE advisor_cache;
