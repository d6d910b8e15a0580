package mock8x8

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
)

// MaxEventSize is the largest single event ReadEvents accepts: 16 MiB.
const MaxEventSize = 16 << 20

// eventsHint is the reminder of the accepted input shapes that format errors end with.
const eventsHint = "want one JSON event, an array of events, or one event per line (NDJSON)"

// EventFileError is ReadEvents' error: which input, where in it, and what is wrong.
type EventFileError struct {
	// Name is the input's name as given to ReadEvents ("stdin" when it was empty or "-").
	Name string
	// Line and Column locate the problem, 1-based (the column counts characters); 0 when
	// the problem has no position (an unreadable input).
	Line, Column int
	// Index is the 1-based position of the event concerned, 0 when none is.
	Index int
	// Problem says what is wrong and what is wanted instead.
	Problem string
	// Err is the underlying error of an unreadable input, else nil.
	Err error
}

// Error reads like "events.json:3:15: element 2 is a string, not an event object; want ...".
func (e *EventFileError) Error() string {
	var b strings.Builder
	b.WriteString(e.Name)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the read error, if any.
func (e *EventFileError) Unwrap() error { return e.Err }

// ReadEvents reads events to send verbatim from r, as `clickcheck send --body-file`
// does. The input is one JSON object, a JSON array of objects, or objects one after the
// other with each starting on a new line (NDJSON; blank lines, CRLF line endings and
// objects pretty-printed over several lines, as `jq` prints them, are fine). A leading
// UTF-8 byte order mark is ignored. name, the file's path, is used in errors and ids.
//
// Each Event's Body is the exact bytes of its object as written, without surrounding
// whitespace: nothing is re-encoded, so events that 8x8 would never send (to test how a
// receiver copes with bad input) go out as they are. Use Lint to warn about them. ID is
// the payload's eventId when that is a non-empty string, else "<base name>#<n>" with n the
// event's 1-based position (stable across runs). Note that a file may repeat an eventId on
// purpose, to test idempotency. Type is the eventType when it is a string.
//
// The error, for empty input, malformed JSON, an element that is not an object, trailing
// data or an event over MaxEventSize, is an *EventFileError naming the file and the line
// and column.
func ReadEvents(r io.Reader, name string) ([]Event, error) {
	rd := eventReader{name: name, base: filepath.Base(name)}
	if name == "" || name == "-" {
		rd.name, rd.base = "stdin", "stdin"
	}
	buf, err := readAllSized(r)
	if err != nil {
		return nil, &EventFileError{Name: rd.name, Problem: "cannot read events", Err: err}
	}
	rd.buf = bytes.TrimPrefix(buf, []byte("\xef\xbb\xbf"))
	start := skipJSONSpace(rd.buf, 0)
	if start == len(rd.buf) {
		return nil, &EventFileError{Name: rd.name, Problem: "no events: the input is empty; " + eventsHint}
	}
	if rd.buf[start] == '[' {
		return rd.array(start)
	}
	return rd.stream(start)
}

// readAllSized is io.ReadAll with the buffer sized up front when r knows its size (a file, a
// strings.Reader): large inputs are then read without repeated growing and copying.
func readAllSized(r io.Reader) ([]byte, error) {
	size := 512
	switch v := r.(type) {
	case interface{ Len() int }:
		size = v.Len() + 1
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() < 1<<40 {
			size = int(fi.Size()) + 1
		}
	}
	data := make([]byte, 0, size)
	for {
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
}

// Lint checks an event against 8x8's documented format: nil, or the ValidationErrors of
// Decode. ReadEvents does not lint, so that odd events can be sent on purpose; the CLI
// warns with this instead.
func Lint(ev Event) error {
	_, err := Decode([]byte(ev.Body))
	return err
}

// eventReader splits one input, held in memory, into events.
type eventReader struct {
	name string // for errors
	base string // for synthesized ids
	buf  []byte
}

// fail returns an error located at byte offset off of the input.
func (rd *eventReader) fail(off, index int, problem string) error {
	line, col := lineColumn(rd.buf, off)
	return &EventFileError{Name: rd.name, Line: line, Column: col, Index: index, Problem: problem}
}

// syntaxFail reports the first syntax error in the input from offset start on. Every
// caller has checked the text before start, so the error found is the one at hand.
func (rd *eventReader) syntaxFail(start, index int, what string) error {
	var s rawSpan
	err := json.Unmarshal(rd.buf[start:], &s)
	se, ok := err.(*json.SyntaxError)
	if !ok { // cannot happen: the caller saw invalid JSON
		return rd.fail(start, index, fmt.Sprintf("%s is not valid JSON; %s", what, eventsHint))
	}
	off := max(min(start+int(se.Offset)-1, len(rd.buf)-1), start)
	return rd.fail(off, index, fmt.Sprintf("%s is not valid JSON: %s; %s", what, se.Error(), eventsHint))
}

// stream reads values one after another, each starting on a new line.
func (rd *eventReader) stream(start int) ([]Event, error) {
	var events []Event
	prevEnd := start
	for n := 1; ; n++ {
		next := skipJSONSpace(rd.buf, prevEnd)
		if next == len(rd.buf) {
			return events, nil
		}
		if n > 1 && bytes.IndexByte(rd.buf[prevEnd:next], '\n') < 0 {
			return nil, rd.fail(next, n, fmt.Sprintf("trailing data after event %d on the same line; %s", n-1, eventsHint))
		}
		end := skipValue(rd.buf, next)
		ev, err := rd.event(next, end, n, "event")
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
		prevEnd = end
	}
}

// array reads the elements of the array whose '[' is at offset start.
func (rd *eventReader) array(start int) ([]Event, error) {
	var events []Event
	i := skipJSONSpace(rd.buf, start+1)
	if i < len(rd.buf) && rd.buf[i] == ']' {
		i++
	} else {
		for n := 1; ; n++ {
			if i == len(rd.buf) {
				return nil, rd.syntaxFail(start, 0, "the array")
			}
			end := skipValue(rd.buf, i)
			ev, err := rd.event(i, end, n, "element")
			if err != nil {
				return nil, err
			}
			events = append(events, ev)
			i = skipJSONSpace(rd.buf, end)
			if i < len(rd.buf) && rd.buf[i] == ',' {
				i = skipJSONSpace(rd.buf, i+1)
				continue
			}
			if i < len(rd.buf) && rd.buf[i] == ']' {
				i++
				break
			}
			return nil, rd.syntaxFail(start, 0, "the array")
		}
	}
	if rest := skipJSONSpace(rd.buf, i); rest < len(rd.buf) {
		return nil, rd.fail(rest, 0, "trailing data after the array; "+eventsHint)
	}
	if len(events) == 0 {
		return nil, rd.fail(start, 0, "no events: the array is empty; "+eventsHint)
	}
	return events, nil
}

// event makes the n-th event of the input from rd.buf[begin:end], as skipValue found it.
func (rd *eventReader) event(begin, end, n int, unit string) (Event, error) {
	body := rd.buf[begin:end:end]
	if len(body) > MaxEventSize {
		// Before calling it large, make sure it is not a syntax error (say, an unclosed
		// string) that swallowed what follows: look for one within the limit.
		// (A cut valid event fails only at its end: "unexpected end of JSON input".)
		var s rawSpan
		if se, ok := json.Unmarshal(body[:MaxEventSize], &s).(*json.SyntaxError); ok && se.Offset < MaxEventSize {
			return Event{}, rd.syntaxFail(begin, n, fmt.Sprintf("%s %d", unit, n))
		}
		return Event{}, rd.fail(begin, n, fmt.Sprintf("%s %d is %.1f MiB, over the limit of %d MiB per event",
			unit, n, float64(len(body))/(1<<20), MaxEventSize>>20))
	}
	if !json.Valid(body) {
		return Event{}, rd.syntaxFail(begin, n, fmt.Sprintf("%s %d", unit, n))
	}
	if body[0] != '{' {
		return Event{}, rd.fail(begin, n, fmt.Sprintf("%s %d is %s, not an event object; %s", unit, n, withArticle(jsonKind(body)), eventsHint))
	}
	ev := Event{Body: string(body)}
	env, _ := parseObject("", body)
	if t := env.fields["eventType"]; len(t) > 0 && t[0] == '"' {
		ev.Type = unquoteJSON(t)
	}
	if p := env.fields["payload"]; len(p) > 0 && p[0] == '{' {
		payload, _ := parseObject("payload", p)
		if id := payload.fields["eventId"]; len(id) > 0 && id[0] == '"' {
			ev.ID = unquoteJSON(id)
		}
	}
	if ev.ID == "" {
		ev.ID = fmt.Sprintf("%s#%d", rd.base, n)
	}
	return ev, nil
}

func withArticle(kind string) string {
	switch kind {
	case "null":
		return "null"
	case "array", "object":
		return "an " + kind
	default:
		return "a " + kind
	}
}
