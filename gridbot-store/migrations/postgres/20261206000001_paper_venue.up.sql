-- The paper venue's journal (see the Store port's `VenueLoad`): per venue
-- its claim (owner + fencing epoch) and latest checkpoint, and the entries
-- written after that checkpoint. The store keeps the venue's bytes and
-- never looks inside.

CREATE TABLE paper_venues (
    venue          TEXT   PRIMARY KEY,
    owner          TEXT   NOT NULL,
    epoch          BIGINT NOT NULL,
    checkpoint_seq BIGINT,
    checkpoint     BYTEA
);

-- Entries above the checkpoint, read back in seq order (the primary key).
CREATE TABLE paper_venue_entries (
    venue TEXT   NOT NULL REFERENCES paper_venues (venue),
    seq   BIGINT NOT NULL,
    body  BYTEA  NOT NULL,
    PRIMARY KEY (venue, seq)
);
