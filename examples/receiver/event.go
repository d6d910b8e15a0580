package receiver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// EventTypeClick is the eventType of a short URL click, the only event this receiver stores.
const EventTypeClick = "short_url_clicked"

// Click is a short_url_clicked payload, field for field as 8x8 documents it.
type Click struct {
	EventID     string
	OccurredAt  time.Time
	UMID        string
	Destination string
	ShortURL    string
	TargetURL   string
}

// badEvent is a body no retry can fix: the receiver answers it 400 with its message.
type badEvent struct{ msg string }

func (e *badEvent) Error() string { return e.msg }

func badf(format string, args ...any) error { return &badEvent{fmt.Sprintf(format, args...)} }

// envelope is what every SMS event arrives in; eventType tells the payload's shape.
// Members not listed here are ignored, as are unknown members of the payload.
type envelope struct {
	Namespace *string         `json:"namespace"` // not checked beyond its type
	EventType *string         `json:"eventType"`
	Payload   json.RawMessage `json:"payload"`
}

// clickPayload has a pointer per member, to tell a missing member from an empty one.
type clickPayload struct {
	EventID     *string `json:"eventId"`
	OccurredAt  *string `json:"occurredAt"`
	UMID        *string `json:"umid"`
	Destination *string `json:"destination"`
	ShortURL    *string `json:"shortUrl"`
	TargetURL   *string `json:"targetUrl"`
}

// parseEvent reads one webhook body. It returns the event's type and, for a click, the
// click; the error is a *badEvent for a body that must be answered 400.
func parseEvent(body []byte) (eventType string, click *Click, err error) {
	if len(body) == 0 {
		return "", nil, badf("body is empty: want a JSON object")
	}
	// JSON is UTF-8; json.Unmarshal would silently store U+FFFD for anything else.
	if !utf8.Valid(body) {
		return "", nil, badf("body is not valid UTF-8")
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return "", nil, jsonProblem("", err)
	}
	if string(bytes.TrimSpace(body)) == "null" {
		return "", nil, badf("body: want a JSON object, got null")
	}
	switch {
	case env.EventType == nil:
		return "", nil, badf("eventType: missing")
	case *env.EventType == "":
		return "", nil, badf("eventType: empty")
	case len(env.Payload) == 0 || string(env.Payload) == "null":
		return *env.EventType, nil, badf("payload: missing")
	case env.Payload[0] != '{':
		return *env.EventType, nil, badf("payload: want a JSON object")
	}
	if *env.EventType != EventTypeClick {
		return *env.EventType, nil, nil // acked, not a click
	}
	var p clickPayload
	if err := json.Unmarshal(env.Payload, &p); err != nil {
		return EventTypeClick, nil, jsonProblem("payload.", err)
	}
	c := &Click{}
	for _, f := range []struct {
		name string
		src  *string
		dst  *string
	}{
		{"eventId", p.EventID, &c.EventID},
		{"umid", p.UMID, &c.UMID},
		{"destination", p.Destination, &c.Destination},
		{"shortUrl", p.ShortURL, &c.ShortURL},
		{"targetUrl", p.TargetURL, &c.TargetURL},
	} {
		if f.src == nil {
			return EventTypeClick, nil, badf("payload.%s: missing (want a string)", f.name)
		}
		*f.dst = *f.src
	}
	if c.EventID == "" {
		return EventTypeClick, nil, badf("payload.eventId: empty")
	}
	if p.OccurredAt == nil {
		return EventTypeClick, nil, badf("payload.occurredAt: missing (want an RFC 3339 time)")
	}
	// RFC3339Nano parsing accepts any fraction (or none) and any offset, Z or +00:00.
	if c.OccurredAt, err = time.Parse(time.RFC3339Nano, *p.OccurredAt); err != nil {
		return EventTypeClick, nil, badf("payload.occurredAt: %s is not an RFC 3339 time", excerpt(*p.OccurredAt))
	}
	c.OccurredAt = c.OccurredAt.UTC()
	return EventTypeClick, c, nil
}

// jsonProblem turns an encoding/json error into a short message naming the member at fault.
func jsonProblem(prefix string, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax) && syntax.Error() == "unexpected end of JSON input":
		return badf("body is not valid JSON: it ends early (truncated?)")
	case errors.As(err, &syntax):
		return badf("body is not valid JSON: %v at byte offset %d", syntax, syntax.Offset)
	case errors.As(err, &typ) && typ.Field == "" && prefix == "":
		return badf("body: want a JSON object, got %s", typ.Value)
	case errors.As(err, &typ) && typ.Field == "":
		return badf("%s: want a JSON object, got %s", prefix[:len(prefix)-1], typ.Value)
	case errors.As(err, &typ):
		return badf("%s%s: want a JSON %s, got %s", prefix, typ.Field, typ.Type.Kind(), typ.Value)
	}
	return badf("body is not valid JSON: %v", err)
}

// excerpt quotes s for a message, shortened: answers echo no more than a line.
func excerpt(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q...", s[:40])
	}
	return fmt.Sprintf("%q", s)
}
