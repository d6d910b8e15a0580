// Package mock8x8 is a mock of 8x8's SMS webhook sender.
//
// It generates realistic SMS webhook events (short_url_clicked and its two sibling SMS
// events), delivers them exactly as 8x8 does (one POST per attempt, static or OAuth
// authorization, a per-attempt timeout, redirects never followed) and retries failed
// attempts on 8x8's 1, 10, 30 and 90 second schedule, optionally scaled in time.
//
// The pieces compose:
//
//	Generator -> Event -> Engine (Schedule, Clock) -> Sender (one attempt) -> Journal
//
// Every wait goes through a Clock, so tests prove exact attempt times with a fake clock.
package mock8x8
