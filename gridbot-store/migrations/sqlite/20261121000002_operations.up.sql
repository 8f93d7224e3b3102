-- Advisor cache, audit log and runner leases.

CREATE TABLE advisor_cache (
    cache_key  TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX advisor_cache_by_expiry ON advisor_cache (expires_at);

-- No foreign keys: the log must record even what refers to nothing.
CREATE TABLE audit_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER,
    bot_id  INTEGER,
    kind    TEXT    NOT NULL,
    message TEXT    NOT NULL,
    data    TEXT    NOT NULL,
    ts      INTEGER NOT NULL
);
CREATE INDEX audit_events_by_user ON audit_events (user_id, id);

-- Which runner process trades a bot, until when.
CREATE TABLE runner_leases (
    bot_id     INTEGER PRIMARY KEY REFERENCES bots (id),
    owner      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX runner_leases_by_expiry ON runner_leases (expires_at);
