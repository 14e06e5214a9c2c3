-- How many trips one of our couriers rides in a shift, riding back to the site to reload
-- between them (1 to 4; the planner used 2 for everyone before).
ALTER TABLE couriers ADD COLUMN max_trips INTEGER NOT NULL DEFAULT 2 CHECK (max_trips BETWEEN 1 AND 4);
