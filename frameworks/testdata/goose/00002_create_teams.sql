-- +goose Up
CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    title VARCHAR(100) NOT NULL UNIQUE
);
INSERT INTO teams (id, title) VALUES (1, 'core'), (2, 'data');
ALTER TABLE people ADD COLUMN team_id INTEGER;
UPDATE people SET team_id = 1 WHERE team_id IS NULL;

-- +goose Down
ALTER TABLE people DROP COLUMN team_id;
DROP TABLE teams;
