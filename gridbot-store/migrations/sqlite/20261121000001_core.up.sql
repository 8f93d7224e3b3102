-- Users, credentials, risk settings, templates, bots, orders, fills and
-- equity snapshots. Money is TEXT holding the exact decimal (never REAL).
-- Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

-- Ciphertext only: encryption happens above the store.
CREATE TABLE exchange_credentials (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    exchange   TEXT    NOT NULL,
    ciphertext BLOB    NOT NULL,
    nonce      BLOB    NOT NULL,
    demo       INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE risk_settings (
    user_id                  INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    daily_loss_limit         TEXT,
    max_leverage             INTEGER NOT NULL,
    max_open_positions       INTEGER NOT NULL,
    close_positions_on_pause INTEGER NOT NULL
);

CREATE TABLE strategy_templates (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT    NOT NULL,
    symbol              TEXT    NOT NULL,
    description         TEXT    NOT NULL,
    strategy_type       TEXT    NOT NULL,
    direction           TEXT    NOT NULL CHECK (direction IN ('long', 'short')),
    leverage            INTEGER NOT NULL,
    stop_loss_percent   TEXT    NOT NULL,
    take_profit_percent TEXT    NOT NULL,
    min_investment      TEXT    NOT NULL,
    max_investment      TEXT    NOT NULL,
    is_active           INTEGER NOT NULL,
    is_featured         INTEGER NOT NULL,
    candle_interval     TEXT    NOT NULL,
    fast_period         INTEGER NOT NULL,
    slow_period         INTEGER NOT NULL
);

-- `config` is the BotKind JSON, `stats` the BotStats JSON (the record read
-- back); the PnL fields are real columns too, written from the same stats.
CREATE TABLE bots (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    name           TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('grid', 'trend')),
    symbol         TEXT    NOT NULL,
    status         TEXT    NOT NULL
        CHECK (status IN ('created', 'starting', 'running', 'paused', 'stopping', 'stopped', 'error')),
    config         TEXT    NOT NULL,
    allocation     TEXT    NOT NULL,
    source         TEXT    NOT NULL CHECK (source IN ('manual', 'template', 'recommendation')),
    template_id    INTEGER REFERENCES strategy_templates (id),
    realized_pnl   TEXT    NOT NULL DEFAULT '0',
    unrealized_pnl TEXT    NOT NULL DEFAULT '0',
    grid_profit    TEXT    NOT NULL DEFAULT '0',
    fees           TEXT    NOT NULL DEFAULT '0',
    total_pnl      TEXT    NOT NULL DEFAULT '0',
    round_trips    INTEGER NOT NULL DEFAULT 0,
    stats          TEXT    NOT NULL,
    fill_count     INTEGER NOT NULL DEFAULT 0,
    error_message  TEXT,
    engine_state   TEXT,
    fill_cursor    TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    started_at     INTEGER,
    stopped_at     INTEGER
);

-- The symbol rule, enforced by the database as well as by the guarded start:
-- one bot holding an allocation per (user, symbol).
CREATE UNIQUE INDEX bots_one_active_per_symbol ON bots (user_id, symbol)
    WHERE status NOT IN ('created', 'stopped');
CREATE INDEX bots_by_user ON bots (user_id, id);
CREATE INDEX bots_by_status ON bots (status);

CREATE TABLE bot_orders (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id         TEXT    NOT NULL UNIQUE,
    bot_id            INTEGER NOT NULL REFERENCES bots (id),
    exchange_order_id TEXT,
    cell              INTEGER,
    side              TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    price             TEXT,
    qty               TEXT    NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('intended', 'open', 'filled', 'canceled', 'rejected')),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX bot_orders_by_bot ON bot_orders (bot_id, status);

-- Exchange fill ids are unique per account, not across accounts (two users'
-- paper exchanges number alike), so the key is (bot, fill id): a fill books
-- to exactly one bot through its client order id.
CREATE TABLE fills (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id         INTEGER NOT NULL REFERENCES bots (id),
    fill_id        TEXT    NOT NULL,
    order_id       TEXT    NOT NULL,
    client_id      TEXT    NOT NULL,
    symbol         TEXT    NOT NULL,
    side           TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    price          TEXT    NOT NULL,
    qty            TEXT    NOT NULL,
    fee            TEXT    NOT NULL,
    liquidity      TEXT    NOT NULL CHECK (liquidity IN ('maker', 'taker')),
    realized_pnl   TEXT    NOT NULL,
    is_liquidation INTEGER NOT NULL,
    ts             INTEGER NOT NULL,
    UNIQUE (bot_id, fill_id)
);
CREATE INDEX fills_by_bot_ts ON fills (bot_id, ts, id);

CREATE TABLE equity_snapshots (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id INTEGER NOT NULL REFERENCES bots (id),
    ts     INTEGER NOT NULL,
    equity TEXT    NOT NULL,
    pnl    TEXT    NOT NULL
);
CREATE INDEX equity_by_bot_ts ON equity_snapshots (bot_id, ts, id);
