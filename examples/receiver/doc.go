// Package receiver is a correct receiver for 8x8's SMS webhooks, small enough to copy: it
// stores short_url_clicked events in SQLite, exactly once each. It is also the default
// target of `clickcheck verify` and what `clickcheck receiver` runs.
//
// Every choice follows from how 8x8 delivers: a connection error, a timeout, or any 4XX or
// 5XX answer makes 8x8 retry after 1, 10, 30 and 90 s, then drop the event; a 3XX is not
// followed, so the event is lost.
//
//   - Ack fast. The click is stored in one small SQLite statement and answered 200 at once;
//     nothing slow (no outbound calls, no fan-out) runs before the answer. A late answer
//     is a timeout to 8x8, hence a retry of something already stored.
//   - Dedupe on payload.eventId. Delivery is at least once: an event whose answer was lost
//     comes again. event_id is the clicks table's primary key and the insert is
//     INSERT ... ON CONFLICT(event_id) DO NOTHING, so a click is applied exactly once even
//     when 16 copies arrive at the same instant. If your effect spans several tables,
//     do the deduplicating insert and the effect in one transaction.
//   - Never 4XX a duplicate. A duplicate is success (200): a 409 would make 8x8 send it
//     four more times.
//   - Ack the other event types. inbound_message_received, outbound_message_status_changed
//     and any eventType 8x8 adds later arrive on the same URL: they are answered 200 and not
//     stored as clicks, or 8x8 would retry them for two minutes.
//   - 4XX only what no retry can fix (8x8 retries it anyway, then drops it): 400 for a
//     body that is not a JSON object with a string eventType and an object payload, or a
//     click missing a documented member, with one of the wrong JSON type, an empty eventId
//     or an occurredAt that is not RFC 3339; 413 for a body over MaxBody; 401 for a missing
//     or wrong Authorization when one is configured. A storage failure is a 500: there the
//     retry is wanted.
//   - Be liberal elsewhere: unknown fields are ignored anywhere, Content-Type is not
//     checked (8x8 sends application/json; the body decides), and occurredAt may carry
//     fractional seconds or a +00:00 offset.
//
// Storage is SQLite (modernc.org/sqlite, no cgo) through one connection: SQLite has one
// writer at a time anyway, and queueing in Go instead of contending on the file lock means
// no SQLITE_BUSY and so no spurious 5XX. A file database runs in WAL mode with
// synchronous=FULL, so an acked click is on disk.
//
// Config.Auth is compared with the Authorization header in constant time; 8x8 sends its
// configured httpAuthorization value unchanged.
//
// GET /observed/{eventId} answers how many times a click was applied (the observe protocol
// of `clickcheck verify`): it is for tests; leave it out of a production receiver, or
// protect it.
package receiver
