package mock8x8

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"
)

// Generator produces a realistic, reproducible stream of SMS webhook events.
//
// Clicks follow a campaign model. Campaigns run one after another from the start time;
// each sends its SMS (50 to 3000 recipients) at a steady rate (Poisson arrivals, 2 to 20
// SMS per second), with a pause of seconds between campaigns. Every SMS has one umid and
// one recipient (a valid E.164 mobile number, most often in the campaign's country) and
// carries the campaign's 1 to 3 links, each with its own shortUrl
// (https://2g.to/xxxxxx/xxx) and targetUrl (the campaign's landing page with utm
// parameters and, in most campaigns, a per-recipient cid). A recipient clicks each link
// zero or more times: most never, some once, a few again later; a repeat click is a new
// eventId with the same umid, shortUrl and targetUrl. First clicks come an exponentially
// distributed delay after the send (a half-life of one to six minutes, with a slower tail
// for late readers); repeat clicks follow the previous click of the same link.
//
// Clicks are emitted in globally non-decreasing occurredAt order (ties in a fixed order):
// pending clicks wait in a heap until no SMS sent later can produce an earlier one.
// occurredAt is in UTC, rounded up to whole seconds as 8x8 documents it
// ("2025-10-03T12:00:00Z"), never before the start time.
//
// NextInbound and NextStatusChange draw from their own sub-streams, so interleaving calls
// of the three kinds never changes any one stream.
//
// The same seed and start give byte-identical events, on every machine, for a given
// version of this module and its gofakeit and libphonenumber dependencies. A Generator is
// not safe for concurrent use: give each goroutine its own, e.g. with Worker.
type Generator struct {
	seed  uint64
	start time.Time
	rs    randStream // the click stream's randomness

	startMs    int64 // start, rounded up to a whole millisecond
	nextSendMs int64 // when the next SMS goes out
	camp       campaign
	pending    timedHeap[clickRef]

	inbound *inboundStream // created on first use
	status  *statusStream  // created on first use
}

// NewGenerator returns a generator whose stream depends only on seed and start: same seed
// and same start give a byte-identical event stream. Every seed, 0 included, is a fixed
// seed; nothing is drawn from crypto randomness or the wall clock.
//
// The first call in a process also builds the process-wide pools of valid mobile numbers
// (about 0.1 s on two cores), so that no Next call pays for it.
func NewGenerator(seed uint64, start time.Time) *Generator {
	mobilePool(0)
	startMs := start.UnixMilli()
	if time.UnixMilli(startMs).Before(start) {
		startMs++
	}
	g := &Generator{
		seed:       seed,
		start:      start,
		rs:         newRandStream(seed, 0xc11c),
		startMs:    startMs,
		nextSendMs: startMs,
	}
	g.camp = g.newCampaign(startMs)
	return g
}

// RecentStart returns the start time at which NewGenerator(seed, start) makes n clicks that
// have all happened by now, the last within a second of it: clicks ready to deliver at
// once, as 8x8 delivers them, rather than clicks dated minutes ahead (a receiver may
// rightly distrust those). They are the clicks NewGenerator(seed, now) makes, moved back
// by whole seconds, so ids and every other field stay the same.
func RecentStart(seed uint64, now time.Time, n int) time.Time {
	if n < 1 {
		return now
	}
	g := NewGenerator(seed, now)
	var last time.Time
	for range n {
		last = g.NextClickDetail().OccurredAt
	}
	// occurredAt is rounded up to whole seconds, so only a whole-second move keeps every
	// click's offset from the others.
	back := (last.Sub(now) + time.Second - 1).Truncate(time.Second)
	return now.Add(-back)
}

// Worker returns an independent, reproducible generator for parallel worker i: its seed is
// derived from this generator's seed and i (not from how far this generator has been
// read), its start is the same. Workers with different i produce different streams.
func (g *Generator) Worker(i int) *Generator {
	return NewGenerator(mix64(g.seed^mix64(uint64(i)+0x5eed_0f_3017_c4e5)), g.start)
}

// Seed returns the seed the generator was created with.
func (g *Generator) Seed() uint64 { return g.seed }

// Start returns the start time the generator was created with.
func (g *Generator) Start() time.Time { return g.start }

// ClickDetail is a generated click with the SMS context it came from: what a test needs to
// check the campaign model, and what a load report may want to group by.
type ClickDetail struct {
	Click
	// SentAt is when the SMS (Click.UMID) was sent; the click is at or after it.
	SentAt time.Time
	// Link is the index of the clicked link in the SMS, from 0.
	Link int
	// Links is how many links the SMS carries: 1 to 3.
	Links int
	// Nth counts the recipient's clicks on this link: 1 for the first, 2 for the first
	// repeat, and so on.
	Nth int
}

// NextClick returns the next short_url_clicked payload.
func (g *Generator) NextClick() Click { return g.NextClickDetail().Click }

// Next returns the next click event, wrapped and ready to send: NextClick().Event().
func (g *Generator) Next() Event { return g.NextClick().Event() }

// NextClickDetail returns the next click with its SMS context. It advances the same stream
// as NextClick.
func (g *Generator) NextClickDetail() ClickDetail {
	// Any SMS sent from nextSendMs on clicks later than nextSendMs (a click needs at least
	// minClickDelayMs), so the earliest pending click at or before it is final.
	for g.pending.len() == 0 || g.pending.peekAt() > g.nextSendMs {
		g.sendSMS()
	}
	at, ref := g.pending.pop()
	s := ref.sms
	return ClickDetail{
		Click: Click{
			EventID:     g.rs.uuid(),
			OccurredAt:  ceilSecond(at),
			UMID:        s.umid(),
			Destination: s.destination,
			ShortURL:    s.shortURL(ref.link),
			TargetURL:   s.targetURL(ref.link),
		},
		SentAt: time.UnixMilli(s.sentMs).UTC(),
		Link:   int(ref.link),
		Links:  int(s.links),
		Nth:    int(ref.nth),
	}
}

// Click timing, in milliseconds.
const (
	minClickDelayMs    = 1500           // reading the SMS and tapping takes a moment
	lateReaderShare    = 0.08           // recipients who open the SMS much later
	lateHalfLifeMs     = 25 * 60 * 1000 // ... with this half-life
	repeatShare        = 0.2            // the chance of one more click on a clicked link
	maxClicksPerLink   = 6
	repeatMinMs        = 1000
	repeatHalfLifeMs   = 2 * 60 * 1000
	repeatLateShare    = 0.15 // repeats that come back much later
	repeatLateHalfLife = 60 * 60 * 1000
)

// campaign is one SMS campaign: a brand, 1 to 3 links, a recipient count and a send rate.
type campaign struct {
	market     int      // the campaign's country (index in markets)
	links      int      // links per SMS
	target     []string // per link: the landing page URL up to (excluding) the per-recipient part
	withCID    bool     // whether each recipient's targetUrl carries its own cid
	remaining  int      // SMS still to send
	gapMeanMs  float64  // mean time between two sends
	ctr        [3]float64
	halfLifeMs float64 // of the first-click delay
}

// smsState is one sent SMS that has at least one pending click. Its umid, short URLs and
// target URLs are substrings of one string: umid first, then per link the short URL and the
// target URL, ending at end[link].
type smsState struct {
	text        string
	destination string
	sentMs      int64
	links       uint8
	end         [3][2]uint16 // per link: end of the short URL, end of the target URL
}

func (s *smsState) umid() string { return s.text[:36] }

func (s *smsState) shortURL(l uint8) string {
	from := uint16(36)
	if l > 0 {
		from = s.end[l-1][1]
	}
	return s.text[from:s.end[l][0]]
}

func (s *smsState) targetURL(l uint8) string { return s.text[s.end[l][0]:s.end[l][1]] }

// clickRef is a pending click: which link of which SMS, and which click on it.
type clickRef struct {
	sms  *smsState
	link uint8
	nth  uint8
}

// sendSMS sends the campaign's next SMS at nextSendMs, queues its clicks, and advances
// nextSendMs (starting a new campaign when this one is done).
func (g *Generator) sendSMS() {
	r := &g.rs
	c := &g.camp
	sent := g.nextSendMs

	var times [3][maxClicksPerLink]int64
	var counts [3]int
	total := 0
	for l := 0; l < c.links; l++ {
		if !r.chance(c.ctr[l]) {
			continue
		}
		t := sent + minClickDelayMs
		if r.chance(lateReaderShare) {
			t += r.expMs(lateHalfLifeMs)
		} else {
			t += r.expMs(c.halfLifeMs)
		}
		times[l][0] = t
		n := 1
		for n < maxClicksPerLink && r.chance(repeatShare) {
			t += repeatMinMs
			if r.chance(repeatLateShare) {
				t += r.expMs(repeatLateHalfLife)
			} else {
				t += r.expMs(repeatHalfLifeMs)
			}
			times[l][n] = t
			n++
		}
		counts[l] = n
		total += n
	}

	if total > 0 {
		s := g.buildSMS(sent)
		for l := 0; l < c.links; l++ {
			for k := 0; k < counts[l]; k++ {
				g.pending.push(times[l][k], clickRef{sms: s, link: uint8(l), nth: uint8(k + 1)})
			}
		}
	}

	g.nextSendMs = sent + r.expMs(c.gapMeanMs*math.Ln2)
	c.remaining--
	if c.remaining <= 0 {
		// A pause between campaigns, then the next one.
		g.nextSendMs += 1000 + r.expMs(20_000)
		g.camp = g.newCampaign(g.nextSendMs)
	}
}

// buildSMS draws the recipient, umid and links of an SMS sent at sentMs. All its strings
// share one allocation.
func (g *Generator) buildSMS(sentMs int64) *smsState {
	r := &g.rs
	c := &g.camp
	m := c.market
	if r.chance(0.15) { // a share of every list is abroad
		m = pickMarket(r.u64())
	}
	pool := mobilePool(m)
	s := &smsState{sentMs: sentMs, links: uint8(c.links), destination: pool[r.intn(len(pool))]}

	var sb strings.Builder
	n := 36
	for l := 0; l < c.links; l++ {
		n += len(shortURLPrefix) + 10 + len(c.target[l]) + 16
	}
	sb.Grow(n)
	var u [36]byte
	r.uuidInto(&u)
	sb.Write(u[:])
	var cid [10]byte
	if c.withCID {
		r.digits(cid[:])
		if cid[0] == '0' {
			cid[0] = '1'
		}
	}
	for l := 0; l < c.links; l++ {
		sb.WriteString(shortURLPrefix)
		var code [10]byte
		r.alnum(code[:])
		code[6] = '/'
		sb.Write(code[:])
		s.end[l][0] = uint16(sb.Len())
		sb.WriteString(c.target[l])
		if c.withCID {
			sb.WriteString("&cid=")
			sb.Write(cid[:])
		}
		s.end[l][1] = uint16(sb.Len())
	}
	s.text = sb.String()
	return s
}

const shortURLPrefix = "https://2g.to/"

// Vocabulary for campaigns. Brands and product words come from gofakeit.
var (
	campaignOccasions = []string{
		"flash_sale", "payday_sale", "new_arrivals", "vip_preview", "cart_reminder",
		"loyalty_rewards", "app_launch", "back_to_school", "mid_year_sale", "1111_sale",
		"1212_sale", "black_friday", "cny_promo", "raya_promo", "diwali_offers", "songkran",
		"tet_holiday", "christmas", "summer_clearance", "appointment_reminder",
		"delivery_update", "renewal_reminder", "feedback_survey", "refer_a_friend",
		"weekend_deals", "member_day", "price_drop", "store_opening",
	}
	utmMediums   = []string{"text", "bulk", "promo", "crm", "retargeting", "transactional", "broadcast"}
	landingPaths = []string{
		"/sale", "/promo", "/offers", "/deals", "/new-arrivals", "/rewards", "/app", "/login",
		"/account", "/track-order", "/book", "/survey", "/stores", "/cart", "/vouchers",
		"/events", "/products", "/collections", "/membership", "/checkout",
	}
	subHosts = []string{"shop.", "app.", "m.", "rewards.", "help.", "go."}
)

// newCampaign draws the next campaign, starting at startMs.
func (g *Generator) newCampaign(startMs int64) campaign {
	r := &g.rs
	f := r.f
	c := campaign{market: pickMarket(r.u64())}
	mk := markets[c.market]

	brand := brandName(f.Company())
	domain := brand + "." + mk.tld
	if r.chance(0.3) {
		domain = brand + ".com"
	}
	mon := strings.ToLower(time.UnixMilli(startMs).UTC().Format("Jan06"))
	slug := campaignOccasions[r.intn(len(campaignOccasions))] + "_" + mon
	medium := utmMediums[r.intn(len(utmMediums))]

	switch x := r.float(); {
	case x < 0.5:
		c.links = 1
	case x < 0.85:
		c.links = 2
	default:
		c.links = 3
	}
	c.withCID = r.chance(0.7)
	mainHost := domain
	if r.chance(0.5) {
		mainHost = "www." + domain
	}
	c.target = make([]string, c.links)
	for l := range c.links {
		host := mainHost
		if l > 0 && r.chance(0.4) {
			host = subHosts[r.intn(len(subHosts))] + domain
		}
		path := landingPaths[r.intn(len(landingPaths))]
		if r.chance(0.5) {
			path += "/" + slugWord(f.Adjective()) + "-" + slugWord(f.Noun())
		}
		var b strings.Builder
		b.WriteString("https://")
		b.WriteString(host)
		b.WriteString(path)
		b.WriteString("?utm_source=sms&utm_medium=")
		b.WriteString(medium)
		b.WriteString("&utm_campaign=")
		b.WriteString(slug)
		if c.links > 1 {
			b.WriteString("&utm_content=link")
			b.WriteByte(byte('1' + l))
		}
		c.target[l] = b.String()
		ctr := 0.03 + 0.27*r.float()
		if l > 0 {
			ctr *= 0.5
		}
		c.ctr[l] = ctr
	}
	// 50 to 3000 recipients, log-uniform; 2 to 20 SMS per second.
	c.remaining = int(50 * math.Exp(r.float()*math.Log(60)))
	rates := [...]float64{2, 5, 10, 20}
	c.gapMeanMs = 1000 / rates[r.intn(len(rates))]
	c.halfLifeMs = 60_000 + 300_000*r.float()
	return c
}

// companySuffixes are dropped from company names when making a domain.
var companySuffixes = map[string]bool{
	"inc": true, "llc": true, "corp": true, "co": true, "corporation": true, "the": true,
	"ltd": true, "group": true, "incorporated": true, "lp": true, "llp": true, "an": true,
}

// brandName turns a company name into a lowercase domain label: its first one or two
// meaningful words, letters and digits only.
func brandName(company string) string {
	var b strings.Builder
	words := 0
	for w := range strings.FieldsFuncSeq(strings.ToLower(company), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		if companySuffixes[w] {
			continue
		}
		b.WriteString(w)
		words++
		if words == 2 || b.Len() >= 8 {
			break
		}
	}
	if b.Len() < 3 {
		b.WriteString("shop")
	}
	return b.String()
}

// slugWord keeps the lowercase ASCII letters of a word.
func slugWord(w string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(w) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "item"
	}
	return b.String()
}

// randStream is one reproducible source of randomness: a PCG, and an unlocked gofakeit
// Faker drawing from the same PCG.
type randStream struct {
	pcg *rand.PCG
	f   *gofakeit.Faker
}

func newRandStream(seed, salt uint64) randStream {
	p := rand.NewPCG(seed, mix64(seed^salt*0x9e3779b97f4a7c15))
	return randStream{pcg: p, f: gofakeit.NewFaker(p, false)}
}

func (r *randStream) u64() uint64 { return r.pcg.Uint64() }

// intn returns a value in [0, n), n > 0 (Lemire's multiply-shift; the bias is below
// n/2^64).
func (r *randStream) intn(n int) int {
	hi, _ := bits.Mul64(r.pcg.Uint64(), uint64(n))
	return int(hi)
}

// float returns a value in [0, 1).
func (r *randStream) float() float64 { return float64(r.pcg.Uint64()>>11) * 0x1p-53 }

func (r *randStream) chance(p float64) bool { return r.float() < p }

// expMs returns an exponentially distributed delay with the given half-life, in whole
// milliseconds.
func (r *randStream) expMs(halfLifeMs float64) int64 {
	return int64(-math.Log(1-r.float()) * halfLifeMs / math.Ln2)
}

const alnumChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// alnum fills b with random letters and digits.
func (r *randStream) alnum(b []byte) {
	var u uint64
	for i := range b {
		if i%8 == 0 { // 8 draws of 62 use under 48 of the 64 bits
			u = r.pcg.Uint64()
		}
		var hi uint64
		hi, u = bits.Mul64(u, 62)
		b[i] = alnumChars[hi]
	}
}

// digits fills b with random decimal digits.
func (r *randStream) digits(b []byte) {
	var u uint64
	for i := range b {
		if i%12 == 0 {
			u = r.pcg.Uint64()
		}
		var hi uint64
		hi, u = bits.Mul64(u, 10)
		b[i] = byte('0' + hi)
	}
}

// uuidInto writes a random (version 4, RFC 4122 variant) UUID in canonical lowercase form.
func (r *randStream) uuidInto(dst *[36]byte) {
	hi := r.pcg.Uint64()&^(0xf<<12) | 0x4<<12
	lo := r.pcg.Uint64()&^(0x3<<62) | 0x2<<62
	hexWord(dst[0:8], hi>>32)
	dst[8] = '-'
	hexWord(dst[9:13], hi>>16)
	dst[13] = '-'
	hexWord(dst[14:18], hi)
	dst[18] = '-'
	hexWord(dst[19:23], lo>>48)
	dst[23] = '-'
	hexWord(dst[24:36], lo)
}

// hexWord writes the low 4*len(dst) bits of v as lowercase hex digits.
func hexWord(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = hexDigits[v&0xf]
		v >>= 4
	}
}

// uuid returns a random version 4 UUID string.
func (r *randStream) uuid() string {
	var b [36]byte
	r.uuidInto(&b)
	return string(b[:])
}

// mix64 is SplitMix64's finalizer: a bijective scramble for deriving seeds.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// timedHeap is a min-heap of values keyed by a millisecond time, ties broken by insertion
// order, so pops are deterministic.
type timedHeap[T any] struct {
	items []timedItem[T]
	seq   uint64
}

type timedItem[T any] struct {
	at  int64
	seq uint64
	v   T
}

func (h *timedHeap[T]) len() int      { return len(h.items) }
func (h *timedHeap[T]) peekAt() int64 { return h.items[0].at }

func (a *timedItem[T]) less(b *timedItem[T]) bool {
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

func (h *timedHeap[T]) push(at int64, v T) {
	h.items = append(h.items, timedItem[T]{at: at, seq: h.seq, v: v})
	h.seq++
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.items[i].less(&h.items[p]) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *timedHeap[T]) pop() (int64, T) {
	top := h.items[0]
	n := len(h.items) - 1
	h.items[0] = h.items[n]
	var zero timedItem[T]
	h.items[n] = zero // drop the reference for the GC
	h.items = h.items[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.items[r].less(&h.items[l]) {
			m = r
		}
		if !h.items[m].less(&h.items[i]) {
			break
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
	return top.at, top.v
}

// ceilSecond turns a millisecond timestamp into a UTC time rounded up to the second:
// 8x8 documents occurredAt as "2025-10-03T12:00:00Z", and rounding up keeps every click
// at or after its SMS was sent and clicks in order.
func ceilSecond(ms int64) time.Time {
	return time.Unix((ms+999)/1000, 0).UTC()
}
