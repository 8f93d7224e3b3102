-- Users, credentials, risk settings, templates, bots, orders, fills and
-- equity snapshots. Money is NUMERIC (exact); documents are JSONB.
-- Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Ciphertext only: encryption happens above the store.
CREATE TABLE exchange_credentials (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    exchange TEXT NOT NULL,
    ciphertext BYTEA NOT NULL,
    nonce BYTEA NOT NULL,
    demo BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE risk_settings (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    daily_loss_limit NUMERIC,
    max_leverage BIGINT NOT NULL,
    max_open_positions BIGINT NOT NULL,
    close_positions_on_pause BOOLEAN NOT NULL
);

CREATE TABLE strategy_templates (
    id                  BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    symbol TEXT NOT NULL,
    description TEXT NOT NULL,
    strategy_type TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('long', 'short')),
    leverage BIGINT NOT NULL,
    stop_loss_percent NUMERIC NOT NULL,
    take_profit_percent NUMERIC NOT NULL,
    min_investment NUMERIC NOT NULL,
    max_investment NUMERIC NOT NULL,
    is_active BOOLEAN NOT NULL,
    is_featured BOOLEAN NOT NULL,
    candle_interval TEXT NOT NULL,
    fast_period BIGINT NOT NULL,
    slow_period BIGINT NOT NULL
);

-- `config` is the BotKind JSON, `stats` the BotStats JSON (the record read
-- back); the PnL fields are real columns too, written from the same stats.
CREATE TABLE bots (
    id             BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('grid', 'trend')),
    symbol TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('created', 'starting', 'running', 'paused', 'stopping', 'stopped', 'error')),
    config JSONB NOT NULL,
    allocation NUMERIC NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('manual', 'template', 'recommendation')),
    template_id BIGINT REFERENCES strategy_templates (id),
    realized_pnl NUMERIC NOT NULL DEFAULT 0,
    unrealized_pnl NUMERIC NOT NULL DEFAULT 0,
    grid_profit NUMERIC NOT NULL DEFAULT 0,
    fees NUMERIC NOT NULL DEFAULT 0,
    total_pnl NUMERIC NOT NULL DEFAULT 0,
    round_trips BIGINT NOT NULL DEFAULT 0,
    stats JSONB NOT NULL,
    fill_count BIGINT NOT NULL DEFAULT 0,
    error_message TEXT,
    engine_state JSONB,
    fill_cursor TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    started_at BIGINT,
    stopped_at BIGINT
);

-- The symbol rule, enforced by the database as well as by the guarded start:
-- one bot holding an allocation per (user, symbol).
CREATE UNIQUE INDEX bots_one_active_per_symbol ON bots (user_id, symbol)
    WHERE status NOT IN ('created', 'stopped');
CREATE INDEX bots_by_user ON bots (user_id, id);
CREATE INDEX bots_by_status ON bots (status);

CREATE TABLE bot_orders (
    id                BIGSERIAL PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    bot_id BIGINT NOT NULL REFERENCES bots (id),
    exchange_order_id TEXT,
    cell BIGINT,
    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    price NUMERIC,
    qty NUMERIC NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('intended', 'open', 'filled', 'canceled', 'rejected')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX bot_orders_by_bot ON bot_orders (bot_id, status);

-- Exchange fill ids are unique per account, not across accounts (two users'
-- paper exchanges number alike), so the key is (bot, fill id): a fill books
-- to exactly one bot through its client order id.
CREATE TABLE fills (
    id             BIGSERIAL PRIMARY KEY,
    bot_id BIGINT NOT NULL REFERENCES bots (id),
    fill_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    price NUMERIC NOT NULL,
    qty NUMERIC NOT NULL,
    fee NUMERIC NOT NULL,
    liquidity TEXT NOT NULL CHECK (liquidity IN ('maker', 'taker')),
    realized_pnl NUMERIC NOT NULL,
    is_liquidation BOOLEAN NOT NULL,
    ts BIGINT NOT NULL,
    UNIQUE (bot_id, fill_id)
);
CREATE INDEX fills_by_bot_ts ON fills (bot_id, ts, id);

CREATE TABLE equity_snapshots (
    id     BIGSERIAL PRIMARY KEY,
    bot_id BIGINT NOT NULL REFERENCES bots (id),
    ts BIGINT NOT NULL,
    equity NUMERIC NOT NULL,
    pnl NUMERIC NOT NULL
);
CREATE INDEX equity_by_bot_ts ON equity_snapshots (bot_id, ts, id);
