package store

// ForUpdate is the suffix that makes a SELECT lock the rows it reads until the
// transaction ends: " FOR UPDATE" on PostgreSQL, and nothing on SQLite, whose immediate
// transactions already run one writer at a time.
func (db *DB) ForUpdate() string {
	if db.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}
