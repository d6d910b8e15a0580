package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// ErrNotFound is returned for an eventId the store does not hold.
var ErrNotFound = errors.New("store: no such event")

// EventView is an event with every delivery of it, as the control API shows it. Secrets
// are not part of it.
type EventView struct {
	EventID    string          `json:"eventId"`
	Type       string          `json:"eventType"`
	CreatedAt  time.Time       `json:"createdAt"`
	Event      json.RawMessage `json:"event,omitempty"`
	Result     string          `json:"result"` // pending while any delivery is, else the worst final result
	Deliveries []DeliveryView  `json:"deliveries"`
}

// DeliveryView is one delivery: where it went, how it stands, and its attempts.
type DeliveryView struct {
	URL           string            `json:"url"`
	Webhook       string            `json:"webhook,omitempty"`
	Result        string            `json:"result"`
	NextAttempt   int               `json:"nextAttempt,omitempty"`
	NextAttemptAt *time.Time        `json:"nextAttemptAt"`
	Attempts      []mock8x8.Attempt `json:"attempts"`
}

// Events lists the newest events first, at most limit, only those whose result (see
// EventView.Result) is result when it is not empty. With bodies false the event JSON is
// left out.
func (s *Store) Events(ctx context.Context, result string, limit int, bodies bool) ([]EventView, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT e.event_id FROM events e
		WHERE ? = '' OR (SELECT `+eventResult+` FROM deliveries d WHERE d.event_id = e.event_id) = ?
		ORDER BY e.seq DESC LIMIT ?`, result, result, limit)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]EventView, 0, len(ids))
	for _, id := range ids {
		v, err := s.Event(ctx, id, bodies)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Event returns one event with its deliveries and their attempts, or ErrNotFound.
func (s *Store) Event(ctx context.Context, eventID string, body bool) (EventView, error) {
	var v EventView
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var raw string
		var created int64
		err := tx.QueryRowContext(ctx, `SELECT type, body, created_at FROM events WHERE event_id = ?`, eventID).Scan(&v.Type, &raw, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		v.EventID, v.CreatedAt = eventID, fromNanos(created)
		if body {
			if json.Valid([]byte(raw)) {
				v.Event = json.RawMessage(raw)
			} else { // sent verbatim, even when it is not JSON: show it as a string
				b, _ := json.Marshal(raw)
				v.Event = b
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, target, next_attempt, due, result FROM deliveries WHERE event_id = ? ORDER BY id`, eventID)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var d DeliveryView
			var id, due int64
			var target string
			if err := rows.Scan(&id, &target, &d.NextAttempt, &due, &d.Result); err != nil {
				rows.Close()
				return err
			}
			var t Target
			_ = json.Unmarshal([]byte(target), &t)
			d.URL, d.Webhook = mock8x8.RedactURL(t.URL), t.Webhook
			if d.Result == Pending {
				at := fromNanos(due)
				d.NextAttemptAt = &at
			} else {
				d.NextAttempt = 0
			}
			d.Attempts = []mock8x8.Attempt{}
			ids = append(ids, id)
			v.Deliveries = append(v.Deliveries, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		v.Result = summarize(v.Deliveries)
		for i, id := range ids {
			atts, err := attempts(ctx, tx, id, v.EventID, v.Deliveries[i].URL)
			if err != nil {
				return err
			}
			v.Deliveries[i].Attempts = atts
		}
		return nil
	})
	return v, err
}

func attempts(ctx context.Context, tx *sql.Tx, deliveryID int64, eventID, url string) ([]mock8x8.Attempt, error) {
	rows, err := tx.QueryContext(ctx, `SELECT attempt, scheduled_at, started_at, finished_at, status, error, message, result, next_attempt_at
		FROM attempts WHERE delivery_id = ? ORDER BY attempt`, deliveryID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []mock8x8.Attempt{}
	for rows.Next() {
		a := mock8x8.Attempt{EventID: eventID, URL: url}
		var sched, start, fin, next int64
		var class, result string
		if err := rows.Scan(&a.Attempt, &sched, &start, &fin, &a.Status, &class, &a.Message, &result, &next); err != nil {
			return nil, err
		}
		a.ScheduledAt, a.StartedAt, a.FinishedAt, a.NextAttemptAt = fromNanos(sched), fromNanos(start), fromNanos(fin), fromNanos(next)
		a.Error, a.Result = mock8x8.ErrorClass(class), mock8x8.Result(result)
		out = append(out, a)
	}
	return out, rows.Err()
}

// summarize is an event's result over its deliveries, ranked as in Stats: pending while
// any is, else the worst final result.
func summarize(ds []DeliveryView) string {
	rank := map[string]int{string(mock8x8.Delivered): 1, string(mock8x8.Rejected): 2, string(mock8x8.Exhausted): 3, Pending: 4}
	best := ""
	for _, d := range ds {
		if rank[d.Result] > rank[best] {
			best = d.Result
		}
	}
	return best
}
