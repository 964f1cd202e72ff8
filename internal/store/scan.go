package store

import (
	"fmt"
	"time"
)

// sqliteTimeFormat is how the SQLite driver writes times (the "sqlite" _time_format).
const sqliteTimeFormat = "2006-01-02 15:04:05.999999999-07:00"

// NullTime scans a time from either engine, including aggregates such as MIN(created_at)
// that SQLite returns as text because they have no declared column type.
type NullTime struct {
	Time  time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (t *NullTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*t = NullTime{}
	case time.Time:
		*t = NullTime{Time: x.UTC(), Valid: true}
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	default:
		return fmt.Errorf("cannot scan %T into a time", v)
	}
	return nil
}

func (t *NullTime) parse(s string) error {
	for _, layout := range []string{sqliteTimeFormat, time.RFC3339Nano} {
		if parsed, err := time.Parse(layout, s); err == nil {
			*t = NullTime{Time: parsed.UTC(), Valid: true}
			return nil
		}
	}
	return fmt.Errorf("cannot read %q as a time", s)
}
