package mock8x8_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// documentedClick is the click sample from 8x8's documentation (S1), byte for byte as
// spec/8x8-webhooks.md shows it.
const documentedClick = `{
  "namespace": "SMS",
  "eventType": "short_url_clicked",
  "description": "Short URL from SMS clicked",
  "payload": {
    "eventId": "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a",
    "occurredAt": "2025-10-03T12:00:00Z",
    "umid": "9e09ac86-bd74-5465-851d-1eb5a5fdbb9a",
    "destination": "+12025550293",
    "shortUrl": "https://2g.to/abc123/abc",
    "targetUrl": "https://example.com/landing?c=fall_campaign"
  }
}`

const inboundSample = `{"namespace":"SMS","eventType":"inbound_message_received","description":"SMS inbound message received",
"payload":{"umid":"3f6e4a2c-1b7d-4e8f-9a0b-5c6d7e8f9a0b","subAccountId":"Acme_Marketing","timestamp":"2025-10-03T12:00:01.25Z",
"source":"+6591234567","destination":"72000","body":"STOP","encoding":"GSM7","smsCount":1,
"price":{"total":0.05,"perSms":0.05,"currency":"EUR"}}}`

const statusSample = `{"namespace":"SMS","eventType":"outbound_message_status_changed","description":"Outbound message status changed",
"payload":{"umid":"9e09ac86-bd74-5465-851d-1eb5a5fdbb9a","batchId":"b1c2d3e4-0000-4000-8000-000000000001","clientMessageId":"m-1","clientBatchId":"b-1",
"subAccountId":"Acme_Marketing","source":"Acme","destination":"+12025550293",
"status":{"state":"delivered","detail":"delivered_to_recipient","timestamp":"2025-10-03T12:00:02Z","errorCode":0,"errorMessage":""},
"price":{"total":0.1,"perSms":0.05,"currency":"USD"},"smsCount":2}}`

// edit returns body with old replaced by new once; old must occur, so that a row cannot
// silently test the unmodified sample.
func edit(t *testing.T, body, old, new string) string {
	t.Helper()
	if !strings.Contains(body, old) {
		t.Fatalf("test bug: %q not in body", old)
	}
	return strings.Replace(body, old, new, 1)
}

// validationErrors decodes body and returns its problems, failing if the error is not a
// ValidationErrors.
func validationErrors(t *testing.T, body string) mock8x8.ValidationErrors {
	t.Helper()
	_, err := mock8x8.Decode([]byte(body))
	if err == nil {
		return nil
	}
	var errs mock8x8.ValidationErrors
	if !errors.As(err, &errs) {
		t.Fatalf("Decode error is %T (%v), want ValidationErrors", err, err)
	}
	return errs
}

func TestDecode_DocumentedClick(t *testing.T) {
	d, err := mock8x8.Decode([]byte(documentedClick))
	if err != nil {
		t.Fatalf("Decode(documented sample) = %v", err)
	}
	env := d.Envelope
	if env.Namespace != "SMS" || env.EventType != mock8x8.EventTypeClick || env.Description != "Short URL from SMS clicked" {
		t.Errorf("envelope = %+v", env)
	}
	if !strings.HasPrefix(string(env.Payload), `{`) || !strings.Contains(string(env.Payload), `"umid": "9e09ac86`) {
		t.Errorf("Envelope.Payload = %s, want the raw payload object", env.Payload)
	}
	if d.Inbound != nil || d.StatusChange != nil || d.Click == nil {
		t.Fatalf("payloads: click %v inbound %v status %v, want only a click", d.Click, d.Inbound, d.StatusChange)
	}
	want := mock8x8.Click{
		EventID:     "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a",
		OccurredAt:  time.Date(2025, 10, 3, 12, 0, 0, 0, time.UTC),
		UMID:        "9e09ac86-bd74-5465-851d-1eb5a5fdbb9a",
		Destination: "+12025550293",
		ShortURL:    "https://2g.to/abc123/abc",
		TargetURL:   "https://example.com/landing?c=fall_campaign",
	}
	if *d.Click != want {
		t.Errorf("Click = %+v\nwant   %+v", *d.Click, want)
	}
}

func TestDecode_ClickEncoderRoundTrip(t *testing.T) {
	c := mock8x8.Click{
		EventID:     "7d444840-9dc0-11d1-b245-5ffdce74fad2",
		OccurredAt:  time.Date(2025, 10, 3, 14, 0, 0, 123456789, time.FixedZone("CEST", 2*3600)),
		UMID:        "9e09ac86-bd74-5465-851d-1eb5a5fdbb9a",
		Destination: "+4915187710655",
		ShortURL:    "https://2g.to/Zx9Qa1/k2P",
		TargetURL:   "https://shop.example/p?utm_campaign=a&cid=1",
	}
	d, err := mock8x8.Decode([]byte(c.Event().Body))
	if err != nil {
		t.Fatalf("Decode(Click.Event().Body) = %v\nbody: %s", err, c.Event().Body)
	}
	if !d.Click.OccurredAt.Equal(c.OccurredAt) || d.Click.OccurredAt.Location() != time.UTC {
		t.Errorf("OccurredAt = %v, want %v in UTC", d.Click.OccurredAt, c.OccurredAt)
	}
	got := *d.Click
	got.OccurredAt = c.OccurredAt
	if got != c {
		t.Errorf("round trip = %+v, want %+v", got, c)
	}
}

func TestDecode_ValidClickVariants(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
	}{
		{"unknown envelope fields", `"namespace": "SMS",`, `"namespace": "SMS", "version": 2, "meta": {"region": "ap"}, "tags": [1, null],`},
		{"unknown payload fields", `"umid":`, `"userAgent": "Mozilla/5.0", "geo": {"country": "US"}, "umid":`},
		{"description absent", `"description": "Short URL from SMS clicked",`, ``},
		{"description null", `"description": "Short URL from SMS clicked"`, `"description": null`},
		{"description with other wording", `"Short URL from SMS clicked"`, `"Short URL clicked"`},
		{"fractional seconds", `"2025-10-03T12:00:00Z"`, `"2025-10-03T12:00:00.123456789Z"`},
		{"+00:00 offset", `"2025-10-03T12:00:00Z"`, `"2025-10-03T12:00:00.5+00:00"`},
		{"-00:00 offset", `"2025-10-03T12:00:00Z"`, `"2025-10-03T12:00:00-00:00"`},
		{"upper-case uuid", `"0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a"`, `"0F6A0C0F-8B67-4A3A-A6C3-7B0ECF0D2B1A"`},
		{"uuid of another version", `"0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a"`, `"0190a7c2-7b1e-7cc1-9f00-3b8e5c1d2a4f"`},
		{"15-digit destination", `"+12025550293"`, `"+861391234567890"`},
		{"8-digit destination", `"+12025550293"`, `"+68212345"`},
		{"http short url on another host", `"https://2g.to/abc123/abc"`, `"http://127.0.0.1:8080/s/abc"`},
		{"target url with another scheme", `"https://example.com/landing?c=fall_campaign"`, `"myapp://open?item=42"`},
		{"escaped member name", `"eventId"`, `"event\u0049d"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if errs := validationErrors(t, edit(t, documentedClick, tt.old, tt.new)); errs != nil {
				t.Errorf("Decode = %v, want no error", errs)
			}
		})
	}
}

// TestDecode_ClickRules checks that each broken rule gives exactly one problem, at the
// exact field path.
func TestDecode_ClickRules(t *testing.T) {
	tests := []struct {
		name        string
		old, new    string
		field       string
		value       string // the reported Value, exactly
		problemHave string // a part of Problem
	}{
		{"namespace in lower case", `"SMS"`, `"sms"`, "namespace", `"sms"`, `is not "SMS"`},
		{"namespace missing", `"namespace": "SMS",`, ``, "namespace", ``, "is missing"},
		{"eventType unknown", `"short_url_clicked"`, `"short_url_click"`, "eventType", `"short_url_click"`,
			`want one of "short_url_clicked", "inbound_message_received", "outbound_message_status_changed"`},
		{"eventType missing", `"eventType": "short_url_clicked",`, ``, "eventType", ``, "is missing"},
		{"payload missing", `,
  "payload": {`, `, "x": {`, "payload", ``, "is missing (required)"},
		{"payload is an array", `"payload": {`, `"payload": [], "x": {`, "payload", ``, "want an object, got array"},
		{"eventId not a uuid", `"0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a"`, `"click-1"`, "payload.eventId", `"click-1"`, "is not a UUID"},
		{"eventId empty", `"0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a"`, `""`, "payload.eventId", `""`, "is not a UUID"},
		{"eventId without dashes", `"0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a"`, `"0f6a0c0f8b674a3aa6c37b0ecf0d2b1a"`, "payload.eventId", `"0f6a0c0f8b674a3aa6c37b0ecf0d2b1a"`, "8-4-4-4-12"},
		{"eventId in braces", `"0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a"`, `"{0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a}"`, "payload.eventId", `"{0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a}"`, "is not a UUID"},
		{"eventId missing", `"eventId": "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a",`, ``, "payload.eventId", ``, "is missing (required)"},
		{"eventId in the wrong case", `"eventId"`, `"EventId"`, "payload.eventId", ``, `found "EventId": JSON member names are case-sensitive`},
		{"eventId twice", `"eventId": "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a",`, `"eventId": "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a", "eventId": "7d444840-9dc0-11d1-b245-5ffdce74fad2",`,
			"payload.eventId", ``, "appears 2 times"},
		{"umid not a uuid", `"9e09ac86-bd74-5465-851d-1eb5a5fdbb9a"`, `"9e09ac86-bd74-5465-851d-1eb5a5fdbb9g"`, "payload.umid", `"9e09ac86-bd74-5465-851d-1eb5a5fdbb9g"`, "is not a UUID"},
		{"umid missing", `"umid": "9e09ac86-bd74-5465-851d-1eb5a5fdbb9a",`, ``, "payload.umid", ``, "is missing"},
		{"occurredAt with a space", `"2025-10-03T12:00:00Z"`, `"2025-10-03 12:00:00Z"`, "payload.occurredAt", `"2025-10-03 12:00:00Z"`, "is not an RFC 3339 time"},
		{"occurredAt date only", `"2025-10-03T12:00:00Z"`, `"2025-10-03"`, "payload.occurredAt", `"2025-10-03"`, "is not an RFC 3339 time"},
		{"occurredAt without offset", `"2025-10-03T12:00:00Z"`, `"2025-10-03T12:00:00"`, "payload.occurredAt", `"2025-10-03T12:00:00"`, "is not an RFC 3339 time"},
		{"occurredAt with a decimal comma", `"2025-10-03T12:00:00Z"`, `"2025-10-03T12:00:00,5Z"`, "payload.occurredAt", `"2025-10-03T12:00:00,5Z"`, "is not an RFC 3339 time"},
		{"occurredAt month 13", `"2025-10-03T12:00:00Z"`, `"2025-13-03T12:00:00Z"`, "payload.occurredAt", `"2025-13-03T12:00:00Z"`, "is not an RFC 3339 time"},
		{"occurredAt not in UTC", `"2025-10-03T12:00:00Z"`, `"2025-10-03T14:00:00+02:00"`, "payload.occurredAt", `"2025-10-03T14:00:00+02:00"`,
			`is not in UTC (8x8 sends occurredAt in UTC, e.g. "2025-10-03T12:00:00Z")`},
		{"occurredAt missing", `"occurredAt": "2025-10-03T12:00:00Z",`, ``, "payload.occurredAt", ``, "is missing"},
		{"destination too short", `"+12025550293"`, `"+1202"`, "payload.destination", `"+1202"`,
			`is not an E.164 number (want "+" and 8 to 15 digits, e.g. "+6591234567")`},
		{"destination 7 digits", `"+12025550293"`, `"+6512345"`, "payload.destination", `"+6512345"`, "8 to 15 digits"},
		{"destination 16 digits", `"+12025550293"`, `"+1202555029312345"`, "payload.destination", `"+1202555029312345"`, "8 to 15 digits"},
		{"destination without plus", `"+12025550293"`, `"12025550293"`, "payload.destination", `"12025550293"`, "is not an E.164 number"},
		{"destination with punctuation", `"+12025550293"`, `"+1 (202) 555-0293"`, "payload.destination", `"+1 (202) 555-0293"`, "without spaces or punctuation"},
		{"destination with country code 0", `"+12025550293"`, `"+02025550293"`, "payload.destination", `"+02025550293"`, "never starts with 0"},
		{"destination missing", `"destination": "+12025550293",`, ``, "payload.destination", ``, "is missing"},
		{"shortUrl relative", `"https://2g.to/abc123/abc"`, `"2g.to/abc123/abc"`, "payload.shortUrl", `"2g.to/abc123/abc"`, "is not an absolute http(s) URL"},
		{"shortUrl ftp", `"https://2g.to/abc123/abc"`, `"ftp://2g.to/abc123/abc"`, "payload.shortUrl", `"ftp://2g.to/abc123/abc"`, "is not an absolute http(s) URL"},
		{"shortUrl without host", `"https://2g.to/abc123/abc"`, `"https:///abc123/abc"`, "payload.shortUrl", `"https:///abc123/abc"`, "is not an absolute http(s) URL"},
		{"shortUrl missing", `"shortUrl": "https://2g.to/abc123/abc",`, ``, "payload.shortUrl", ``, "is missing"},
		{"targetUrl without scheme", `"https://example.com/landing?c=fall_campaign"`, `"example.com/landing"`, "payload.targetUrl", `"example.com/landing"`, "is not an absolute URL"},
		{"targetUrl path only", `"https://example.com/landing?c=fall_campaign"`, `"/landing"`, "payload.targetUrl", `"/landing"`, "is not an absolute URL"},
		{"targetUrl with a space", `"https://example.com/landing?c=fall_campaign"`, `"https://example.com/fall campaign"`, "payload.targetUrl", `"https://example.com/fall campaign"`, "is not an absolute URL"},
		{"targetUrl missing", `,
    "targetUrl": "https://example.com/landing?c=fall_campaign"`, ``, "payload.targetUrl", ``, "is missing"},
		{"description not a string", `"Short URL from SMS clicked"`, `7`, "description", ``, "want a string, got number 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := validationErrors(t, edit(t, documentedClick, tt.old, tt.new))
			if len(errs) != 1 {
				t.Fatalf("got %d problems (%v), want exactly 1 at %s", len(errs), errs, tt.field)
			}
			e := errs[0]
			if e.Field != tt.field || e.Value != tt.value || !strings.Contains(e.Problem, tt.problemHave) {
				t.Errorf("got Field %q Value %q Problem %q\nwant Field %q Value %q Problem containing %q",
					e.Field, e.Value, e.Problem, tt.field, tt.value, tt.problemHave)
			}
		})
	}
}

func TestDecode_WrongTypes(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		old, new string
		want     string // the whole error text
	}{
		{"occurredAt number", documentedClick, `"2025-10-03T12:00:00Z"`, `1759492800`, "payload.occurredAt: want a string, got number 1759492800"},
		{"eventId null", documentedClick, `"0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a"`, `null`, "payload.eventId: want a string, got null"},
		{"destination number", documentedClick, `"+12025550293"`, `12025550293`, "payload.destination: want a string, got number 12025550293"},
		{"shortUrl object", documentedClick, `"https://2g.to/abc123/abc"`, `{"href": "x"}`, "payload.shortUrl: want a string, got object"},
		{"umid array", documentedClick, `"9e09ac86-bd74-5465-851d-1eb5a5fdbb9a"`, `["9e09ac86-bd74-5465-851d-1eb5a5fdbb9a"]`, "payload.umid: want a string, got array"},
		{"namespace boolean", documentedClick, `"SMS"`, `true`, "namespace: want a string, got boolean true"},
		{"payload string", documentedClick, `"payload": {`, `"payload": "{", "x": {`, "payload: want an object, got string \"{\""},
		{"payload null", documentedClick, `"payload": {`, `"payload": null, "x": {`, "payload: want an object, got null"},
		{"smsCount string", inboundSample, `"smsCount":1`, `"smsCount":"1"`, `payload.smsCount: want an integer, got string "1"`},
		{"smsCount fraction", inboundSample, `"smsCount":1`, `"smsCount":1.5`, `payload.smsCount: 1.5 is not an integer (want whole digits, e.g. 1)`},
		{"price total string", inboundSample, `"total":0.05`, `"total":"0.05"`, `payload.price.total: want a number, got string "0.05"`},
		{"status array", statusSample, `"status":{"state":"delivered","detail":"delivered_to_recipient","timestamp":"2025-10-03T12:00:02Z","errorCode":0,"errorMessage":""}`,
			`"status":[]`, "payload.status: want an object, got array"},
		{"errorCode string", statusSample, `"errorCode":0`, `"errorCode":"E12"`, `payload.status.errorCode: want an integer, got string "E12"`},
		{"batchId number", statusSample, `"batchId":"b1c2d3e4-0000-4000-8000-000000000001"`, `"batchId":17`, "payload.batchId: want a string, got number 17"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := validationErrors(t, edit(t, tt.body, tt.old, tt.new))
			if len(errs) != 1 || errs[0].Error() != tt.want {
				t.Errorf("Decode error = %v\nwant exactly %s", errs, tt.want)
			}
		})
	}
}

func TestDecode_ReportsEveryProblemTogether(t *testing.T) {
	body := `{"namespace":"SMS","eventType":"short_url_clicked","payload":{
		"eventId":"0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a","occurredAt":"2025-10-03T14:00:00+02:00",
		"destination":"+1202","shortUrl":5,"targetUrl":"https://example.com/","extra":true}}`
	errs := validationErrors(t, body)
	want := []string{"payload.occurredAt", "payload.umid", "payload.destination", "payload.shortUrl"}
	var got []string
	for _, e := range errs {
		got = append(got, e.Field)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("fields = %v, want %v (errors: %v)", got, want, errs)
	}
	msg := errs.Error()
	if !strings.HasPrefix(msg, "4 problems: payload.occurredAt: ") || !strings.Contains(msg, `; payload.destination: "+1202" is not an E.164 number`) {
		t.Errorf("Error() = %q, want the 4 problems on one line", msg)
	}
	if errs.Field("payload.umid") == nil || errs.Field("payload.targetUrl") != nil {
		t.Errorf("Field lookup: umid %v targetUrl %v", errs.Field("payload.umid"), errs.Field("payload.targetUrl"))
	}
	// Envelope problems and payload problems come together too.
	errs = validationErrors(t, edit(t, edit(t, documentedClick, `"SMS"`, `"WhatsApp"`), `"+12025550293"`, `"+1"`))
	if len(errs) != 2 || errs[0].Field != "namespace" || errs[1].Field != "payload.destination" {
		t.Errorf("got %v, want namespace and payload.destination", errs)
	}
}

func TestDecode_UnknownEventTypeSkipsPayloadChecks(t *testing.T) {
	body := `{"namespace":"SMS","eventType":"message_read","payload":{"anything":1}}`
	errs := validationErrors(t, body)
	if len(errs) != 1 || errs[0].Field != "eventType" {
		t.Fatalf("got %v, want only the eventType problem", errs)
	}
	d, _ := mock8x8.Decode([]byte(body))
	if d.Envelope.EventType != "message_read" || d.Click != nil || string(d.Envelope.Payload) != `{"anything":1}` {
		t.Errorf("partial result = %+v", d)
	}
}

func TestDecode_PartialResultOnError(t *testing.T) {
	d, err := mock8x8.Decode([]byte(edit(t, documentedClick, `"+12025550293"`, `"+1202"`)))
	if err == nil || d.Click == nil {
		t.Fatalf("Decode = %+v, %v; want an error and the click read so far", d, err)
	}
	if d.Click.EventID != "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a" || d.Click.Destination != "+1202" {
		t.Errorf("partial click = %+v", *d.Click)
	}
}

func TestDecode_Inbound(t *testing.T) {
	d, err := mock8x8.Decode([]byte(inboundSample))
	if err != nil {
		t.Fatalf("Decode(inbound) = %v", err)
	}
	want := mock8x8.InboundMessage{
		UMID: "3f6e4a2c-1b7d-4e8f-9a0b-5c6d7e8f9a0b", SubAccountID: "Acme_Marketing",
		Timestamp: time.Date(2025, 10, 3, 12, 0, 1, 250e6, time.UTC),
		Source:    "+6591234567", Destination: "72000", Body: "STOP", Encoding: "GSM7", SMSCount: 1,
		Price: mock8x8.Price{Total: 0.05, PerSMS: 0.05, Currency: "EUR"},
	}
	if d.Click != nil || d.StatusChange != nil || d.Inbound == nil || *d.Inbound != want {
		t.Errorf("Decoded = %+v (inbound %+v)\nwant inbound %+v", d, d.Inbound, want)
	}
	if d.Envelope.EventType != mock8x8.EventTypeInbound {
		t.Errorf("EventType = %q", d.Envelope.EventType)
	}
}

func TestDecode_StatusChange(t *testing.T) {
	d, err := mock8x8.Decode([]byte(statusSample))
	if err != nil {
		t.Fatalf("Decode(status) = %v", err)
	}
	s := d.StatusChange
	if d.Click != nil || d.Inbound != nil || s == nil {
		t.Fatalf("Decoded = %+v, want only a status change", d)
	}
	if s.UMID != "9e09ac86-bd74-5465-851d-1eb5a5fdbb9a" || s.BatchID != "b1c2d3e4-0000-4000-8000-000000000001" ||
		s.ClientMessageID != "m-1" || s.ClientBatchID != "b-1" || s.SubAccountID != "Acme_Marketing" ||
		s.Source != "Acme" || s.Destination != "+12025550293" || s.SMSCount != 2 {
		t.Errorf("StatusChange = %+v", *s)
	}
	wantStatus := mock8x8.MessageStatus{State: "delivered", Detail: "delivered_to_recipient",
		Timestamp: time.Date(2025, 10, 3, 12, 0, 2, 0, time.UTC)}
	if s.Status != wantStatus {
		t.Errorf("Status = %+v, want %+v", s.Status, wantStatus)
	}
	if s.Price == nil || *s.Price != (mock8x8.Price{Total: 0.1, PerSMS: 0.05, Currency: "USD"}) {
		t.Errorf("Price = %+v", s.Price)
	}
}

func TestDecode_OtherEventRules(t *testing.T) {
	const status = `"status":{"state":"delivered","detail":"delivered_to_recipient","timestamp":"2025-10-03T12:00:02Z","errorCode":0,"errorMessage":""}`
	tests := []struct {
		name     string
		body     string
		old, new string
		field    string // "" means the edit must decode without error
		problem  string
	}{
		{"inbound encoding unknown", inboundSample, `"GSM7"`, `"UTF8"`, "payload.encoding", "want one of GSM7, UCS2"},
		{"inbound encoding lower case", inboundSample, `"GSM7"`, `"gsm7"`, "payload.encoding", "is not an encoding"},
		{"inbound UCS2", inboundSample, `"GSM7"`, `"UCS2"`, "", ""},
		{"inbound empty body", inboundSample, `"STOP"`, `""`, "", ""},
		{"inbound body missing", inboundSample, `"body":"STOP",`, ``, "payload.body", "is missing"},
		{"inbound smsCount negative", inboundSample, `"smsCount":1`, `"smsCount":-1`, "payload.smsCount", "is negative"},
		{"inbound source not E.164", inboundSample, `"+6591234567"`, `"91234567"`, "payload.source", "is not an E.164 number"},
		{"inbound destination empty", inboundSample, `"72000"`, `""`, "payload.destination", "is empty"},
		{"inbound subAccountId missing", inboundSample, `"subAccountId":"Acme_Marketing",`, ``, "payload.subAccountId", "is missing"},
		{"inbound timestamp bad", inboundSample, `"2025-10-03T12:00:01.25Z"`, `"03/10/2025"`, "payload.timestamp", "is not an RFC 3339 time"},
		{"inbound timestamp with offset is fine", inboundSample, `"2025-10-03T12:00:01.25Z"`, `"2025-10-03T20:00:01.25+08:00"`, "", ""},
		{"inbound price missing", inboundSample, `,
"price":{"total":0.05,"perSms":0.05,"currency":"EUR"}`, ``, "payload.price", "is missing"},
		{"inbound currency lower case", inboundSample, `"EUR"`, `"eur"`, "payload.price.currency", "is not an ISO 4217 currency code"},
		{"inbound perSms missing", inboundSample, `"perSms":0.05,`, ``, "payload.price.perSms", "is missing"},
		{"inbound total negative", inboundSample, `"total":0.05`, `"total":-0.05`, "payload.price.total", "is negative"},
		{"status state unknown", statusSample, `"state":"delivered"`, `"state":"DELIVERED"`, "payload.status.state",
			"want one of queued, rejected, sent, delivered, undelivered, read"},
		{"status state missing", statusSample, `"state":"delivered",`, ``, "payload.status.state", "is missing"},
		{"status detail unknown", statusSample, `"delivered_to_recipient"`, `"delivered_to_handset"`, "payload.status.detail",
			"want one of delivered_to_operator, delivered_to_recipient, rejected_by_operator, undelivered_to_recipient"},
		{"status detail absent", statusSample, `"detail":"delivered_to_recipient",`, ``, "", ""},
		{"status detail null", statusSample, `"detail":"delivered_to_recipient"`, `"detail":null`, "", ""},
		{"status timestamp missing", statusSample, `"timestamp":"2025-10-03T12:00:02Z",`, ``, "payload.status.timestamp", "is missing"},
		{"status missing", statusSample, status + ",", ``, "payload.status", "is missing"},
		{"status optional members absent", statusSample, `"batchId":"b1c2d3e4-0000-4000-8000-000000000001","clientMessageId":"m-1","clientBatchId":"b-1",`, ``, "", ""},
		{"status price absent", statusSample, `"price":{"total":0.1,"perSms":0.05,"currency":"USD"},`, ``, "", ""},
		{"status price currency missing", statusSample, `,"currency":"USD"`, ``, "payload.price.currency", "is missing"},
		{"status alphanumeric source", statusSample, `"source":"Acme"`, `"source":"8x8"`, "", ""},
		{"status destination not E.164", statusSample, `"destination":"+12025550293"`, `"destination":"+1-202-555-0293"`, "payload.destination", "without spaces or punctuation"},
		{"status umid missing", statusSample, `"umid":"9e09ac86-bd74-5465-851d-1eb5a5fdbb9a",`, ``, "payload.umid", "is missing"},
		{"status smsCount missing", statusSample, `,"smsCount":2`, ``, "payload.smsCount", "is missing"},
		{"status negative errorCode is fine", statusSample, `"errorCode":0`, `"errorCode":-3`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := validationErrors(t, edit(t, tt.body, tt.old, tt.new))
			if tt.field == "" {
				if errs != nil {
					t.Errorf("Decode = %v, want no error", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tt.field || !strings.Contains(errs[0].Problem, tt.problem) {
				t.Errorf("Decode = %v\nwant one problem at %s containing %q", errs, tt.field, tt.problem)
			}
		})
	}
}

func TestDecode_MalformedBody(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // a part of the one problem, all at Field "body"
	}{
		{"empty", ``, "is empty (want one JSON object"},
		{"whitespace", " \r\n\t", "is empty"},
		{"missing value", `{"namespace":}`, "is not valid JSON at byte offset 13 (line 1, column 14): invalid character '}'"},
		{"error on line 3", "{\n  \"namespace\": \"SMS\",\n  \"eventType\" \"x\"\n}", "at byte offset 38 (line 3, column 15): invalid character '\"' after object key"},
		{"truncated", `{"namespace":"SMS"`, "at byte offset 17 (line 1, column 18): unexpected end of JSON input"},
		{"two objects", `{} {}`, "at byte offset 3 (line 1, column 4): invalid character '{' after top-level value"},
		{"column counts characters", `{"description":"ü",}`, "at byte offset 20 (line 1, column 20)"},
		{"an array", `[{"namespace":"SMS"}]`, "want a JSON object, got array"},
		{"a string", ` "SMS" `, "want a JSON object, got string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := validationErrors(t, tt.body)
			if len(errs) != 1 || errs[0].Field != "body" || !strings.Contains(errs[0].Problem, tt.want) {
				t.Errorf("Decode(%q) = %v\nwant one body problem containing %q", tt.body, errs, tt.want)
			}
		})
	}
}

func TestDecode_InvalidUTF8(t *testing.T) {
	body := edit(t, documentedClick, "abc123/abc", "abc\xff")
	errs := validationErrors(t, body)
	if len(errs) != 1 || errs[0].Field != "body" || !strings.Contains(errs[0].Problem, "is not valid UTF-8 at byte offset 340") {
		t.Errorf("got %v, want invalid UTF-8 at byte offset 340 (%q)", errs, body[336:344])
	}
}

func TestValidationError_Error(t *testing.T) {
	tests := []struct {
		name string
		err  *mock8x8.ValidationError
		want string
	}{
		{"with value", &mock8x8.ValidationError{Field: "payload.destination", Value: `"+1202"`,
			Problem: `is not an E.164 number (want "+" and 8 to 15 digits, e.g. "+6591234567")`},
			`payload.destination: "+1202" is not an E.164 number (want "+" and 8 to 15 digits, e.g. "+6591234567")`},
		{"without value", &mock8x8.ValidationError{Field: "payload.umid", Problem: "is missing (required)"}, "payload.umid: is missing (required)"},
		{"without field", &mock8x8.ValidationError{Problem: "odd"}, "odd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidationErrors_Unwrap(t *testing.T) {
	_, err := mock8x8.Decode([]byte(edit(t, documentedClick, `"+12025550293"`, `"+1202"`)))
	want := `payload.destination: "+1202" is not an E.164 number (want "+" and 8 to 15 digits, e.g. "+6591234567")`
	if err == nil || err.Error() != want {
		t.Fatalf("Decode error = %v, want %s", err, want)
	}
	var one *mock8x8.ValidationError
	if !errors.As(err, &one) || one.Field != "payload.destination" {
		t.Errorf("errors.As(*ValidationError) = %v", one)
	}
}

func TestValidationErrors_LongValueIsShortened(t *testing.T) {
	long := "https://2g.to/" + strings.Repeat("a", 500)
	errs := validationErrors(t, edit(t, documentedClick, `"https://example.com/landing?c=fall_campaign"`, `"`+strings.Replace(long, "https", "", 1)+`"`))
	if len(errs) != 1 || len(errs[0].Value) > 70 || !strings.HasSuffix(errs[0].Value, `…"`) {
		t.Errorf("Value = %q (%d bytes), want at most about 64 bytes ending in …", errs[0].Value, len(errs[0].Value))
	}
}
