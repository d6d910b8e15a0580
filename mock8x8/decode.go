package mock8x8

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ValidationError says which field of an event is wrong and how.
type ValidationError struct {
	// Field is the JSON path of the member, like "payload.destination" or "eventType";
	// "body" when the body as a whole is wrong (empty, not JSON, not an object).
	Field string
	// Problem says what is wrong, and usually what is wanted instead.
	Problem string
	// Value is the offending value as JSON text (a string keeps its quotes), shortened to
	// about 64 bytes; empty when the problem is about a missing member or a wrong type.
	Value string
}

// Error reads like `payload.destination: "+1202" is not an E.164 number (want ...)`.
func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	if e.Value != "" {
		b.WriteString(e.Value)
		b.WriteByte(' ')
	}
	b.WriteString(e.Problem)
	return b.String()
}

// ValidationErrors is every problem found in one event, in document order, so that a
// user can fix them all at once. Decode returns it as its error.
type ValidationErrors []*ValidationError

// Error lists the problems on one line, separated by "; ".
func (es ValidationErrors) Error() string {
	switch len(es) {
	case 0:
		return "no validation errors"
	case 1:
		return es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems: ", len(es))
	for i, e := range es {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns each *ValidationError, so errors.As finds the first one.
func (es ValidationErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Field returns the first problem reported for the JSON path field, or nil.
func (es ValidationErrors) Field(field string) *ValidationError {
	for _, e := range es {
		if e.Field == field {
			return e
		}
	}
	return nil
}

// Decoded is a validated event: its envelope and the payload for its eventType (the other
// two payload pointers are nil).
type Decoded struct {
	Envelope     Envelope
	Click        *Click
	Inbound      *InboundMessage
	StatusChange *StatusChange
}

// Decode parses one webhook body and checks it against 8x8's documented format.
//
// The body must be one JSON object with namespace "SMS", a known eventType and an object
// payload whose documented members have the documented types and formats. Members nobody
// documents are allowed anywhere: 8x8 may add fields and receivers must tolerate them.
// Member names are matched exactly (JSON is case-sensitive, although encoding/json is not),
// and a member that appears twice is reported, because parsers disagree on which wins.
//
// The error, when not nil, is a ValidationErrors holding every problem found. Decoded is
// returned even then, for messages and logs: it holds every value that had the right JSON
// type, valid or not; the rest is zero.
func Decode(body []byte) (Decoded, error) {
	var d Decoded
	c := &eventChecker{}
	c.decode(body, &d)
	if len(c.errs) == 0 {
		return d, nil
	}
	return d, c.errs
}

// eventChecker collects the problems of one event.
type eventChecker struct{ errs ValidationErrors }

func (c *eventChecker) report(field, value, problem string) {
	c.errs = append(c.errs, &ValidationError{Field: field, Problem: problem, Value: value})
}

func (c *eventChecker) decode(body []byte, d *Decoded) {
	start := skipJSONSpace(body, 0)
	if start == len(body) {
		c.report("body", "", `is empty (want one JSON object such as {"namespace":"SMS","eventType":"short_url_clicked",...})`)
		return
	}
	if !utf8.Valid(body) {
		c.report("body", "", fmt.Sprintf("is not valid UTF-8 at byte offset %d (JSON text must be UTF-8)", invalidUTF8At(body)))
	}
	if !json.Valid(body) {
		var s rawSpan
		c.report("body", "", "is not valid JSON "+syntaxErrorAt(body, 0, json.Unmarshal(body, &s)))
		return
	}
	if body[start] != '{' {
		c.report("body", "", "want a JSON object, got "+jsonKind(body[start:]))
		return
	}
	env := c.readObject("", body[start:])

	if ns, ok := c.str(env, "namespace", true); ok {
		d.Envelope.Namespace = ns
		if ns != Namespace {
			c.report("namespace", jsonExcerpt(ns), `is not "SMS" (every SMS webhook event has namespace "SMS")`)
		}
	}
	known := false
	if et, ok := c.str(env, "eventType", true); ok {
		d.Envelope.EventType = et
		switch et {
		case EventTypeClick, EventTypeInbound, EventTypeStatusChange:
			known = true
		default:
			c.report("eventType", jsonExcerpt(et), fmt.Sprintf("is not a known SMS event type (want one of %q, %q, %q)",
				EventTypeClick, EventTypeInbound, EventTypeStatusChange))
		}
	}
	// The description is free text: 8x8 shows one per event type, but receivers must not
	// depend on its wording, so only its type is checked.
	if desc, ok := c.str(env, "description", false); ok {
		d.Envelope.Description = desc
	}
	if raw, ok := env.fields["payload"]; ok {
		d.Envelope.Payload = bytes.Clone(raw) // not an alias of the caller's body
	}
	payload, ok := c.object(env, "payload", true)
	if !ok || !known {
		return
	}
	switch d.Envelope.EventType {
	case EventTypeClick:
		d.Click = c.click(payload)
	case EventTypeInbound:
		d.Inbound = c.inbound(payload)
	case EventTypeStatusChange:
		d.StatusChange = c.statusChange(payload)
	}
}

// click checks a short_url_clicked payload (S1): every member is required.
func (c *eventChecker) click(p *jsonObject) *Click {
	var k Click
	k.EventID, _ = c.uuid(p, "eventId", true)
	k.OccurredAt, _ = c.timestamp(p, "occurredAt", true, true)
	k.UMID, _ = c.uuid(p, "umid", true)
	k.Destination, _ = c.e164(p, "destination", true)
	k.ShortURL, _ = c.absURL(p, "shortUrl", true, true)
	k.TargetURL, _ = c.absURL(p, "targetUrl", true, false)
	return &k
}

// inbound checks an inbound_message_received payload (S2): every documented member is
// required. The destination is the account's number, which may be a short code, so it
// need only be a non-empty string; the source is the phone that sent the SMS (E.164).
func (c *eventChecker) inbound(p *jsonObject) *InboundMessage {
	var m InboundMessage
	m.UMID, _ = c.uuid(p, "umid", true)
	m.SubAccountID, _ = c.nonEmpty(p, "subAccountId", true)
	m.Timestamp, _ = c.timestamp(p, "timestamp", true, false)
	m.Source, _ = c.e164(p, "source", true)
	m.Destination, _ = c.nonEmpty(p, "destination", true)
	m.Body, _ = c.str(p, "body", true) // an empty SMS is possible
	m.Encoding, _ = c.enum(p, "encoding", true, "an encoding", "GSM7", "UCS2")
	m.SMSCount, _ = c.integer(p, "smsCount", true, 0)
	if price, ok := c.object(p, "price", true); ok {
		m.Price = c.price(price)
	}
	return &m
}

// statusChange checks an outbound_message_status_changed payload (S3, S10). batchId,
// clientMessageId and clientBatchId exist only for batch sends or when the client set
// them, detail, errorCode and errorMessage only for some states, and price only when
// something was charged: those may be absent (or null), and are type-checked when present.
// The source is the sender id, which may be alphanumeric ("8x8"), so it need only be a
// non-empty string; the destination is the recipient (E.164).
func (c *eventChecker) statusChange(p *jsonObject) *StatusChange {
	var m StatusChange
	m.UMID, _ = c.uuid(p, "umid", true)
	m.BatchID, _ = c.str(p, "batchId", false)
	m.ClientMessageID, _ = c.str(p, "clientMessageId", false)
	m.ClientBatchID, _ = c.str(p, "clientBatchId", false)
	m.SubAccountID, _ = c.nonEmpty(p, "subAccountId", true)
	m.Source, _ = c.nonEmpty(p, "source", true)
	m.Destination, _ = c.e164(p, "destination", true)
	if st, ok := c.object(p, "status", true); ok {
		m.Status.State, _ = c.enum(st, "state", true, "a message state",
			"queued", "rejected", "sent", "delivered", "undelivered", "read")
		m.Status.Detail, _ = c.enum(st, "detail", false, "a status detail",
			"delivered_to_operator", "delivered_to_recipient", "rejected_by_operator", "undelivered_to_recipient")
		m.Status.Timestamp, _ = c.timestamp(st, "timestamp", true, false)
		m.Status.ErrorCode, _ = c.integer(st, "errorCode", false, math.MinInt)
		m.Status.ErrorMessage, _ = c.str(st, "errorMessage", false)
	}
	if price, ok := c.object(p, "price", false); ok {
		pr := c.price(price)
		m.Price = &pr
	}
	m.SMSCount, _ = c.integer(p, "smsCount", true, 0)
	return &m
}

func (c *eventChecker) price(o *jsonObject) Price {
	var p Price
	p.Total, _ = c.amount(o, "total")
	p.PerSMS, _ = c.amount(o, "perSms")
	if cur, ok := c.str(o, "currency", true); ok {
		p.Currency = cur
		if !isCurrencyCode(cur) {
			c.report(o.member("currency"), jsonExcerpt(cur), `is not an ISO 4217 currency code (want 3 capital letters, e.g. "EUR")`)
		}
	}
	return p
}

// readObject reads the members of raw, a valid JSON object, and reports duplicates.
func (c *eventChecker) readObject(path string, raw []byte) *jsonObject {
	o, dups := parseObject(path, raw)
	for _, d := range dups {
		c.report(o.member(d.key), "", fmt.Sprintf("appears %d times (JSON parsers disagree on which one wins; encoding/json takes the last)", d.count))
	}
	return o
}

// get returns member key of o. A required member that is absent is reported; an optional
// member that is null counts as absent.
func (c *eventChecker) get(o *jsonObject, key string, required bool) (json.RawMessage, bool) {
	v, ok := o.fields[key]
	if !ok {
		if required {
			c.missing(o, key)
		}
		return nil, false
	}
	if !required && string(v) == "null" {
		return nil, false
	}
	return v, true
}

func (c *eventChecker) missing(o *jsonObject, key string) {
	problem := "is missing (required)"
	for _, k := range o.keys {
		if strings.EqualFold(k, key) {
			problem = fmt.Sprintf("is missing (found %q: JSON member names are case-sensitive)", k)
			break
		}
	}
	c.report(o.member(key), "", problem)
}

func (c *eventChecker) wrongType(o *jsonObject, key, want string, v json.RawMessage) {
	got := jsonKind(v)
	switch got {
	case "object", "array", "null":
	default:
		got += " " + rawExcerpt(string(v))
	}
	c.report(o.member(key), "", "want "+want+", got "+got)
}

// str returns a string member; the bool is false when it is absent or not a string.
func (c *eventChecker) str(o *jsonObject, key string, required bool) (string, bool) {
	v, ok := c.get(o, key, required)
	if !ok {
		return "", false
	}
	if v[0] != '"' {
		c.wrongType(o, key, "a string", v)
		return "", false
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

func (c *eventChecker) nonEmpty(o *jsonObject, key string, required bool) (string, bool) {
	s, ok := c.str(o, key, required)
	if ok && s == "" {
		c.report(o.member(key), `""`, "is empty (want a non-empty string)")
	}
	return s, ok
}

// uuid accepts a UUID in its canonical 8-4-4-4-12 text form, in either case. Any version
// and variant is accepted: 8x8 shows v4 event ids and v5-looking umids, and decoding is
// not the place to guess which generator 8x8 runs.
func (c *eventChecker) uuid(o *jsonObject, key string, required bool) (string, bool) {
	s, ok := c.str(o, key, required)
	if ok && !isUUID(s) {
		c.report(o.member(key), jsonExcerpt(s), `is not a UUID (want 8-4-4-4-12 hex digits, e.g. "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a")`)
	}
	return s, ok
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHexDigit(s[i]) {
				return false
			}
		}
	}
	return true
}

func isHexDigit(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

// rfc3339 is RFC 3339's date-time grammar (section 5.6). time.Parse alone is laxer: it
// also takes a comma before the fraction.
var rfc3339 = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$`)

// timestamp accepts an RFC 3339 time with or without fractional seconds; "Z", "+00:00" and
// "-00:00" are all UTC. With utc set (occurredAt, which 8x8 documents as UTC), another
// offset is reported as "not in UTC": receivers must still convert any offset, but a mock
// that meant to imitate 8x8 should not send one. Times are returned in UTC.
func (c *eventChecker) timestamp(o *jsonObject, key string, required, utc bool) (time.Time, bool) {
	s, ok := c.str(o, key, required)
	if !ok {
		return time.Time{}, false
	}
	var t time.Time
	err := errors.New("bad syntax")
	if rfc3339.MatchString(s) {
		t, err = time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	}
	if err != nil {
		c.report(o.member(key), jsonExcerpt(s), `is not an RFC 3339 time (want e.g. "2025-10-03T12:00:00Z")`)
		return time.Time{}, false
	}
	if _, off := t.Zone(); utc && off != 0 {
		c.report(o.member(key), jsonExcerpt(s), fmt.Sprintf(`is not in UTC (8x8 sends %s in UTC, e.g. %q)`,
			key, t.UTC().Format(time.RFC3339Nano)))
	}
	return t.UTC(), true
}

// e164 accepts "+" and 8 to 15 digits, the first not 0. It does not ask libphonenumber
// whether the number exists: real traffic has numbers its metadata does not know yet.
func (c *eventChecker) e164(o *jsonObject, key string, required bool) (string, bool) {
	s, ok := c.str(o, key, required)
	if !ok {
		return s, false
	}
	switch {
	case !isE164Shape(s) && isE164Shape(strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "").Replace(s)):
		c.report(o.member(key), jsonExcerpt(s), `is not an E.164 number (want "+" and 8 to 15 digits without spaces or punctuation, e.g. "+6591234567")`)
	case !isE164Shape(s):
		c.report(o.member(key), jsonExcerpt(s), `is not an E.164 number (want "+" and 8 to 15 digits, e.g. "+6591234567")`)
	case s[1] == '0':
		c.report(o.member(key), jsonExcerpt(s), "is not an E.164 number (a country code never starts with 0)")
	}
	return s, true
}

// isE164Shape reports "+" followed by 8 to 15 digits.
func isE164Shape(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isDecDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDecDigit(b byte) bool { return '0' <= b && b <= '9' }

// absURL accepts an absolute URL; an http or https URL must have a host. With httpOnly
// (shortUrl), the scheme must be http or https: 8x8 only ever shows https://2g.to/...
// links, but any host is accepted so tests may use their own shortener.
func (c *eventChecker) absURL(o *jsonObject, key string, required, httpOnly bool) (string, bool) {
	s, ok := c.str(o, key, required)
	if !ok {
		return s, false
	}
	u, err := url.Parse(s)
	web := err == nil && (u.Scheme == "http" || u.Scheme == "https")
	valid := err == nil && u.Scheme != "" && !strings.ContainsAny(s, " \t\r\n") && (!web || u.Host != "")
	switch {
	case httpOnly && (!valid || !web):
		c.report(o.member(key), jsonExcerpt(s), `is not an absolute http(s) URL (want e.g. "https://2g.to/abc123/abc")`)
	case !valid:
		c.report(o.member(key), jsonExcerpt(s), `is not an absolute URL (want a scheme and a host, e.g. "https://example.com/landing")`)
	}
	return s, true
}

// enum accepts one of allowed, exactly (case-sensitive, as 8x8 documents them).
func (c *eventChecker) enum(o *jsonObject, key string, required bool, what string, allowed ...string) (string, bool) {
	s, ok := c.str(o, key, required)
	if !ok {
		return s, false
	}
	for _, a := range allowed {
		if s == a {
			return s, true
		}
	}
	c.report(o.member(key), jsonExcerpt(s), fmt.Sprintf("is not %s (want one of %s)", what, strings.Join(allowed, ", ")))
	return s, true
}

// integer accepts a JSON number written as an integer (no fraction, no exponent) no
// smaller than min.
func (c *eventChecker) integer(o *jsonObject, key string, required bool, min int) (int, bool) {
	v, ok := c.get(o, key, required)
	if !ok {
		return 0, false
	}
	if jsonKind(v) != "number" {
		c.wrongType(o, key, "an integer", v)
		return 0, false
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		c.report(o.member(key), rawExcerpt(string(v)), "is not an integer (want whole digits, e.g. 1)")
		return 0, false
	}
	if n < min {
		c.report(o.member(key), rawExcerpt(string(v)), "is negative (want 0 or more)")
	}
	return n, true
}

// amount accepts a required non-negative JSON number.
func (c *eventChecker) amount(o *jsonObject, key string) (float64, bool) {
	v, ok := c.get(o, key, true)
	if !ok {
		return 0, false
	}
	if jsonKind(v) != "number" {
		c.wrongType(o, key, "a number", v)
		return 0, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		c.report(o.member(key), rawExcerpt(string(v)), "is out of range")
		return 0, false
	}
	if f < 0 {
		c.report(o.member(key), rawExcerpt(string(v)), "is negative (want 0 or more)")
	}
	return f, true
}

func isCurrencyCode(s string) bool {
	return len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z'
}

// object returns a member that must be a JSON object, with its own members read.
func (c *eventChecker) object(o *jsonObject, key string, required bool) (*jsonObject, bool) {
	v, ok := c.get(o, key, required)
	if !ok {
		return nil, false
	}
	if v[0] != '{' {
		c.wrongType(o, key, "an object", v)
		return nil, false
	}
	return c.readObject(o.member(key), v), true
}

// maxExcerpt bounds the bytes of a value quoted in a message.
const maxExcerpt = 64
