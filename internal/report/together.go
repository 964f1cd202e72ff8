package report

import (
	"context"

	"github.com/council/contacthub/internal/store"
	"golang.org/x/sync/errgroup"
)

// together runs a report's independent reads and returns the first error.
//
// On SQLite it runs them at the same time. The database works inside this process, so a
// year's grouping costs tens of milliseconds of this process's CPU each, and a manager
// would wait for their sum; reads there have a pool of their own (writes queue on the
// single writer connection), so a report taking three of them for a moment delays
// nobody's write. On PostgreSQL they run one after another: its grouping is cheaper, and
// the pool is small (twice the cores) and shared with the IVR and the web, which a
// manager's report must not take three connections from.
//
// The reads were never one snapshot (each was a statement of its own before too), so
// nothing is lost in consistency. Each read writes only its own variables, which the
// caller reads after together returns.
func (r *Reports) together(ctx context.Context, reads ...func(context.Context) error) error {
	if r.db.Dialect != store.SQLite {
		for _, read := range reads {
			if err := read(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, read := range reads {
		g.Go(func() error { return read(ctx) })
	}
	return g.Wait()
}
