package mock8x8_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nyaruka/phonenumbers"

	"github.com/clickcheck/clickcheck/mock8x8"
)

var genStart = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// clickBodies returns the JSON bodies of the next n clicks.
func clickBodies(g *mock8x8.Generator, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = g.NextClick().AppendJSON(nil)
	}
	return out
}

func firstDiff(a, b [][]byte) int {
	for i := range min(len(a), len(b)) {
		if !bytes.Equal(a[i], b[i]) {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func TestGeneratorDeterminism(t *testing.T) {
	t.Parallel()
	const n = 3000
	for _, seed := range []uint64{0, 1, 42, 1<<64 - 1} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			a := clickBodies(mock8x8.NewGenerator(seed, genStart), n)
			b := clickBodies(mock8x8.NewGenerator(seed, genStart), n)
			if i := firstDiff(a, b); i >= 0 {
				t.Fatalf("seed %d: event %d differs between two runs:\n%s\n%s", seed, i, a[i], b[i])
			}
			other := clickBodies(mock8x8.NewGenerator(seed+1, genStart), n)
			same := 0
			for i := range a {
				if bytes.Equal(a[i], other[i]) {
					same++
				}
			}
			if same > 0 {
				t.Errorf("seeds %d and %d share %d of %d events", seed, seed+1, same, n)
			}
			later := clickBodies(mock8x8.NewGenerator(seed, genStart.Add(time.Hour)), 1)
			if bytes.Equal(a[0], later[0]) {
				t.Errorf("a different start gave the same first event %s", a[0])
			}
		})
	}

	t.Run("other streams", func(t *testing.T) {
		t.Parallel()
		run := func() (in, st [][]byte) {
			g := mock8x8.NewGenerator(7, genStart)
			for range 300 {
				in = append(in, []byte(g.NextInbound().Event().Body))
				st = append(st, []byte(g.NextStatusChange().Event().Body))
			}
			return in, st
		}
		in1, st1 := run()
		in2, st2 := run()
		if i := firstDiff(in1, in2); i >= 0 {
			t.Errorf("inbound event %d differs:\n%s\n%s", i, in1[i], in2[i])
		}
		if i := firstDiff(st1, st2); i >= 0 {
			t.Errorf("status event %d differs:\n%s\n%s", i, st1[i], st2[i])
		}
	})

	t.Run("streams are independent", func(t *testing.T) {
		t.Parallel()
		plain := clickBodies(mock8x8.NewGenerator(5, genStart), 500)
		g := mock8x8.NewGenerator(5, genStart)
		mixed := make([][]byte, 0, 500)
		for i := range 500 {
			if i%3 == 0 {
				g.NextInbound()
				g.NextStatusChange()
			}
			mixed = append(mixed, []byte(g.Next().Body))
		}
		if i := firstDiff(plain, mixed); i >= 0 {
			t.Errorf("interleaving inbound/status calls changed click %d:\n%s\n%s", i, plain[i], mixed[i])
		}
	})

	t.Run("workers", func(t *testing.T) {
		t.Parallel()
		parent := mock8x8.NewGenerator(99, genStart)
		parentEvents := clickBodies(mock8x8.NewGenerator(99, genStart), 200)
		streams := map[int][][]byte{}
		for i := range 4 {
			streams[i] = clickBodies(parent.Worker(i), 200)
		}
		parent.NextClick() // reading the parent must not change its workers
		for i := range 4 {
			again := clickBodies(mock8x8.NewGenerator(99, genStart).Worker(i), 200)
			if d := firstDiff(streams[i], again); d >= 0 {
				t.Errorf("worker %d is not reproducible: event %d differs", i, d)
			}
			if w := parent.Worker(i); w.Start() != genStart {
				t.Errorf("worker %d starts at %v, want %v", i, w.Start(), genStart)
			}
			if bytes.Equal(streams[i][0], parentEvents[0]) {
				t.Errorf("worker %d repeats its parent's stream", i)
			}
			for j := range i {
				if bytes.Equal(streams[i][0], streams[j][0]) {
					t.Errorf("workers %d and %d start with the same event", i, j)
				}
			}
		}
	})
}

// checkMobile reports why s is not a valid E.164 mobile number by libphonenumber, or "".
func checkMobile(s string) (region, problem string) {
	num, err := phonenumbers.Parse(s, "")
	if err != nil {
		return "", err.Error()
	}
	region = phonenumbers.GetRegionCodeForNumber(num)
	if !phonenumbers.IsValidNumberForRegion(num, region) {
		return region, "not valid for region " + region
	}
	if typ := phonenumbers.GetNumberType(num); typ != phonenumbers.MOBILE && typ != phonenumbers.FIXED_LINE_OR_MOBILE {
		return region, fmt.Sprintf("number type %v, want MOBILE or FIXED_LINE_OR_MOBILE", typ)
	}
	if e := phonenumbers.Format(num, phonenumbers.E164); e != s {
		return region, "E.164 form is " + e
	}
	return region, ""
}

func TestGeneratorPhoneNumbers(t *testing.T) {
	t.Parallel()
	g := mock8x8.NewGenerator(2026, genStart)
	regions := map[string]int{}
	const n = 6000
	for i := range n {
		c := g.NextClick()
		region, problem := checkMobile(c.Destination)
		if problem != "" {
			t.Fatalf("click %d: destination %q: %s", i, c.Destination, problem)
		}
		regions[region]++
	}
	if len(regions) < 12 {
		t.Errorf("destinations come from %d regions %v, want at least 12", len(regions), regions)
	}
	for r, k := range regions {
		if k > n*6/10 {
			t.Errorf("region %s has %d of %d destinations: not a mix", r, k, n)
		}
	}
	for i := range 1000 {
		m := g.NextInbound()
		if _, problem := checkMobile(m.Source); problem != "" {
			t.Fatalf("inbound %d: source %q: %s", i, m.Source, problem)
		}
		s := g.NextStatusChange()
		if _, problem := checkMobile(s.Destination); problem != "" {
			t.Fatalf("status change %d: destination %q: %s", i, s.Destination, problem)
		}
	}
}

func TestPhonePools(t *testing.T) {
	t.Parallel()
	regions := mock8x8.MobileRegions()
	if len(regions) < 12 {
		t.Fatalf("MobileRegions() = %v, want at least 12", regions)
	}
	for _, want := range []string{"SG", "PH", "ID", "IN", "AU", "US", "GB"} {
		if !slices.Contains(regions, want) {
			t.Errorf("MobileRegions() lacks %s", want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, region := range regions {
		pool := mock8x8.MobilePoolForTest(region)
		if len(pool) < 1000 {
			t.Errorf("%s: pool has %d numbers, want at least 1000", region, len(pool))
			continue
		}
		seen := map[string]bool{}
		for _, s := range pool {
			if seen[s] {
				t.Errorf("%s: %s appears twice in the pool", region, s)
			}
			seen[s] = true
		}
		for range 300 {
			s := pool[r.IntN(len(pool))]
			got, problem := checkMobile(s)
			if problem != "" {
				t.Fatalf("%s: pool number %q: %s", region, s, problem)
			}
			if got != region {
				t.Errorf("%s: pool number %q belongs to %s", region, s, got)
			}
		}
	}
}

// TestPhoneClassifierAgreesWithLibphonenumber compares the pools' fast classifier with
// libphonenumber itself on random candidates, valid and invalid.
func TestPhoneClassifierAgreesWithLibphonenumber(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for _, region := range mock8x8.MobileRegions() {
		pool := mock8x8.MobilePoolForTest(region)
		cc := strconv.Itoa(phonenumbers.GetCountryCodeForRegion(region))
		yes, no := 0, 0
		for i := range 400 {
			// Half mutate a pool number (mostly still valid), half are free digits.
			nn := []byte(strings.TrimPrefix(pool[r.IntN(len(pool))], "+"+cc))
			switch {
			case i%2 == 0:
				nn[len(nn)-1-r.IntN(4)] = byte('0' + r.IntN(10))
			default:
				for j := range nn {
					nn[j] = byte('0' + r.IntN(10))
				}
				nn = nn[:len(nn)-r.IntN(2)]
			}
			num, err := phonenumbers.Parse("+"+cc+string(nn), "")
			if err != nil {
				continue
			}
			typ := phonenumbers.GetNumberType(num)
			lib := phonenumbers.IsValidNumberForRegion(num, region) &&
				(typ == phonenumbers.MOBILE || typ == phonenumbers.FIXED_LINE_OR_MOBILE) &&
				phonenumbers.GetNationalSignificantNumber(num) == string(nn)
			fast := mock8x8.IsMobileForTest(region, string(nn))
			if lib != fast {
				t.Errorf("%s %s: libphonenumber says mobile=%v, the fast classifier %v", region, nn, lib, fast)
			}
			if lib {
				yes++
			} else {
				no++
			}
		}
		if yes < 50 || no < 50 {
			t.Errorf("%s: %d valid and %d invalid candidates: the comparison is too one-sided", region, yes, no)
		}
	}
}

var shortURLRe = regexp.MustCompile(`^https://2g\.to/[A-Za-z0-9]{6}/[A-Za-z0-9]{3}$`)

// uuidProblem says why s is not a lowercase canonical version 4 RFC 4122 UUID, or "".
func uuidProblem(s string) string {
	u, err := uuid.Parse(s)
	switch {
	case err != nil:
		return err.Error()
	case u.Version() != 4:
		return fmt.Sprintf("version %d", u.Version())
	case u.Variant() != uuid.RFC4122:
		return "variant " + u.Variant().String()
	case u.String() != s:
		return "not canonical lowercase"
	}
	return ""
}

func TestClickFields(t *testing.T) {
	t.Parallel()
	start := genStart.Add(123456789 * time.Nanosecond) // not a whole millisecond
	g := mock8x8.NewGenerator(11, start)
	eventIDs := map[string]bool{}
	var prev time.Time
	for i := range 5000 {
		c := g.NextClick()
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("click %d %+v: %s", i, c, fmt.Sprintf(format, args...))
		}
		if p := uuidProblem(c.EventID); p != "" {
			fail("eventId: %s", p)
		}
		if eventIDs[c.EventID] {
			fail("eventId repeated")
		}
		eventIDs[c.EventID] = true
		if p := uuidProblem(c.UMID); p != "" {
			fail("umid: %s", p)
		}
		if !shortURLRe.MatchString(c.ShortURL) {
			fail("shortUrl does not match %s", shortURLRe)
		}
		u, err := url.Parse(c.TargetURL)
		if err != nil {
			fail("targetUrl: %v", err)
		}
		q, err := url.ParseQuery(u.RawQuery)
		switch {
		case err != nil:
			fail("targetUrl query: %v", err)
		case u.Scheme != "https" || u.Host == "" || !u.IsAbs() || u.User != nil:
			fail("targetUrl is not an absolute https URL")
		case !strings.Contains(u.Host, ".") || strings.Trim(u.Host, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "":
			fail("targetUrl host %q is not a plain domain name", u.Host)
		case q.Get("utm_source") != "sms" || q.Get("utm_medium") == "" || q.Get("utm_campaign") == "":
			fail("targetUrl lacks utm_source=sms, utm_medium or utm_campaign")
		}
		if c.OccurredAt.Location() != time.UTC {
			fail("occurredAt is in %v, want UTC", c.OccurredAt.Location())
		}
		if c.OccurredAt.Before(start) {
			fail("occurredAt before start %v", start)
		}
		if c.OccurredAt.Nanosecond()%int(time.Millisecond) != 0 {
			fail("occurredAt is not a whole millisecond")
		}
		if c.OccurredAt.Before(prev) {
			fail("occurredAt goes back from %v", prev)
		}
		prev = c.OccurredAt
	}
}

func TestClickCampaignConsistency(t *testing.T) {
	t.Parallel()
	type smsSeen struct {
		destination string
		sentAt      time.Time
		links       int
		shortURLs   map[string]bool
		lastNth     map[int]int
		lastAt      map[int]time.Time
	}
	type linkSeen struct{ umid, targetURL string }
	g := mock8x8.NewGenerator(77, genStart)
	sms := map[string]*smsSeen{}
	links := map[string]linkSeen{}
	repeats, linkCount := 0, map[int]int{}
	const n = 20000
	for i := range n {
		d := g.NextClickDetail()
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("click %d %+v: %s", i, d, fmt.Sprintf(format, args...))
		}
		if d.Links < 1 || d.Links > 3 || d.Link < 0 || d.Link >= d.Links {
			fail("link %d of %d", d.Link, d.Links)
		}
		if d.SentAt.Before(genStart) || d.OccurredAt.Before(d.SentAt) {
			fail("sent at %v, clicked at %v, start %v", d.SentAt, d.OccurredAt, genStart)
		}
		s := sms[d.UMID]
		if s == nil {
			s = &smsSeen{d.Destination, d.SentAt, d.Links, map[string]bool{}, map[int]int{}, map[int]time.Time{}}
			sms[d.UMID] = s
			linkCount[d.Links]++
		}
		if s.destination != d.Destination || !s.sentAt.Equal(d.SentAt) || s.links != d.Links {
			fail("umid seen before with destination %s, sent at %v, %d links", s.destination, s.sentAt, s.links)
		}
		s.shortURLs[d.ShortURL] = true
		if len(s.shortURLs) > s.links {
			fail("umid has %d distinct shortUrls, more than its %d links", len(s.shortURLs), s.links)
		}
		if l, ok := links[d.ShortURL]; ok && (l.umid != d.UMID || l.targetURL != d.TargetURL) {
			fail("shortUrl seen before with umid %s and targetUrl %s", l.umid, l.targetURL)
		}
		links[d.ShortURL] = linkSeen{d.UMID, d.TargetURL}
		if d.Nth != s.lastNth[d.Link]+1 {
			fail("click number %d on this link follows number %d", d.Nth, s.lastNth[d.Link])
		}
		if d.Nth > 1 {
			repeats++
			if d.OccurredAt.Before(s.lastAt[d.Link]) {
				fail("repeat click before the previous click %v", s.lastAt[d.Link])
			}
		}
		s.lastNth[d.Link] = d.Nth
		s.lastAt[d.Link] = d.OccurredAt
	}
	// Realism: most clicks are first clicks, a few are repeats; SMS carry 1, 2 and 3 links;
	// some SMS see clicks on more than one link; targetUrls differ between SMS.
	if repeats < n/20 || repeats > n*2/5 {
		t.Errorf("%d of %d clicks are repeats, want between 5%% and 40%%", repeats, n)
	}
	for k := 1; k <= 3; k++ {
		if linkCount[k] == 0 {
			t.Errorf("no SMS with %d links among %d: %v", k, len(sms), linkCount)
		}
	}
	multi, targets := 0, map[string]bool{}
	for _, s := range sms {
		if len(s.shortURLs) > 1 {
			multi++
		}
	}
	for _, l := range links {
		targets[l.targetURL] = true
	}
	if multi == 0 {
		t.Errorf("no SMS had clicks on two links")
	}
	if len(targets) < len(sms)/2 {
		t.Errorf("%d distinct targetUrls for %d SMS", len(targets), len(sms))
	}
	if len(sms) > n*9/10 {
		t.Errorf("%d SMS for %d clicks: clicks hardly share an umid", len(sms), n)
	}
}

// jsonKeys returns the member names of the JSON object raw, in order.
func jsonKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("reading %s: %v", raw, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("reading %s: %v", raw, err)
		}
	}
	return keys
}

// tagOrder returns the JSON names of v's struct fields, in declaration order.
func tagOrder(v any) []string {
	typ := reflect.TypeOf(v)
	var out []string
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

// isSubsequence reports whether got lists some of want's names, in want's order.
func isSubsequence(got, want []string) bool {
	j := 0
	for _, g := range got {
		for j < len(want) && want[j] != g {
			j++
		}
		if j == len(want) {
			return false
		}
		j++
	}
	return true
}

var envelopeKeys = []string{"namespace", "eventType", "description", "payload"}

// decodeEnvelope checks an event's envelope and returns its payload.
func decodeEnvelope(t *testing.T, e mock8x8.Event, eventType, description string) json.RawMessage {
	t.Helper()
	if keys := jsonKeys(t, []byte(e.Body)); !slices.Equal(keys, envelopeKeys) {
		t.Fatalf("envelope keys %v, want %v", keys, envelopeKeys)
	}
	var env mock8x8.Envelope
	if err := json.Unmarshal([]byte(e.Body), &env); err != nil {
		t.Fatalf("%s: %v", e.Body, err)
	}
	if env.Namespace != "SMS" || env.EventType != eventType || env.Description != description || e.Type != eventType {
		t.Fatalf("envelope %+v, event type %q: want SMS, %s, %q", env, e.Type, eventType, description)
	}
	if _, err := mock8x8.Decode([]byte(e.Body)); err != nil {
		t.Fatalf("mock8x8.Decode rejects %s: %v", e.Body, err)
	}
	return env.Payload
}

func TestClickJSON(t *testing.T) {
	t.Parallel()
	g := mock8x8.NewGenerator(3, genStart)
	wantKeys := tagOrder(mock8x8.Click{})
	for range 1000 {
		c := g.NextClick()
		e := c.Event()
		if e.ID != c.EventID {
			t.Fatalf("Event().ID = %q, want the eventId %q", e.ID, c.EventID)
		}
		if e.Body != string(c.AppendJSON(nil)) {
			t.Fatalf("Event().Body differs from AppendJSON")
		}
		payload := decodeEnvelope(t, e, mock8x8.EventTypeClick, mock8x8.DescriptionClick)
		if keys := jsonKeys(t, payload); !slices.Equal(keys, wantKeys) {
			t.Fatalf("payload keys %v, want %v", keys, wantKeys)
		}
		var back mock8x8.Click
		if err := json.Unmarshal(payload, &back); err != nil {
			t.Fatal(err)
		}
		if !back.OccurredAt.Equal(c.OccurredAt) {
			t.Fatalf("occurredAt %v decodes as %v", c.OccurredAt, back.OccurredAt)
		}
		back.OccurredAt = c.OccurredAt
		if back != c {
			t.Fatalf("decoded %+v, want %+v", back, c)
		}
		if !strings.Contains(string(payload), `"occurredAt":"`+c.OccurredAt.Format("2006-01-02T15:04:05")) ||
			!strings.HasSuffix(jsonString(t, payload, "occurredAt"), "Z") {
			t.Fatalf("occurredAt is not written in UTC: %s", payload)
		}
	}
}

// jsonString returns the string member key of the object raw.
func jsonString(t *testing.T, raw []byte, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m[key].(string)
	return s
}

func TestInboundEvents(t *testing.T) {
	t.Parallel()
	g := mock8x8.NewGenerator(4, genStart)
	wantKeys := tagOrder(mock8x8.InboundMessage{})
	encodings := map[string]int{}
	var prev time.Time
	for i := range 1000 {
		m := g.NextInbound()
		e := m.Event()
		if e.ID != "inbound:"+m.UMID {
			t.Fatalf("ID %q, want inbound:<umid>", e.ID)
		}
		if p := uuidProblem(m.UMID); p != "" {
			t.Fatalf("inbound %d umid %q: %s", i, m.UMID, p)
		}
		payload := decodeEnvelope(t, e, mock8x8.EventTypeInbound, mock8x8.DescriptionInbound)
		if keys := jsonKeys(t, payload); !slices.Equal(keys, wantKeys) {
			t.Fatalf("payload keys %v, want %v", keys, wantKeys)
		}
		if keys := jsonKeys(t, mustMember(t, payload, "price")); !slices.Equal(keys, tagOrder(mock8x8.Price{})) {
			t.Fatalf("price keys %v", keys)
		}
		var back mock8x8.InboundMessage
		if err := json.Unmarshal(payload, &back); err != nil {
			t.Fatal(err)
		}
		if !back.Timestamp.Equal(m.Timestamp) || m.Timestamp.Location() != time.UTC {
			t.Fatalf("timestamp %v decodes as %v", m.Timestamp, back.Timestamp)
		}
		back.Timestamp = m.Timestamp
		if back != m {
			t.Fatalf("decoded %+v, want %+v", back, m)
		}
		if m.Timestamp.Before(genStart) || m.Timestamp.Before(prev) {
			t.Fatalf("timestamp %v before start or previous %v", m.Timestamp, prev)
		}
		prev = m.Timestamp
		ascii := true
		for _, r := range m.Body {
			ascii = ascii && r < 0x80
		}
		switch {
		case m.SubAccountID == "" || m.Destination == "" || m.Source == m.Destination:
			t.Fatalf("inbound %+v: empty subAccountId or destination, or source = destination", m)
		case ascii && m.Encoding != "GSM7", m.Encoding != "GSM7" && m.Encoding != "UCS2":
			t.Fatalf("body %q has encoding %q", m.Body, m.Encoding)
		case m.SMSCount < 1 || m.SMSCount == 1 && len([]rune(m.Body)) > 160 || m.SMSCount > 1 && len([]rune(m.Body)) <= 70:
			t.Fatalf("body of %d characters counts as %d SMS", len([]rune(m.Body)), m.SMSCount)
		case m.Price.Currency != "EUR" || m.Price.PerSMS < 0 || m.Price.Total < m.Price.PerSMS:
			t.Fatalf("price %+v for %d SMS", m.Price, m.SMSCount)
		}
		encodings[m.Encoding]++
	}
	if encodings["GSM7"] == 0 || encodings["UCS2"] == 0 {
		t.Errorf("encodings %v, want both GSM7 and UCS2", encodings)
	}
}

func mustMember(t *testing.T, raw []byte, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m[key] == nil {
		t.Fatalf("no member %q in %s (%v)", key, raw, err)
	}
	return m[key]
}

func TestStatusChangeEvents(t *testing.T) {
	t.Parallel()
	g := mock8x8.NewGenerator(5, genStart)
	wantKeys := tagOrder(mock8x8.StatusChange{})
	wantStatusKeys := tagOrder(mock8x8.MessageStatus{})
	lifecycle := map[string]int{"queued": 0, "sent": 1, "rejected": 1, "delivered": 2, "undelivered": 2, "read": 3}
	details := map[string][]string{
		"queued": {""}, "sent": {""}, "delivered": {"delivered_to_operator", "delivered_to_recipient"},
		"undelivered": {"undelivered_to_recipient"}, "rejected": {"rejected_by_operator"},
	}
	ids := map[string]bool{}
	lastState := map[string]string{}
	states := map[string]int{}
	var prev time.Time
	for i := range 2000 {
		s := g.NextStatusChange()
		e := s.Event()
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("status change %d %s: %s", i, e.Body, fmt.Sprintf(format, args...))
		}
		if e.ID != "status:"+s.UMID+":"+s.Status.State {
			fail("ID %q, want status:<umid>:<state>", e.ID)
		}
		if ids[e.ID] {
			fail("ID repeated")
		}
		ids[e.ID] = true
		if p := uuidProblem(s.UMID); p != "" {
			fail("umid: %s", p)
		}
		payload := decodeEnvelope(t, e, mock8x8.EventTypeStatusChange, mock8x8.DescriptionStatusChange)
		keys := jsonKeys(t, payload)
		if !isSubsequence(keys, wantKeys) {
			fail("payload keys %v are not in the documented order %v", keys, wantKeys)
		}
		for _, k := range []string{"umid", "subAccountId", "source", "destination", "status", "smsCount"} {
			if !slices.Contains(keys, k) {
				fail("no %s", k)
			}
		}
		statusKeys := jsonKeys(t, mustMember(t, payload, "status"))
		if !isSubsequence(statusKeys, wantStatusKeys) || !slices.Contains(statusKeys, "state") || !slices.Contains(statusKeys, "timestamp") {
			fail("status keys %v, want state and timestamp in the order %v", statusKeys, wantStatusKeys)
		}
		var back mock8x8.StatusChange
		if err := json.Unmarshal(payload, &back); err != nil {
			t.Fatal(err)
		}
		if !back.Status.Timestamp.Equal(s.Status.Timestamp) || s.Status.Timestamp.Location() != time.UTC {
			fail("timestamp %v decodes as %v", s.Status.Timestamp, back.Status.Timestamp)
		}
		back.Status.Timestamp = s.Status.Timestamp
		if !reflect.DeepEqual(back, s) {
			fail("decoded %+v, want %+v", back, s)
		}
		if !slices.Contains(details[s.Status.State], s.Status.Detail) {
			fail("state %q with detail %q", s.Status.State, s.Status.Detail)
		}
		failed := s.Status.State == "undelivered" || s.Status.State == "rejected"
		if failed != (s.Status.ErrorCode > 0 && s.Status.ErrorMessage != "") {
			fail("state %q with error %d %q", s.Status.State, s.Status.ErrorCode, s.Status.ErrorMessage)
		}
		if (s.Price == nil) != (s.Status.State == "rejected" || s.Status.State == "queued") {
			fail("state %q with price %v", s.Status.State, s.Price)
		}
		if s.Price != nil && (s.Price.Currency != "EUR" || s.Price.PerSMS <= 0 || s.Price.Total < s.Price.PerSMS*float64(s.SMSCount)*0.999) {
			fail("price %+v for %d SMS", *s.Price, s.SMSCount)
		}
		if s.SMSCount < 1 {
			fail("smsCount %d", s.SMSCount)
		}
		if last, ok := lastState[s.UMID]; ok && lifecycle[last] >= lifecycle[s.Status.State] {
			fail("state %q after %q", s.Status.State, last)
		}
		lastState[s.UMID] = s.Status.State
		if s.Status.Timestamp.Before(genStart) || s.Status.Timestamp.Before(prev) {
			fail("timestamp before start or previous %v", prev)
		}
		prev = s.Status.Timestamp
		if _, problem := checkMobile(s.Destination); problem != "" {
			fail("destination: %s", problem)
		}
		states[s.Status.State]++
	}
	for _, st := range []string{"queued", "sent", "delivered", "undelivered", "rejected"} {
		if states[st] == 0 {
			t.Errorf("no %q receipts in %v", st, states)
		}
	}
}

// TestEventEnvelopesFromLiterals checks the Event methods on hand-made values: empty
// optional members are left out, required ones are kept, times are written in UTC.
func TestEventEnvelopesFromLiterals(t *testing.T) {
	t.Parallel()
	ist := time.FixedZone("IST", 5*3600+1800)
	at := time.Date(2026, 3, 1, 14, 30, 0, 250_000_000, ist)
	in := mock8x8.InboundMessage{
		UMID: "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a", SubAccountID: "acme", Timestamp: at,
		Source: "+6581234567", Destination: "8x8", Body: "Tom & Jerry <3", Encoding: "GSM7", SMSCount: 1,
		Price: mock8x8.Price{Total: 0.01, PerSMS: 0.01, Currency: "EUR"},
	}
	st := mock8x8.StatusChange{
		UMID: in.UMID, SubAccountID: "acme", Source: "ACME", Destination: "+6581234567",
		Status: mock8x8.MessageStatus{State: "sent", Timestamp: at}, SMSCount: 1,
	}
	tests := []struct {
		name, wantID string
		event        mock8x8.Event
		want         string
	}{
		{"inbound", "inbound:" + in.UMID, in.Event(),
			`{"namespace":"SMS","eventType":"inbound_message_received","description":"Inbound SMS received","payload":{"umid":"0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a","subAccountId":"acme","timestamp":"2026-03-01T09:00:00.25Z","source":"+6581234567","destination":"8x8","body":"Tom & Jerry <3","encoding":"GSM7","smsCount":1,"price":{"total":0.01,"perSms":0.01,"currency":"EUR"}}}`},
		{"status", "status:" + in.UMID + ":sent", st.Event(),
			`{"namespace":"SMS","eventType":"outbound_message_status_changed","description":"Outbound SMS status changed","payload":{"umid":"0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a","subAccountId":"acme","source":"ACME","destination":"+6581234567","status":{"state":"sent","timestamp":"2026-03-01T09:00:00.25Z"},"smsCount":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.event.ID != tt.wantID {
				t.Errorf("ID %q, want %q", tt.event.ID, tt.wantID)
			}
			if tt.event.Body != tt.want {
				t.Errorf("body\n%s\nwant\n%s", tt.event.Body, tt.want)
			}
		})
	}
}

// BenchmarkGenerator measures one click event: generate it and write its JSON body into a
// reused buffer.
func BenchmarkGenerator(b *testing.B) {
	g := mock8x8.NewGenerator(1, genStart)
	g.NextClick() // builds the phone pools outside the timed loop
	buf := make([]byte, 0, 512)
	for b.Loop() {
		buf = g.NextClick().AppendJSON(buf[:0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkGeneratorEvent measures Next: a click event with its own body buffer, as the
// sender takes it.
func BenchmarkGeneratorEvent(b *testing.B) {
	g := mock8x8.NewGenerator(1, genStart)
	g.Next()
	for b.Loop() {
		_ = g.Next()
	}
}

func TestRecentStart_ClicksHaveHappenedByNow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 6, 30, 15, 123456789, time.UTC)
	for _, seed := range []uint64{1, 42, 7777} {
		for _, n := range []int{1, 10, 500} {
			start := mock8x8.RecentStart(seed, now, n)
			recent, ahead := mock8x8.NewGenerator(seed, start), mock8x8.NewGenerator(seed, now)
			back := now.Sub(start)
			if back < 0 || back%time.Second != 0 {
				t.Fatalf("seed %d, n %d: start %s is %v before now, want a whole number of seconds", seed, n, start, back)
			}
			var last time.Time
			for i := range n {
				c, want := recent.NextClick(), ahead.NextClick()
				if c.OccurredAt.After(now) {
					t.Fatalf("seed %d, n %d: click %d occurred at %s, after now (%s)", seed, n, i, c.OccurredAt, now)
				}
				if c.EventID != want.EventID || c.UMID != want.UMID || c.Destination != want.Destination || !c.OccurredAt.Equal(want.OccurredAt.Add(-back)) {
					t.Fatalf("seed %d, n %d: click %d is %+v, want %+v moved back %v", seed, n, i, c, want, back)
				}
				last = c.OccurredAt
			}
			if now.Sub(last) >= time.Second {
				t.Errorf("seed %d, n %d: the last click occurred %v before now, want within a second", seed, n, now.Sub(last))
			}
		}
	}
	if got := mock8x8.RecentStart(1, now, 0); !got.Equal(now) {
		t.Errorf("RecentStart for no clicks: %s, want now", got)
	}
}

func TestGenerator_FirstClicksDecayAfterTheSend(t *testing.T) {
	t.Parallel()
	g := mock8x8.NewGenerator(5, genStart)
	var delays []time.Duration
	buckets := make([]int, 8) // first clicks by 2-minute bucket after their SMS went out
	for range 20000 {
		c := g.NextClickDetail()
		if c.Nth != 1 {
			continue
		}
		d := c.OccurredAt.Sub(c.SentAt)
		delays = append(delays, d)
		if i := int(d / (2 * time.Minute)); i < len(buckets) {
			buckets[i]++
		}
	}
	slices.Sort(delays)
	median, p99 := delays[len(delays)/2], delays[len(delays)*99/100]
	if median < time.Minute || median > 8*time.Minute {
		t.Errorf("median first-click delay %v, want minutes: most people who click do it soon after the SMS", median)
	}
	if p99 < 30*time.Minute {
		t.Errorf("p99 first-click delay %v, want a tail past 30 min: some read the SMS late", p99)
	}
	for i := 1; i < len(buckets); i++ {
		if buckets[i] >= buckets[i-1] {
			t.Errorf("first clicks per 2 minutes after the send %v: want fewer in each bucket than in the one before (decay)", buckets)
			break
		}
	}
}
