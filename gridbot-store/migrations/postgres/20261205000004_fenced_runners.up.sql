-- Fenced runners: lease epochs, the booking check's index and the
-- installation tag.

-- The fencing token: moves on whenever a lease changes hands or is taken
-- again after it lapsed; a runner's writes carry it (see the Store port's
-- `Lease`). A released lease keeps its row (expires_at = 0) and its epoch,
-- so the next taker gets a new one.
ALTER TABLE runner_leases ADD COLUMN epoch BIGINT NOT NULL DEFAULT 1;

-- The booking check sums what the fills of one order booked so far.
CREATE INDEX fills_by_bot_client_id ON fills (bot_id, client_id);

-- This database's installation tag (part of every client order id its
-- bots make): one row, written once, never changed.
CREATE TABLE installation (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    tag TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
