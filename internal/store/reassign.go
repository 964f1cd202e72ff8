package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// ReassignCustomer moves every row of table owned by customer from to customer to,
// returning the ids moved, so that a customer merge can later be undone exactly.
// table is always a constant of the calling package, never input.
func ReassignCustomer(ctx context.Context, tx *sqlx.Tx, table, from, to string) ([]string, error) {
	var ids []string
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT id FROM `+table+` WHERE customer_id = ?`), from); err != nil {
		return nil, fmt.Errorf("find %s to move: %w", table, MapError(err))
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE `+table+` SET customer_id = ? WHERE customer_id = ?`), to, from); err != nil {
		return nil, fmt.Errorf("move %s: %w", table, MapError(err))
	}
	return ids, nil
}

// ReturnToCustomer gives the rows ids of table back to customer to.
func ReturnToCustomer(ctx context.Context, tx *sqlx.Tx, table string, ids []string, to string) error {
	if len(ids) == 0 {
		return nil
	}
	q, args, err := sqlx.In(`UPDATE `+table+` SET customer_id = ? WHERE id IN (?)`, to, ids)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
		return fmt.Errorf("return %s: %w", table, MapError(err))
	}
	return nil
}
