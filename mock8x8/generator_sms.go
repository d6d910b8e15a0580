package mock8x8

import (
	"math"
	"strings"
	"time"
	"unicode/utf16"
)

// inboundStream generates inbound_message_received payloads: replies from recipients to
// the account's virtual numbers, one every few seconds.
type inboundStream struct {
	rs      randStream
	nextMs  int64
	virtual [len(markets)]string // the account's virtual number in each market, once drawn
	subAcct [len(markets)]string // the sub-account that owns it
}

// NextInbound returns the next inbound SMS: a recipient's reply (a valid mobile number as
// source) to the account's virtual number in the recipient's country. Timestamps advance
// from the start time; the stream is independent of the click stream.
func (g *Generator) NextInbound() InboundMessage {
	if g.inbound == nil {
		g.inbound = &inboundStream{rs: newRandStream(g.seed, 0x1b0d), nextMs: g.startMs}
	}
	s := g.inbound
	r := &s.rs
	ts := s.nextMs
	s.nextMs += 200 + r.expMs(3000)

	m := pickMarket(r.u64())
	pool := mobilePool(m)
	if s.virtual[m] == "" {
		s.virtual[m] = pool[r.intn(len(pool))]
		s.subAcct[m] = subAccountName(r.f.Company(), r.intn(len(subAccountRoles))) + "_" + markets[m].region
	}
	source := pool[r.intn(len(pool))]
	for source == s.virtual[m] && len(pool) > 1 {
		source = pool[r.intn(len(pool))]
	}

	var body string
	if local := inboundLocal[markets[m].region]; len(local) > 0 && r.chance(0.5) {
		body = local[r.intn(len(local))]
	} else {
		body = inboundEnglish[r.intn(len(inboundEnglish))]
	}
	enc, parts := smsEncoding(body)
	per := round6(markets[m].perSMS / 10)
	return InboundMessage{
		UMID:         r.uuid(),
		SubAccountID: s.subAcct[m],
		Timestamp:    time.UnixMilli(ts).UTC(),
		Source:       source,
		Destination:  s.virtual[m],
		Body:         body,
		Encoding:     enc,
		SMSCount:     parts,
		Price:        Price{Total: round6(per * float64(parts)), PerSMS: per, Currency: "EUR"},
	}
}

// statusStream generates outbound_message_status_changed payloads (delivery receipts) for
// batches of outbound SMS.
type statusStream struct {
	rs      randStream
	nextMs  int64 // when the next SMS of the batch is sent
	batch   statusBatch
	pending timedHeap[StatusChange]
}

// statusBatch is one batch send: the fields its SMS share.
type statusBatch struct {
	market        int
	batchID       string
	clientBatchID string
	subAccountID  string
	source        string
	remaining     int
	gapMeanMs     float64
}

// NextStatusChange returns the next delivery receipt. Each outbound SMS (of a batch sent
// at a steady rate from the start time) gets one to three receipts with distinct states in
// lifecycle order (e.g. sent then delivered; or queued, sent, delivered; or sent then
// undelivered with an error code; or rejected, which carries no price). Receipts are
// emitted in non-decreasing status timestamp order. The stream is independent of the
// click stream.
func (g *Generator) NextStatusChange() StatusChange {
	if g.status == nil {
		s := &statusStream{rs: newRandStream(g.seed, 0x57a7), nextMs: g.startMs}
		s.batch = s.newBatch()
		g.status = s
	}
	s := g.status
	// Receipts trail their send by at least 50 ms.
	for s.pending.len() == 0 || s.pending.peekAt() > s.nextMs {
		s.sendSMS()
	}
	_, sc := s.pending.pop()
	return sc
}

// The sub-account roles a brand's sub-accounts are named after.
var subAccountRoles = []string{"Marketing", "Notify", "OTP", "Promo", "CS", "Alerts"}

// subAccountName makes a sub-account id like "Accenture_Promo" from a company name.
func subAccountName(company string, role int) string {
	b := []byte(brandName(company))
	b[0] -= 'a' - 'A'
	if b[0] < 'A' || b[0] > 'Z' { // started with a digit
		b[0] += 'a' - 'A'
	}
	return string(b) + "_" + subAccountRoles[role]
}

func (s *statusStream) newBatch() statusBatch {
	r := &s.rs
	b := statusBatch{market: pickMarket(r.u64()), batchID: r.uuid()}
	company := r.f.Company()
	b.subAccountID = subAccountName(company, r.intn(len(subAccountRoles)))
	if r.chance(0.6) {
		var d [6]byte
		r.digits(d[:])
		b.clientBatchID = "batch-" + string(d[:])
	}
	if r.chance(0.8) { // an alphanumeric sender id, at most 11 characters
		id := strings.ToUpper(brandName(company))
		b.source = id[:min(len(id), 11)]
	} else { // a virtual number
		pool := mobilePool(b.market)
		b.source = pool[r.intn(len(pool))]
	}
	b.remaining = 20 + r.intn(500)
	rates := [...]float64{5, 10, 20, 50}
	b.gapMeanMs = 1000 / rates[r.intn(len(rates))]
	return b
}

// Delivery failure reasons 8x8 documents for delivery receipts (code, message).
var (
	undeliveredErrors = []struct {
		code int
		msg  string
	}{
		{1, "Absent subscriber"}, {15, "Invalid destination"}, {28, "Permanent phone error"},
		{36, "SMS expired"}, {46, "Subscriber not reachable"}, {47, "Subscriber temporary unavailable"},
	}
	rejectedErrors = []struct {
		code int
		msg  string
	}{
		{26, "Operation barred"}, {41, "SMSC reject"}, {43, "Spam filter"},
	}
)

// sendSMS sends the batch's next SMS at nextSendMs and queues its receipts.
func (s *statusStream) sendSMS() {
	r := &s.rs
	b := &s.batch
	sent := s.nextMs
	pool := mobilePool(b.market)
	base := StatusChange{
		UMID:          r.uuid(),
		BatchID:       b.batchID,
		ClientBatchID: b.clientBatchID,
		SubAccountID:  b.subAccountID,
		Source:        b.source,
		Destination:   pool[r.intn(len(pool))],
		SMSCount:      1,
	}
	if r.chance(0.5) {
		var d [10]byte
		r.digits(d[:])
		base.ClientMessageID = "msg-" + string(d[:])
	}
	switch x := r.float(); {
	case x < 0.02:
		base.SMSCount = 3
	case x < 0.15:
		base.SMSCount = 2
	}
	per := markets[b.market].perSMS
	price := &Price{Total: round6(per * float64(base.SMSCount)), PerSMS: per, Currency: "EUR"}

	emit := func(at int64, state, detail string, code int, msg string, charged bool) {
		sc := base
		sc.Status = MessageStatus{State: state, Detail: detail, Timestamp: time.UnixMilli(at).UTC(), ErrorCode: code, ErrorMessage: msg}
		if charged {
			p := *price
			sc.Price = &p
		}
		s.pending.push(at, sc)
	}
	tQueued := sent + 50 + r.expMs(150)
	tSent := tQueued + 250 + r.expMs(800)
	tDone := tSent + 1000 + r.expMs(4000)
	switch x := r.float(); {
	case x < 0.62:
		emit(tSent, "sent", "", 0, "", true)
		emit(tDone, "delivered", "delivered_to_recipient", 0, "", true)
	case x < 0.80:
		emit(tDone, "delivered", "delivered_to_recipient", 0, "", true)
	case x < 0.87:
		emit(tQueued, "queued", "", 0, "", false)
		emit(tSent, "sent", "", 0, "", true)
		emit(tDone, "delivered", "delivered_to_recipient", 0, "", true)
	case x < 0.92:
		emit(tDone, "delivered", "delivered_to_operator", 0, "", true)
	case x < 0.97:
		e := undeliveredErrors[r.intn(len(undeliveredErrors))]
		emit(tSent, "sent", "", 0, "", true)
		emit(tDone+r.expMs(5*60*1000), "undelivered", "undelivered_to_recipient", e.code, e.msg, true)
	default:
		e := rejectedErrors[r.intn(len(rejectedErrors))]
		emit(tQueued, "rejected", "rejected_by_operator", e.code, e.msg, false)
	}

	s.nextMs = sent + r.expMs(b.gapMeanMs*math.Ln2)
	b.remaining--
	if b.remaining <= 0 {
		s.nextMs += 1000 + r.expMs(10_000)
		s.batch = s.newBatch()
	}
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// Inbound message bodies: common replies, and some in each market's language.
var (
	inboundEnglish = []string{
		"STOP", "Stop", "YES", "Yes", "Y", "No", "1", "2", "OK", "Ok thanks", "Thanks!",
		"UNSUBSCRIBE", "Who is this?", "Confirm", "Cancel", "HELP",
		"Hi, can I reschedule my appointment to tomorrow at 3pm?",
		"Is the promo still valid this weekend?",
		"My order hasn't arrived yet, can you check? Order #48213",
		"Please remove me from your list.",
		"Ok 👍",
		"Thank you! See you on Saturday 😊",
		"Hello, I received the link but it says the voucher has expired. I only got the message this morning and tried straight away. Could you please send a new code or extend it? Thanks in advance for your help with this.",
	}
	inboundLocal = map[string][]string{
		"ID": {"Ya", "Tidak", "Terima kasih", "Berhenti", "Kapan paketnya sampai?"},
		"MY": {"Ya", "Terima kasih", "Berhenti", "Boleh tukar tarikh temujanji?"},
		"PH": {"Opo", "Salamat po", "Hindi po", "Magkano po ito?"},
		"TH": {"ใช่", "ขอบคุณครับ", "ยกเลิก", "ส่งของเมื่อไหร่คะ"},
		"VN": {"Có", "Cảm ơn", "Hủy", "Khi nào giao hàng?"},
		"HK": {"好", "唔該", "取消", "幾時送到？"},
		"JP": {"はい", "ありがとうございます", "停止", "予約を変更できますか？"},
		"DE": {"Ja", "Nein", "Danke, bis morgen", "Bitte austragen"},
		"FR": {"Oui", "Non", "Merci, à demain", "STOP SMS"},
		"BR": {"Sim", "Não", "Obrigado", "Quando chega meu pedido?"},
		"MX": {"Sí", "No", "Gracias", "¿Cuándo llega mi pedido?"},
		"IN": {"Haan", "Dhanyavaad", "नमस्ते", "Order kab aayega?"},
	}
)

// gsm7Basic and gsm7Ext are the GSM 03.38 default alphabet and its extension table.
const (
	gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext = "^{}\\[~]|€\f"
)

// smsEncoding returns the encoding 8x8 would use for body (GSM7 when every character is
// in the GSM 03.38 alphabet, else UCS2) and how many SMS parts it takes (160/153 septets,
// or 70/67 UTF-16 units).
func smsEncoding(body string) (string, int) {
	septets := 0
	for _, c := range body {
		switch {
		case strings.ContainsRune(gsm7Basic, c):
			septets++
		case strings.ContainsRune(gsm7Ext, c):
			septets += 2
		default:
			units := len(utf16.Encode([]rune(body)))
			if units <= 70 {
				return "UCS2", 1
			}
			return "UCS2", (units + 66) / 67
		}
	}
	if septets <= 160 {
		return "GSM7", 1
	}
	return "GSM7", (septets + 152) / 153
}
