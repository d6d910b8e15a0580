// Package store keeps the long-running mock 8x8's state in SQLite: the webhooks
// configured through the Webhooks Configuration API, the events to deliver, each
// delivery's progress through the retry schedule, and every attempt. Everything is written
// before it is acted on, so a server killed at any moment resumes where it stood.
package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"

	"github.com/clickcheck/clickcheck/mock8x8"
)

const schema = `
CREATE TABLE IF NOT EXISTS webhooks (
	account_id         TEXT NOT NULL,
	sub_account_id     TEXT NOT NULL,
	url                TEXT NOT NULL,
	http_authorization TEXT NOT NULL DEFAULT '',
	enabled            INTEGER NOT NULL,
	oauth              TEXT NOT NULL DEFAULT '', -- JSON, empty without OAuth
	PRIMARY KEY (account_id, sub_account_id)
);
CREATE TABLE IF NOT EXISTS events (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id   TEXT NOT NULL UNIQUE,
	type       TEXT NOT NULL,
	body       TEXT NOT NULL,
	created_at INTEGER NOT NULL -- unix nanoseconds
);
CREATE TABLE IF NOT EXISTS deliveries (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id      TEXT NOT NULL REFERENCES events (event_id),
	target_key    TEXT NOT NULL,
	target        TEXT NOT NULL,      -- JSON Target, secrets included: the sender needs them
	next_attempt  INTEGER NOT NULL,   -- the attempt to make next, 1-based
	first_started INTEGER NOT NULL,   -- unix nanoseconds; 0 before attempt 1
	due           INTEGER NOT NULL,   -- unix nanoseconds the next attempt is due; 0 once final
	result        TEXT NOT NULL,      -- pending, delivered, exhausted or rejected
	UNIQUE (event_id, target_key)
);
CREATE INDEX IF NOT EXISTS deliveries_result ON deliveries (result);
CREATE TABLE IF NOT EXISTS attempts (
	delivery_id     INTEGER NOT NULL REFERENCES deliveries (id),
	attempt         INTEGER NOT NULL,
	scheduled_at    INTEGER NOT NULL,
	started_at      INTEGER NOT NULL,
	finished_at     INTEGER NOT NULL,
	status          INTEGER NOT NULL,
	error           TEXT NOT NULL,
	message         TEXT NOT NULL,
	result          TEXT NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	-- an attempt in flight when the process died is made again: the newer record wins
	PRIMARY KEY (delivery_id, attempt) ON CONFLICT REPLACE
);
PRAGMA user_version = 1;
`

// Pending is the result of a delivery that has not reached a final result.
const Pending = "pending"

// Store is the mock's state in one SQLite database, used through a single connection:
// SQLite writes one transaction at a time anyway, and one connection keeps an in-memory
// database alive. It is safe for concurrent use.
type Store struct {
	db *sql.DB
}

// Open opens (creating if needed) the database at path, or an in-memory one when path is
// empty. A file database uses WAL with synchronous=FULL: a write is on disk when the
// call returns, so it survives kill -9.
func Open(path string) (*Store, error) {
	dsn := ":memory:"
	if path != "" {
		esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
		dsn = "file:" + esc + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(wal)&_pragma=synchronous(full)&_pragma=foreign_keys(on)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		if path == "" {
			return nil, fmt.Errorf("store: creating the in-memory database: %w", err)
		}
		return nil, fmt.Errorf("store: opening %s: %w (is it a clickcheck serve database, in a writable directory?)", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// OAuth is a webhook's OAuth 2.0 client-credentials configuration, as 8x8's
// configuration API spells it.
type OAuth struct {
	URL                 string `json:"url"`
	ClientID            string `json:"clientId"`
	ClientSecret        string `json:"clientSecret"`
	CredentialsLocation string `json:"credentialsLocation,omitempty"`
	Scope               string `json:"scope,omitempty"`
}

// Webhook is one configured webhook of an account.
type Webhook struct {
	AccountID         string `json:"-"`
	SubAccountID      string `json:"subAccountId"`
	URL               string `json:"url"`
	HTTPAuthorization string `json:"httpAuthorization,omitempty"`
	Enabled           bool   `json:"enabled"`
	OAuth             *OAuth `json:"oauth,omitempty"`
}

// Target is where a delivery goes and with which credentials.
type Target struct {
	URL           string `json:"url"`
	Authorization string `json:"authorization,omitempty"`
	OAuth         *OAuth `json:"oauth,omitempty"`
	// Webhook names the configured webhook ("<accountId>/<subAccountId>"); empty for a
	// one-off URL given to the control API.
	Webhook string `json:"webhook,omitempty"`
}

// Key identifies the target: equal targets share a key, and so a sender and an engine.
func (t Target) Key() string {
	b, _ := json.Marshal(t)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// TargetOf is the target of a configured webhook.
func TargetOf(w Webhook) Target {
	return Target{URL: w.URL, Authorization: w.HTTPAuthorization, OAuth: w.OAuth, Webhook: w.AccountID + "/" + w.SubAccountID}
}

// PutWebhooks creates or replaces the account's webhooks, keyed by subAccountId, all in
// one transaction.
func (s *Store) PutWebhooks(ctx context.Context, accountID string, hooks []Webhook) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, w := range hooks {
			var oauth string
			if w.OAuth != nil {
				b, err := json.Marshal(w.OAuth)
				if err != nil {
					return err
				}
				oauth = string(b)
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO webhooks
				(account_id, sub_account_id, url, http_authorization, enabled, oauth) VALUES (?, ?, ?, ?, ?, ?)`,
				accountID, w.SubAccountID, w.URL, w.HTTPAuthorization, w.Enabled, oauth); err != nil {
				return err
			}
		}
		return nil
	})
}

// Webhooks returns the account's webhooks, or every account's when accountID is empty,
// ordered by account and subAccountId.
func (s *Store) Webhooks(ctx context.Context, accountID string) ([]Webhook, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT account_id, sub_account_id, url, http_authorization, enabled, oauth
		FROM webhooks WHERE ? = '' OR account_id = ? ORDER BY account_id, sub_account_id`, accountID, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hooks := []Webhook{}
	for rows.Next() {
		var w Webhook
		var oauth string
		if err := rows.Scan(&w.AccountID, &w.SubAccountID, &w.URL, &w.HTTPAuthorization, &w.Enabled, &oauth); err != nil {
			return nil, err
		}
		if oauth != "" {
			w.OAuth = new(OAuth)
			if err := json.Unmarshal([]byte(oauth), w.OAuth); err != nil {
				return nil, fmt.Errorf("store: webhook %s/%s has unreadable OAuth settings: %w", w.AccountID, w.SubAccountID, err)
			}
		}
		hooks = append(hooks, w)
	}
	return hooks, rows.Err()
}

// DeleteWebhooks removes the account's webhooks with the given subAccountIds ("*" is the
// global-scope webhook, not a wildcard) and returns how many there were.
func (s *Store) DeleteWebhooks(ctx context.Context, accountID string, subAccountIDs []string) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, sub := range subAccountIDs {
			res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE account_id = ? AND sub_account_id = ?`, accountID, sub)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	return n, err
}

// Delivery is one event's way to one target.
type Delivery struct {
	ID           int64
	Event        mock8x8.Event
	Target       Target
	NextAttempt  int
	FirstStarted time.Time // zero before attempt 1
	Due          time.Time // zero once final
	Result       string    // Pending or a final mock8x8.Result
}

// AddEvents stores the events and one delivery per event and target, due at due, in one
// transaction: either all of it is stored or none. An event already stored is an error.
func (s *Store) AddEvents(ctx context.Context, events []mock8x8.Event, targets []Target, due time.Time) ([]Delivery, error) {
	now := time.Now().UnixNano()
	var out []Delivery
	err := s.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		for _, ev := range events {
			if _, err := tx.ExecContext(ctx, `INSERT INTO events (event_id, type, body, created_at) VALUES (?, ?, ?, ?)`,
				ev.ID, ev.Type, ev.Body, now); err != nil {
				if strings.Contains(err.Error(), "UNIQUE") {
					return fmt.Errorf("event %q was already sent: an eventId is delivered once (8x8 gives every click a new one)", ev.ID)
				}
				return err
			}
			for _, t := range targets {
				b, err := json.Marshal(t)
				if err != nil {
					return err
				}
				res, err := tx.ExecContext(ctx, `INSERT INTO deliveries
					(event_id, target_key, target, next_attempt, first_started, due, result) VALUES (?, ?, ?, 1, 0, ?, ?)`,
					ev.ID, t.Key(), string(b), due.UnixNano(), Pending)
				if err != nil {
					return err
				}
				id, _ := res.LastInsertId()
				out = append(out, Delivery{ID: id, Event: ev, Target: t, NextAttempt: 1, Due: due, Result: Pending})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordAttempt stores an attempt of the event's delivery to the target and moves the
// delivery on: to its next attempt and due time, or to its final result.
func (s *Store) RecordAttempt(ctx context.Context, targetKey string, a mock8x8.Attempt) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM deliveries WHERE event_id = ? AND target_key = ?`,
			a.EventID, targetKey).Scan(&id); err != nil {
			return fmt.Errorf("store: no delivery of %s to target %s: %w", a.EventID, targetKey, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO attempts
			(delivery_id, attempt, scheduled_at, started_at, finished_at, status, error, message, result, next_attempt_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, a.Attempt, nanos(a.ScheduledAt), nanos(a.StartedAt), nanos(a.FinishedAt), a.Status, string(a.Error),
			a.Message, string(a.Result), nanos(a.NextAttemptAt)); err != nil {
			return err
		}
		result := Pending
		if a.Result.Final() {
			result = string(a.Result)
		}
		firstUpdate := `first_started`
		if a.Attempt == 1 {
			firstUpdate = fmt.Sprint(nanos(a.StartedAt))
		}
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET next_attempt = ?, due = ?, result = ?, first_started = `+firstUpdate+` WHERE id = ?`,
			a.Attempt+1, nanos(a.NextAttemptAt), result, id)
		return err
	})
}

// PendingDeliveries returns every delivery without a final result, oldest due first: what
// a restarted server resumes.
func (s *Store) PendingDeliveries(ctx context.Context) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, d.event_id, e.type, e.body, d.target, d.next_attempt, d.first_started, d.due
		FROM deliveries d JOIN events e ON e.event_id = d.event_id WHERE d.result = ? ORDER BY d.due, d.id`, Pending)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var target string
		var first, due int64
		if err := rows.Scan(&d.ID, &d.Event.ID, &d.Event.Type, &d.Event.Body, &target, &d.NextAttempt, &first, &due); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(target), &d.Target); err != nil {
			return nil, fmt.Errorf("store: delivery %d has an unreadable target: %w", d.ID, err)
		}
		d.FirstStarted, d.Due, d.Result = fromNanos(first), fromNanos(due), Pending
		out = append(out, d)
	}
	return out, rows.Err()
}

// Stats are the server's counters. The top-level counts are per event, each event
// counted once under its least settled delivery's result (pending while any delivery is,
// else the worst final result), so Events = Delivered + Exhausted + Rejected + Pending
// however many webhooks an event goes to; Deliveries counts each event's way to each
// webhook the same way.
type Stats struct {
	mock8x8.Stats
	Deliveries Counts `json:"deliveries"`
}

// Counts are deliveries by result: Total = Delivered + Exhausted + Rejected + Pending.
type Counts struct {
	Total     int64 `json:"total"`
	Delivered int64 `json:"delivered"`
	Exhausted int64 `json:"exhausted"`
	Rejected  int64 `json:"rejected"`
	Pending   int64 `json:"pending"`
}

// add counts n under result r.
func (c *Counts) add(r string, n int64) {
	c.Total += n
	switch r {
	case Pending:
		c.Pending += n
	case string(mock8x8.Delivered):
		c.Delivered += n
	case string(mock8x8.Exhausted):
		c.Exhausted += n
	case string(mock8x8.Rejected):
		c.Rejected += n
	}
}

// eventResult is an event's result over its deliveries, in a query grouped by event:
// pending while any delivery is, else the worst final result.
const eventResult = `CASE max(CASE result WHEN 'delivered' THEN 1 WHEN 'rejected' THEN 2 WHEN 'exhausted' THEN 3 ELSE 4 END)
	WHEN 1 THEN 'delivered' WHEN 2 THEN 'rejected' WHEN 3 THEN 'exhausted' ELSE 'pending' END`

// Stats counts events and deliveries by result and every attempt, in one consistent read.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var events, deliveries Counts
		err := scanCounts(ctx, tx, &deliveries, `SELECT result, count(*) FROM deliveries GROUP BY result`)
		if err == nil {
			err = scanCounts(ctx, tx, &events, `SELECT `+eventResult+`, 1 FROM deliveries GROUP BY event_id`)
		}
		if err != nil {
			return err
		}
		st.Deliveries = deliveries
		st.Events, st.Delivered, st.Exhausted, st.Rejected, st.Pending = events.Total, events.Delivered, events.Exhausted, events.Rejected, events.Pending
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM attempts`).Scan(&st.Attempts)
	})
	return st, err
}

// scanCounts adds up the (result, count) rows of query into c.
func scanCounts(ctx context.Context, tx *sql.Tx, c *Counts, query string) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		var n int64
		if err := rows.Scan(&r, &n); err != nil {
			return err
		}
		c.add(r, n)
	}
	return rows.Err()
}

// tx runs f in a transaction, committed when f returns nil.
func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
