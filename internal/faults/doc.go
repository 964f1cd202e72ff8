// Package faults is the hub's fault suite: it runs the real binary as a subprocess on
// PostgreSQL and Redis, keeps steady writes with Idempotency-Key headers flowing from
// several clients, and in turn kills the hub with SIGKILL, cuts its PostgreSQL
// connections, cuts Redis, and stops it with SIGTERM while requests are in flight.
// After each fault every unanswered write is retried with the same key until answered,
// and the suite checks what the README's "What the hub guarantees" promises: every
// acknowledged write is in the database exactly once, no retry writes twice, writes go
// on without Redis, in-flight requests finish on SIGTERM, and the hub recovers within
// a stated bound. It prints a table per fault.
//
// The tests are behind the faults build tag, so `make test` does not run them; run
// `make test-faults` (it starts the services first), or
//
//	CONTACTHUB_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	CONTACTHUB_TEST_REDIS_URL=redis://127.0.0.1:6379/15 \
//	go test -tags faults -count=1 -v ./internal/faults/
//
// Faults are made by a small TCP proxy written here (proxy_test.go) that sits between
// the hub and each service: it can drop every live connection and refuse new ones, then
// accept again, and it can delay what the service sends back.
package faults
