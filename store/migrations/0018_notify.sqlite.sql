-- Nothing: on SQLite one process serves the database and wakes its workers in
-- memory (0018_notify.postgres.sql is PostgreSQL's LISTEN/NOTIFY triggers).
SELECT 1;
