-- A counter that every write to cached data increments, so that a running server notices
-- changes made by another process (`tessera admin`) and drops what it cached.
CREATE TABLE store_generation (
    id BIGINT PRIMARY KEY,
    n  BIGINT NOT NULL
);
INSERT INTO store_generation (id, n) VALUES (1, 0);
