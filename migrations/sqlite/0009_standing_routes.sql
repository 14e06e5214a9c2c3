-- Standing meal routes: the same courier sees the same elderly people every day (that is the
-- welfare check), so each kitchen's routes are kept and reused; a plan moves a stop only when
-- that saves more than a penalty, and staff may seal a route so it is kept exactly.
CREATE TABLE standing_routes (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites (id),
    name TEXT NOT NULL,
    sealed INTEGER NOT NULL DEFAULT 0,
    sealed_by TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX standing_routes_site ON standing_routes (site_id);

-- Recipients in visiting order; a recipient is on at most one standing route.
CREATE TABLE standing_route_stops (
    route_id TEXT NOT NULL REFERENCES standing_routes (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    recipient_id TEXT NOT NULL REFERENCES recipients (id),
    PRIMARY KEY (route_id, position)
);
CREATE UNIQUE INDEX standing_route_stops_recipient ON standing_route_stops (recipient_id);

-- What a plan changed against the standing routes.
ALTER TABLE plans ADD COLUMN stops_moved INTEGER NOT NULL DEFAULT 0;
ALTER TABLE plans ADD COLUMN changes TEXT NOT NULL DEFAULT '[]';
