package receiver

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"
)

// schema is the store. event_id is the primary key: that is the deduplication.
const schema = `
CREATE TABLE IF NOT EXISTS clicks (
	event_id    TEXT PRIMARY KEY, -- payload.eventId: unique per click
	occurred_at TEXT NOT NULL,    -- RFC 3339, UTC
	umid        TEXT NOT NULL,    -- the SMS the link was in; shared by its clicks
	destination TEXT NOT NULL,    -- the recipient, E.164
	short_url   TEXT NOT NULL,
	target_url  TEXT NOT NULL,
	received_at TEXT NOT NULL     -- when this receiver first stored it, RFC 3339, UTC
);
PRAGMA user_version = 1; -- a write: Open fails now, not on the first click, if the file is read-only
`

// store keeps clicks in SQLite through a single connection. SQLite runs one writer at a
// time anyway; queueing writers on one Go connection instead of letting several
// connections contend means no SQLITE_BUSY, no busy-handler sleeps, and prepared
// statements that stay prepared. It also keeps an in-memory database alive and shared by
// every request.
type store struct {
	db     *sql.DB
	insert *sql.Stmt
	count  *sql.Stmt
}

// dsn is the modernc.org/sqlite data source for path ("" = in memory). A file database
// uses WAL with synchronous=FULL: a click is on disk before it is acked. busy_timeout
// covers other processes (a sqlite3 shell running an --observe-cmd) holding the file.
func dsn(path string) string {
	if path == "" {
		return ":memory:"
	}
	// A file: URI, so a path may hold '?' or '#'; SQLite decodes %XX in it.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(wal)&_pragma=synchronous(full)"
}

func openStore(path string) (*store, error) {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &store{db: db}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *store) init() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, schema); err != nil {
		return err
	}
	var err error
	s.insert, err = s.db.PrepareContext(ctx, `INSERT INTO clicks
		(event_id, occurred_at, umid, destination, short_url, target_url, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (event_id) DO NOTHING`)
	if err != nil {
		return err
	}
	s.count, err = s.db.PrepareContext(ctx, `SELECT count(*) FROM clicks WHERE event_id = ?`)
	return err
}

// add stores c unless a click with its eventId is stored already, and reports whether
// it was new: true exactly once per eventId.
func (s *store) add(ctx context.Context, c *Click, received time.Time) (bool, error) {
	res, err := s.insert.ExecContext(ctx, c.EventID, c.OccurredAt.Format(time.RFC3339Nano), c.UMID,
		c.Destination, c.ShortURL, c.TargetURL, received.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return false, fmt.Errorf("storing click %s: %w", c.EventID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// applied counts the stored clicks with eventID: 0 or 1.
func (s *store) applied(ctx context.Context, eventID string) (int, error) {
	var n int
	err := s.count.QueryRowContext(ctx, eventID).Scan(&n)
	return n, err
}

func (s *store) ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *store) close() error {
	s.insert.Close()
	s.count.Close()
	return s.db.Close()
}
