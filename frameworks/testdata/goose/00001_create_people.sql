-- +goose Up
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    email VARCHAR(200),
    ssn VARCHAR(20)
);
CREATE INDEX people_name_idx ON people (name);

-- +goose Down
DROP TABLE people;
