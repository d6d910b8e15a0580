package mock8x8

import (
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Namespace is the envelope namespace of every SMS webhook event.
const Namespace = "SMS"

// The SMS event types that share one webhook URL.
const (
	EventTypeClick        = "short_url_clicked"
	EventTypeInbound      = "inbound_message_received"
	EventTypeStatusChange = "outbound_message_status_changed"
)

// Descriptions 8x8 puts in the envelope for each event type.
const (
	DescriptionClick        = "Short URL from SMS clicked"
	DescriptionInbound      = "Inbound SMS received"
	DescriptionStatusChange = "Outbound SMS status changed"
)

// Event is one webhook delivery as the sender sees it: the exact bytes POSTed and the id
// attempts are recorded under.
type Event struct {
	// ID identifies the event in the journal: the payload's eventId for clicks.
	ID string
	// Type is the envelope's eventType, when known.
	Type string
	// Body is the JSON body, sent verbatim. A string, so an event is immutable and safe
	// to share between attempts and goroutines.
	Body string
}

// Click is the payload of a short_url_clicked event, field for field as 8x8 documents it.
type Click struct {
	EventID     string    `json:"eventId"`
	OccurredAt  time.Time `json:"occurredAt"`
	UMID        string    `json:"umid"`
	Destination string    `json:"destination"`
	ShortURL    string    `json:"shortUrl"`
	TargetURL   string    `json:"targetUrl"`
}

// Event returns the click wrapped in its envelope, ready to send.
func (c Click) Event() Event {
	// Size the body exactly (unless escaping is needed): pending events hold their bodies,
	// so slack here multiplies by every event waiting for a retry.
	n := len(clickPrefix) + len(c.EventID) + len(c.UMID) + len(c.Destination) + len(c.ShortURL) + len(c.TargetURL) + clickOverhead
	b := c.AppendJSON(make([]byte, 0, n))
	// b is never written again, so the string may share its bytes (as strings.Builder
	// does), and the ID may share the body's: one allocation per pending event, not three.
	body := unsafe.String(unsafe.SliceData(b), len(b))
	id := c.EventID
	if off := len(clickPrefix) + 1; len(body) >= off+len(id) && body[off:off+len(id)] == id {
		id = body[off : off+len(id)]
	}
	return Event{ID: id, Type: EventTypeClick, Body: body}
}

const clickPrefix = `{"namespace":"` + Namespace + `","eventType":"` + EventTypeClick + `","description":"` + DescriptionClick + `","payload":{"eventId":`

// clickOverhead is the click body's length beyond its prefix and string fields: the
// literal keys and punctuation AppendJSON writes, the longest RFC 3339 time, and 2 quotes
// around each of the five string fields.
const clickOverhead = len(`,"occurredAt":"`+`2006-01-02T15:04:05.999999999Z`+`","umid":`+`,"destination":`+`,"shortUrl":`+`,"targetUrl":`+`}}`) + 5*2

// AppendJSON appends the click's full webhook body (envelope and payload, fields in the
// documented order, occurredAt in UTC as RFC 3339: "2025-10-03T12:00:00Z" for whole
// seconds, as 8x8 documents it, with a fraction only when the time has one) to b.
func (c Click) AppendJSON(b []byte) []byte {
	b = append(b, clickPrefix...)
	b = appendJSONString(b, c.EventID)
	b = append(b, `,"occurredAt":"`...)
	b = c.OccurredAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","umid":`...)
	b = appendJSONString(b, c.UMID)
	b = append(b, `,"destination":`...)
	b = appendJSONString(b, c.Destination)
	b = append(b, `,"shortUrl":`...)
	b = appendJSONString(b, c.ShortURL)
	b = append(b, `,"targetUrl":`...)
	b = appendJSONString(b, c.TargetURL)
	return append(b, "}}"...)
}

// appendJSONString appends s as a JSON string; it escapes like encoding/json without HTML
// escaping, because 8x8's bodies are not HTML and '&' is common in target URLs.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, `\u00`...)
				b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = strconv.AppendInt(b, int64(r&0xf), 16)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"
