package mock8x8

import (
	"sync"
	"time"
	"unsafe"

	"github.com/klauspost/compress/s2"
)

// packDict is the dictionary pending bodies are compressed with: generated clicks hold
// every field's usual shapes (the envelope, field names, URL shapes), within S2's 64 KiB
// limit. Built once, by the first NewEngine.
var packDict = sync.OnceValue(func() *s2.Dict {
	gen := NewGenerator(0x5eed, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var sample []byte
	for range 32 {
		sample = append(sample, gen.Next().Body...)
	}
	return s2.MakeDict(sample, []byte(`{"namespace":"SMS","eventType":`))
})

// pack returns ev with its body compressed, for an event that waits for a retry: a
// receiver that fails everything leaves hundreds of thousands of them pending, and their
// JSON is most of the engine's memory. A click packs to about 40% of its size. The ID
// and the compressed body share one allocation of exactly their size (the ID was a
// slice of the JSON, which must not stay alive), so a pending event costs one small
// object.
func pack(ev Event) Event {
	sp := packScratch.Get().(*[]byte)
	c := packDict().EncodeBetter((*sp)[:cap(*sp)], bytesOf(ev.Body))
	both := make([]byte, len(ev.ID)+len(c))
	copy(both, ev.ID)
	copy(both[len(ev.ID):], c)
	*sp = c[:0] // keep the scratch, grown if the body needed it
	packScratch.Put(sp)
	s := unsafe.String(unsafe.SliceData(both), len(both)) // both is never written again
	return Event{ID: s[:len(ev.ID)], Type: ev.Type, Body: s[len(ev.ID):]}
}

// packScratch holds buffers EncodeBetter writes into before the exact copy.
var packScratch = sync.Pool{New: func() any { return new([]byte) }}

// unpack returns the event pack was given.
func unpack(ev Event) (Event, error) {
	b, err := packDict().Decode(nil, bytesOf(ev.Body))
	if err != nil {
		return ev, err
	}
	ev.Body = unsafe.String(unsafe.SliceData(b), len(b)) // b is ours and never written again
	return ev, nil
}

// bytesOf views s as bytes without copying, for functions that only read them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
