DROP TABLE equity_snapshots;
DROP TABLE fills;
DROP TABLE bot_orders;
DROP TABLE bots;
DROP TABLE strategy_templates;
DROP TABLE risk_settings;
DROP TABLE exchange_credentials;
DROP TABLE users;
