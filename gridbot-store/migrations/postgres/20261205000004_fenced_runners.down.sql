DROP TABLE installation;
DROP INDEX fills_by_bot_client_id;
ALTER TABLE runner_leases DROP COLUMN epoch;
