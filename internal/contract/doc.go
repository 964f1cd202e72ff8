// Package contract is the hub's contract test suite: every test drives the real HTTP
// stack (echo, the OpenAPI validator, real signed JWTs) through the generated Go client,
// validates every response against openapi.yaml, and runs once on SQLite and once on
// PostgreSQL + Redis, each on a fresh database.
package contract
