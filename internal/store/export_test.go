package store

import "context"

// MigrateDownTo undoes the migrations above version v, and MigrateUpTo applies them up
// to v, so that a test can put rows in the shape an older schema wrote.
func (db *DB) MigrateDownTo(ctx context.Context, v int64) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, v)
	return err
}

func (db *DB) MigrateUpTo(ctx context.Context, v int64) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, v)
	return err
}

// ConnState answers, for a PostgreSQL driver connection (under database/sql's Raw), the
// server's transaction status and whether the pool would keep it.
func ConnState(dc any) (status byte, valid bool) {
	c := dc.(*pipeConn)
	return c.pgx().PgConn().TxStatus(), c.IsValid()
}
