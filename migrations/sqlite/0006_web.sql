-- Staff web sessions and login throttling.
-- A session is known by the SHA-256 of its random id: the id itself lives only in the browser's
-- cookie, so a copy of the database cannot be used to log in.

CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);

-- Failed logins per login name (known or not), for lockout with growing back-off.
CREATE TABLE login_failures (
    login TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until TEXT
);
