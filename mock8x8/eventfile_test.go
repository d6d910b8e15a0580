package mock8x8_test

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// want is one expected event: its exact body, id and type.
type want struct{ body, id, typ string }

func TestReadEvents(t *testing.T) {
	const (
		clickA = `{"namespace":"SMS","eventType":"short_url_clicked","payload":{"eventId":"aaaaaaaa-0000-4000-8000-000000000001"}}`
		clickB = `{ "eventType" : "short_url_clicked" ,  "payload":{ "eventId" :"bbbbbbbb-0000-4000-8000-000000000002" } }`
		dlr    = `{"namespace":"SMS","eventType":"outbound_message_status_changed","payload":{"umid":"u"}}`
	)
	tests := []struct {
		name  string
		file  string
		input string
		want  []want
	}{
		{"single object with odd spacing", "events.json", "\n \t" + clickB + " \r\n\n",
			[]want{{clickB, "bbbbbbbb-0000-4000-8000-000000000002", "short_url_clicked"}}},
		{"documented sample, pretty-printed", "click.json", documentedClick + "\n",
			[]want{{documentedClick, "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a", "short_url_clicked"}}},
		{"array", "events.json", "[\n  " + clickA + " ,\n" + clickB + ",\t" + dlr + "\n]\n",
			[]want{{clickA, "aaaaaaaa-0000-4000-8000-000000000001", "short_url_clicked"},
				{clickB, "bbbbbbbb-0000-4000-8000-000000000002", "short_url_clicked"},
				{dlr, "events.json#3", "outbound_message_status_changed"}}},
		{"array of one", "one.json", "[" + clickA + "]",
			[]want{{clickA, "aaaaaaaa-0000-4000-8000-000000000001", "short_url_clicked"}}},
		{"NDJSON with blank lines", "events.ndjson", "\n" + clickA + "\n\n   \n" + dlr + "\n" + clickB,
			[]want{{clickA, "aaaaaaaa-0000-4000-8000-000000000001", "short_url_clicked"},
				{dlr, "events.ndjson#2", "outbound_message_status_changed"},
				{clickB, "bbbbbbbb-0000-4000-8000-000000000002", "short_url_clicked"}}},
		{"NDJSON with CRLF", `C:\runs\events.ndjson`, clickA + "\r\n" + dlr + "\r\n\r\n",
			[]want{{clickA, "aaaaaaaa-0000-4000-8000-000000000001", "short_url_clicked"},
				{dlr, `C:\runs\events.ndjson#2`, "outbound_message_status_changed"}}},
		{"pretty objects one after another (jq output)", "jq.out", documentedClick + "\n" + documentedClick + "\n",
			[]want{{documentedClick, "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a", "short_url_clicked"},
				{documentedClick, "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a", "short_url_clicked"}}},
		{"byte order mark", "bom.json", "\xef\xbb\xbf" + clickA,
			[]want{{clickA, "aaaaaaaa-0000-4000-8000-000000000001", "short_url_clicked"}}},
		{"ids synthesized from the base name", "runs/2025/odd.ndjson", strings.Join([]string{
			`{"payload":{"eventId":""}}`,
			`{"payload":{"eventId":42},"eventType":7}`,
			`{"payload":"x","eventType":null}`,
			`{}`,
			`{"eventType":"short_url_clicked","payload":{"EventId":"wrong-case","eventId":"x-1"}}`,
			`{"payload":{"nested":{"eventId":"not-this"}}}`,
		}, "\n"),
			[]want{{`{"payload":{"eventId":""}}`, "odd.ndjson#1", ""},
				{`{"payload":{"eventId":42},"eventType":7}`, "odd.ndjson#2", ""},
				{`{"payload":"x","eventType":null}`, "odd.ndjson#3", ""},
				{`{}`, "odd.ndjson#4", ""},
				{`{"eventType":"short_url_clicked","payload":{"EventId":"wrong-case","eventId":"x-1"}}`, "x-1", "short_url_clicked"},
				{`{"payload":{"nested":{"eventId":"not-this"}}}`, "odd.ndjson#6", ""}}},
		{"stdin", "-", clickB + "\n" + `{"a":1}`,
			[]want{{clickB, "bbbbbbbb-0000-4000-8000-000000000002", "short_url_clicked"}, {`{"a":1}`, "stdin#2", ""}}},
		{"no name", "", `{"a":1}`, []want{{`{"a":1}`, "stdin#1", ""}}},
		{"brackets and quotes inside strings", "s.ndjson", `{"t":"}]\"{[\\","u":"\\\\"}` + "\n" + `{"v":"\\\"}"}`,
			[]want{{`{"t":"}]\"{[\\","u":"\\\\"}`, "s.ndjson#1", ""}, {`{"v":"\\\"}"}`, "s.ndjson#2", ""}}},
		{"escapes kept verbatim", "esc.json", `{"payload":{"eventId":"\u0061-1","t":"\/x\u00e9"}}`,
			[]want{{`{"payload":{"eventId":"\u0061-1","t":"\/x\u00e9"}}`, "a-1", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := mock8x8.ReadEvents(strings.NewReader(tt.input), tt.file)
			if err != nil {
				t.Fatalf("ReadEvents = %v", err)
			}
			if len(events) != len(tt.want) {
				t.Fatalf("got %d events, want %d: %q", len(events), len(tt.want), events)
			}
			for i, w := range tt.want {
				ev := events[i]
				if string(ev.Body) != w.body || ev.ID != w.id || ev.Type != w.typ {
					t.Errorf("event %d:\n got body %q id %q type %q\nwant body %q id %q type %q",
						i+1, ev.Body, ev.ID, ev.Type, w.body, w.id, w.typ)
				}
			}
		})
	}
}

func TestReadEvents_Errors(t *testing.T) {
	const hint = "want one JSON event, an array of events, or one event per line (NDJSON)"
	tests := []struct {
		name         string
		file         string
		input        string
		want         string // the exact error text, less the hint
		hint         bool   // the error ends with the hint
		line, column int
		index        int
	}{
		{"empty input", "events.json", "", "events.json: no events: the input is empty; ", true, 0, 0, 0},
		{"only whitespace", "events.json", " \r\n\n\t", "events.json: no events: the input is empty; ", true, 0, 0, 0},
		{"only a byte order mark", "events.json", "\xef\xbb\xbf\n", "events.json: no events: the input is empty; ", true, 0, 0, 0},
		{"empty array", "events.json", "\n [ ]", "events.json:2:2: no events: the array is empty; ", true, 2, 2, 0},
		{"not JSON", "events.txt", "eventId=1", "events.txt:1:1: event 1 is not valid JSON: invalid character 'e' looking for beginning of value; ", true, 1, 1, 1},
		{"malformed object", "events.json", "{\n  \"namespace\": \"SMS\",\n  \"payload\": {\"eventId\": }\n}",
			"events.json:3:26: event 1 is not valid JSON: invalid character '}' looking for beginning of value; ", true, 3, 26, 1},
		{"truncated object", "events.json", `{"payload":{"eventId":"x"}`,
			"events.json:1:26: event 1 is not valid JSON: unexpected end of JSON input; ", true, 1, 26, 1},
		{"malformed NDJSON line", "events.ndjson", "{\"a\":1}\r\n\r\n{\"b\":2,}\r\n{\"c\":3}\r\n",
			"events.ndjson:3:8: event 2 is not valid JSON: invalid character '}' looking for beginning of object key string; ", true, 3, 8, 2},
		{"malformed array element", "events.json", "[\n {\"a\":1},\n {\"b\" 2}\n]",
			"events.json:3:7: element 2 is not valid JSON: invalid character '2' after object key; ", true, 3, 7, 2},
		{"missing comma in array", "events.json", `[{"a":1} {"b":2}]`,
			"events.json:1:10: the array is not valid JSON: invalid character '{' after array element; ", true, 1, 10, 0},
		{"trailing comma in array", "events.json", `[{"a":1},]`,
			"events.json:1:10: element 2 is not valid JSON: invalid character ']' looking for beginning of value; ", true, 1, 10, 2},
		{"unterminated array", "events.json", "[{\"a\":1},\n",
			"events.json:1:10: the array is not valid JSON: unexpected end of JSON input; ", true, 1, 10, 0},
		{"unclosed array", "events.json", `[{"a":1}`,
			"events.json:1:8: the array is not valid JSON: unexpected end of JSON input; ", true, 1, 8, 0},
		{"array element is a string", "events.json", "[{\"a\":1},\n  \"short_url_clicked\"]",
			"events.json:2:3: element 2 is a string, not an event object; ", true, 2, 3, 2},
		{"array element is an array", "events.json", `[[{"a":1}]]`,
			"events.json:1:2: element 1 is an array, not an event object; ", true, 1, 2, 1},
		{"array element is null", "events.json", `[{"a":1}, null]`,
			"events.json:1:11: element 2 is null, not an event object; ", true, 1, 11, 2},
		{"input is a number", "events.json", "  42\n",
			"events.json:1:3: event 1 is a number, not an event object; ", true, 1, 3, 1},
		{"NDJSON line is an array", "events.ndjson", "{\"a\":1}\n[{\"b\":2}]\n",
			"events.ndjson:2:1: event 2 is an array, not an event object; ", true, 2, 1, 2},
		{"trailing data after the array", "events.json", "[{\"a\":1}]\n]",
			"events.json:2:1: trailing data after the array; ", true, 2, 1, 0},
		{"second array after the array", "events.json", `[{"a":1}] [{"b":2}]`,
			"events.json:1:11: trailing data after the array; ", true, 1, 11, 0},
		{"trailing brace after an object", "events.json", `{"a":1}}`,
			"events.json:1:8: trailing data after event 1 on the same line; ", true, 1, 8, 2},
		{"two objects on one line", "events.ndjson", "{\"a\":1}\n{\"b\":2} {\"c\":3}\n",
			"events.ndjson:2:9: trailing data after event 2 on the same line; ", true, 2, 9, 3},
		{"unclosed string", "events.ndjson", "{\"a\":\"x}\n{\"b\":\"y\"}\n",
			"events.ndjson:1:9: event 1 is not valid JSON: invalid character '\\n' in string literal; ", true, 1, 9, 1},
		{"object closed by a bracket", "events.ndjson", "{\"a\":[1}\n",
			"events.ndjson:1:8: event 1 is not valid JSON: invalid character '}' after array element; ", true, 1, 8, 1},
		{"garbage line after an object", "events.ndjson", "{\"a\":1}\nxyz\n",
			"events.ndjson:2:1: event 2 is not valid JSON: invalid character 'x' looking for beginning of value; ", true, 2, 1, 2},
		{"column counts characters", "événements.json", "{\"t\":\"ü\", }",
			"événements.json:1:11: event 1 is not valid JSON: invalid character '}' looking for beginning of object key string; ", true, 1, 11, 1},
		{"stdin is named", "-", "[1]", "stdin:1:2: element 1 is a number, not an event object; ", true, 1, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := mock8x8.ReadEvents(strings.NewReader(tt.input), tt.file)
			if err == nil {
				t.Fatalf("ReadEvents = %d events, want an error", len(events))
			}
			want := tt.want
			if tt.hint {
				want += hint
			}
			if err.Error() != want {
				t.Errorf("error:\n got %s\nwant %s", err, want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			var fe *mock8x8.EventFileError
			if !errors.As(err, &fe) {
				t.Fatalf("error is %T, want *EventFileError", err)
			}
			if fe.Line != tt.line || fe.Column != tt.column || fe.Index != tt.index {
				t.Errorf("position: line %d column %d index %d, want %d %d %d", fe.Line, fe.Column, fe.Index, tt.line, tt.column, tt.index)
			}
		})
	}
}

func TestReadEvents_ReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := mock8x8.ReadEvents(iotest.ErrReader(boom), "/tmp/e.json")
	if !errors.Is(err, boom) || err.Error() != "/tmp/e.json: cannot read events: boom" {
		t.Errorf("error = %v, want the read error wrapped and the file named", err)
	}
}

func TestReadEvents_Sizes(t *testing.T) {
	// padded returns an event of exactly n bytes.
	padded := func(n int) string {
		const head, tail = `{"payload":{"eventId":"big"},"pad":"`, `"}`
		return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
	}
	tests := []struct {
		name    string
		input   string
		wantErr string
	}{
		{"1 MiB event", padded(1 << 20), ""},
		{"1 MiB events in an array", "[" + padded(1<<20) + "," + padded(1<<20) + "]", ""},
		{"exactly the limit", padded(mock8x8.MaxEventSize), ""},
		{"over the limit", padded(mock8x8.MaxEventSize + 1), "big.json:1:1: event 1 is 16.0 MiB, over the limit of 16 MiB per event"},
		// The unclosed string runs to the end of the input, past the limit.
		{"syntax error, not size, in a long input", "{\"a\":\"x\n" + strings.Repeat("x", mock8x8.MaxEventSize) + `"}`,
			"big.json:1:8: event 1 is not valid JSON: invalid character '\\n' in string literal; want one JSON event, an array of events, or one event per line (NDJSON)"},
		{"array element over the limit", `[{}, ` + padded(mock8x8.MaxEventSize+100<<10) + `]`, "big.json:1:6: element 2 is 16.1 MiB, over the limit of 16 MiB per event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if testing.Short() && len(tt.input) > 8<<20 {
				t.Skip("a 16 MiB input takes seconds under -race")
			}
			events, err := mock8x8.ReadEvents(strings.NewReader(tt.input), "big.json")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadEvents = %v", err)
			}
			for _, ev := range events {
				if ev.ID != "big" || len(ev.Body) < 1<<20 || !strings.HasSuffix(string(ev.Body), `xx"}`) {
					t.Errorf("event id %q, %d bytes", ev.ID, len(ev.Body))
				}
			}
		})
	}
}

func TestLint(t *testing.T) {
	events, err := mock8x8.ReadEvents(strings.NewReader("["+documentedClick+",\n"+
		edit(t, documentedClick, `"+12025550293"`, `"+1202"`)+", {\"odd\": true}]"), "mixed.json")
	if err != nil {
		t.Fatalf("ReadEvents: %v", err)
	}
	tests := []struct {
		name  string
		event mock8x8.Event
		want  string // "" for no problem, else the first problem's field
	}{
		{"documented sample", events[0], ""},
		{"generated click", mock8x8.Click{EventID: "7d444840-9dc0-11d1-b245-5ffdce74fad2", UMID: "9e09ac86-bd74-5465-851d-1eb5a5fdbb9a",
			Destination: "+6581268152", ShortURL: "https://2g.to/a/b", TargetURL: "https://x.example/"}.Event(), ""},
		{"bad destination, sent anyway", events[1], "payload.destination"},
		{"not an 8x8 event", events[2], "namespace"},
		{"empty body", mock8x8.Event{}, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mock8x8.Lint(tt.event)
			if tt.want == "" {
				if err != nil {
					t.Errorf("Lint = %v, want nil", err)
				}
				return
			}
			var errs mock8x8.ValidationErrors
			if !errors.As(err, &errs) || errs[0].Field != tt.want {
				t.Errorf("Lint = %v, want a problem at %s first", err, tt.want)
			}
		})
	}
}
