package load

import (
	"context"
	"strings"
	"time"
	"unsafe"

	"github.com/klauspost/compress/s2"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// packer keeps events waiting for a retry small. A receiver that fails everything leaves
// hundreds of thousands of them pending, and their JSON is most of the memory: S2 with a
// dictionary of generated clicks (the envelope, field names, URL shapes) stores a click in
// about 40% of its size, and unpacks it in well under a microsecond.
type packer struct {
	dict *s2.Dict
}

// dictionaryClicks is how many generated clicks the dictionary holds: enough for every
// field's usual shapes, within S2's 64 KiB limit.
const dictionaryClicks = 32

func newPacker() *packer {
	gen := mock8x8.NewGenerator(0x5eed, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var sample []byte
	for range dictionaryClicks {
		sample = append(sample, gen.Next().Body...)
	}
	return &packer{dict: s2.MakeDict(sample, []byte(`{"namespace":"SMS","eventType":`))}
}

// pack returns ev with its body compressed; the ID stays readable for the journal.
func (p *packer) pack(ev mock8x8.Event) mock8x8.Event {
	c := p.dict.EncodeBetter(nil, bytesOf(ev.Body))
	// The ID is a slice of the body: clone it, so the JSON can be collected.
	return mock8x8.Event{ID: strings.Clone(ev.ID), Type: ev.Type, Body: string(c)}
}

// unpack returns the event pack was given.
func (p *packer) unpack(ev mock8x8.Event) (mock8x8.Event, error) {
	b, err := p.dict.Decode(nil, bytesOf(ev.Body))
	if err != nil {
		return ev, err
	}
	ev.Body = unsafe.String(unsafe.SliceData(b), len(b)) // b is ours and never written again
	return ev, nil
}

// bytesOf views s as bytes without copying, for functions that only read them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// packedSender is the Attempter the retry engine uses: it unpacks each event and hands it
// to the real sender.
type packedSender struct {
	inner   mock8x8.Attempter
	packer  *packer
	url     string
	timeout time.Duration
}

// Send unpacks ev and makes the attempt.
func (s *packedSender) Send(ctx context.Context, ev mock8x8.Event) mock8x8.Outcome {
	full, err := s.packer.unpack(ev)
	if err != nil { // only if memory was corrupted: say so rather than send garbage
		now := time.Now()
		return mock8x8.Outcome{Error: mock8x8.ErrOther, Message: "load: the pending event could not be unpacked: " + err.Error(), Started: now, Finished: now}
	}
	return s.inner.Send(ctx, full)
}

// URL is the receiver's URL, for the journal's records.
func (s *packedSender) URL() string { return s.url }

// Timeout is the per-attempt timeout, for the drain's bound.
func (s *packedSender) Timeout() time.Duration { return s.timeout }
