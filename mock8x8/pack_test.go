package mock8x8

import (
	"sync"
	"testing"
	"time"
)

func TestPack_RoundTripsEveryEventAndSavesMemory(t *testing.T) {
	gen := NewGenerator(77, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	events := []Event{
		{ID: "verbatim-1", Type: "whatever", Body: `{"not":"a click at all","n":[1,2,3]}`},
		{ID: "empty", Body: ""},
		gen.NextInbound().Event(),
		gen.NextStatusChange().Event(),
	}
	for range 200 {
		events = append(events, gen.Next())
	}
	var in, out int
	var wg sync.WaitGroup
	for w := range 4 { // concurrently, as the engine's workers do
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(events); i += 4 {
				ev := events[i]
				packed := pack(ev)
				if packed.ID != ev.ID || packed.Type != ev.Type {
					t.Errorf("packed event %q/%q, want ID and type kept as %q/%q", packed.ID, packed.Type, ev.ID, ev.Type)
				}
				back, err := unpack(packed)
				if err != nil || back != ev {
					t.Errorf("event %d did not survive packing: %v\n got %q\nwant %q", i, err, back.Body, ev.Body)
				}
			}
		}()
	}
	wg.Wait()
	for _, ev := range events[4:] {
		in += len(ev.Body)
		out += len(pack(ev).Body)
	}
	if ratio := float64(out) / float64(in); ratio > 0.5 {
		t.Errorf("generated clicks pack to %.0f%% of their JSON, want at most 50%%: pending retries are held packed", 100*ratio)
	}
}
