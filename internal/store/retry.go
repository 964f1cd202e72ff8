package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrContention: the database kept aborting the transaction for a deadlock or a
// serialization failure, retries included. Nothing was written; the caller may retry.
var ErrContention = errors.New("the database is busy with conflicting changes")

// contentionRetries is how many times a transaction the database aborted for contention
// is run again before giving up with ErrContention.
const contentionRetries = 4

// retryContention runs fn, and runs it again after a short random pause when PostgreSQL
// aborted it as a deadlock victim or for a serialization failure: the other transaction
// has gone on, so a second try usually passes.
func retryContention(ctx context.Context, fn func() error) error {
	pause := 5 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !isContention(err) {
			return err
		}
		if attempt > contentionRetries {
			return fmt.Errorf("%w: %w", ErrContention, err)
		}
		// Full jitter: two victims of one deadlock must not meet again in step.
		wait := time.Duration(rand.Int64N(int64(pause))) + time.Millisecond
		pause *= 2
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// isContention reports whether err is PostgreSQL's deadlock_detected (40P01) or
// serialization_failure (40001).
func isContention(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}
