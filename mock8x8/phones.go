package mock8x8

import (
	"math/bits"
	"math/rand/v2"
	"regexp"
	"runtime"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// market is one country 8x8 delivers SMS to, with its share of generated traffic.
type market struct {
	region string  // ISO 3166 region code, as libphonenumber names it
	weight uint32  // relative share of recipients
	tld    string  // the country's usual commercial domain suffix
	perSMS float64 // outbound price per SMS part, EUR (made up but plausible)
}

// markets is the weighted country mix of generated recipients: 8x8's APAC core first.
var markets = [...]market{
	{"SG", 14, "com.sg", 0.0395},
	{"PH", 12, "com.ph", 0.0185},
	{"ID", 12, "co.id", 0.0380},
	{"IN", 11, "in", 0.0045},
	{"AU", 8, "com.au", 0.0355},
	{"US", 8, "com", 0.0075},
	{"GB", 5, "co.uk", 0.0350},
	{"MY", 6, "com.my", 0.0290},
	{"TH", 5, "co.th", 0.0160},
	{"VN", 4, "vn", 0.0420},
	{"HK", 4, "com.hk", 0.0425},
	{"JP", 3, "jp", 0.0690},
	{"NZ", 2, "co.nz", 0.0800},
	{"DE", 2, "de", 0.0750},
	{"FR", 2, "fr", 0.0650},
	{"BR", 1, "com.br", 0.0150},
	{"MX", 1, "com.mx", 0.0250},
}

// marketCum holds the cumulative weights of markets, for weighted picks.
var marketCum, marketTotal = func() ([len(markets)]uint32, uint32) {
	var cum [len(markets)]uint32
	var t uint32
	for i, m := range markets {
		t += m.weight
		cum[i] = t
	}
	return cum, t
}()

// pickMarket maps a uniform 64-bit value to a market index by weight.
func pickMarket(u uint64) int {
	hi, _ := bits.Mul64(u, uint64(marketTotal))
	x := uint32(hi)
	for i, c := range marketCum {
		if x < c {
			return i
		}
	}
	return len(markets) - 1
}

// MobileRegions returns the region codes generated recipients come from, in the order of
// their share of traffic (largest first, ties in a fixed order).
func MobileRegions() []string {
	out := make([]string, len(markets))
	for i, m := range markets {
		out[i] = m.region
	}
	return out
}

// phonePoolSize is how many distinct valid mobile numbers each market's pool holds.
const phonePoolSize = 4096

// phonePoolSeed seeds pool construction: pools are identical across runs and machines
// (for one libphonenumber metadata version), whatever generator seed is in use.
const phonePoolSeed = 0x8a8_5e7d_c11c_4b1d

var (
	phonePoolsOnce sync.Once
	phonePools     [len(markets)][]string // E.164 numbers, per market
)

// mobilePool returns market i's pool of E.164 mobile numbers, building every pool on first
// use. Every number in it is valid for its region and of type MOBILE or
// FIXED_LINE_OR_MOBILE by libphonenumber's metadata and rules.
func mobilePool(i int) []string {
	phonePoolsOnce.Do(buildPhonePools)
	return phonePools[i]
}

// buildPhonePools fills phonePools, markets in parallel; each market's pool depends only on
// its own fixed seed, so the result does not depend on scheduling.
func buildPhonePools() {
	work := make(chan int, len(markets))
	for i := range markets {
		work <- i
	}
	close(work)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(markets)) {
		wg.Go(func() {
			for i := range work {
				phonePools[i] = buildPhonePool(markets[i].region, uint64(i))
			}
		})
	}
	wg.Wait()
}

// buildPhonePool returns up to phonePoolSize distinct valid mobile numbers for region.
//
// It starts from libphonenumber's example mobile number (its length and leading digit),
// discovers valid leading-digit prefixes by random search, then fills the pool with numbers
// that extend the discovered prefixes with random digits. Every candidate is classified
// with the region's own metadata (see mobileClassifier); rejects are dropped.
func buildPhonePool(region string, salt uint64) []string {
	cls := newMobileClassifier(region)
	if cls == nil {
		return nil
	}
	r := rand.New(rand.NewPCG(phonePoolSeed, phonePoolSeed^(salt+1)*0x9e3779b97f4a7c15))
	example := cls.example
	n := len(example)
	prefixLen := 3
	if n >= 10 {
		prefixLen = 4
	}
	cc := strconv.Itoa(int(cls.countryCode))

	seen := make(map[string]struct{}, phonePoolSize)
	pool := make([]string, 0, phonePoolSize)
	var prefixes []string
	prefixSeen := make(map[string]struct{})
	buf := make([]byte, n)
	add := func(nn []byte) {
		s := string(nn)
		if _, dup := seen[s]; dup {
			return
		}
		seen[s] = struct{}{}
		pool = append(pool, "+"+cc+s)
		p := s[:prefixLen]
		if _, ok := prefixSeen[p]; !ok {
			prefixSeen[p] = struct{}{}
			prefixes = append(prefixes, p)
		}
	}
	fill := func(from int) {
		for j := from; j < n; j++ {
			buf[j] = byte('0' + r.IntN(10))
		}
	}
	if cls.isMobile(example) { // its prefix, not the number itself: examples look fake
		p := example[:prefixLen]
		prefixSeen[p] = struct{}{}
		prefixes = append(prefixes, p)
	}
	// Discovery: free first digit, or the example's first digit.
	const maxPrefixes = 96
	for try := 0; try < 3000 && len(prefixes) < maxPrefixes; try++ {
		if try%2 == 0 {
			buf[0] = byte('1' + r.IntN(9))
		} else {
			buf[0] = example[0]
		}
		fill(1)
		if cls.isMobile(string(buf)) {
			add(buf)
		}
	}
	if len(prefixes) == 0 { // no valid example and nothing found: the region cannot be served
		return nil
	}
	// Fill: a discovered prefix plus random digits.
	for try := 0; try < 8*phonePoolSize && len(pool) < phonePoolSize; try++ {
		copy(buf, prefixes[r.IntN(len(prefixes))])
		fill(prefixLen)
		if cls.isMobile(string(buf)) {
			add(buf)
		}
	}
	return pool
}

// mobileClassifier answers, for one region, what phonenumbers.IsValidNumberForRegion plus
// phonenumbers.GetNumberType answer for a national significant number (valid, and MOBILE
// or FIXED_LINE_OR_MOBILE), from the same metadata and in the same order of checks, but
// with its regular expressions compiled once. The library rebuilds and looks up each
// pattern string per call, which costs about 20 µs per number; this takes about 1 µs.
// Tests compare the two on random candidates.
type mobileClassifier struct {
	countryCode        int32
	example            string // the metadata's example mobile number (national significant number)
	general            descMatcher
	special            []descMatcher // premium rate, toll free, shared cost, VoIP, personal, pager, UAN, voicemail
	fixed              descMatcher
	mobile             descMatcher
	sameMobileAndFixed bool
}

// descMatcher is one compiled PhoneNumberDesc: possible lengths and the national number
// pattern, matched in full.
type descMatcher struct {
	lengths []int32
	re      *regexp.Regexp // nil when the pattern is empty: matches nothing
}

func newDescMatcher(d *phonenumbers.PhoneNumberDesc) descMatcher {
	p := d.GetNationalNumberPattern()
	if p == "" {
		return descMatcher{}
	}
	return descMatcher{lengths: d.GetPossibleLength(), re: regexp.MustCompile("^(?:" + p + ")$")}
}

// matches mirrors the library's isNumberMatchingDesc.
func (d *descMatcher) matches(nn string) bool {
	if d.re == nil {
		return false
	}
	if len(d.lengths) > 0 {
		ok := false
		for _, l := range d.lengths {
			if int(l) == len(nn) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return d.re.MatchString(nn)
}

// newMobileClassifier builds the classifier for region, or returns nil when
// libphonenumber has no metadata for it.
func newMobileClassifier(region string) *mobileClassifier {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil
	}
	for _, md := range coll.GetMetadata() {
		if md.GetId() != region {
			continue
		}
		c := &mobileClassifier{
			countryCode:        md.GetCountryCode(),
			example:            md.GetMobile().GetExampleNumber(),
			general:            newDescMatcher(md.GetGeneralDesc()),
			fixed:              newDescMatcher(md.GetFixedLine()),
			mobile:             newDescMatcher(md.GetMobile()),
			sameMobileAndFixed: md.GetSameMobileAndFixedLinePattern(),
		}
		for _, d := range []*phonenumbers.PhoneNumberDesc{
			md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(), md.GetVoip(),
			md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail(),
		} {
			c.special = append(c.special, newDescMatcher(d))
		}
		if c.example == "" {
			return nil
		}
		return c
	}
	return nil
}

// isMobile reports whether the national significant number nn (digits only) is a valid
// number of the region whose type is MOBILE or FIXED_LINE_OR_MOBILE: the library's
// getNumberTypeHelper, in the same order.
func (c *mobileClassifier) isMobile(nn string) bool {
	if nn == "" || nn[0] == '0' { // a leading zero would be lost in the E.164 form
		return false
	}
	if !c.general.matches(nn) {
		return false
	}
	for i := range c.special {
		if c.special[i].matches(nn) {
			return false
		}
	}
	if c.fixed.matches(nn) {
		return c.sameMobileAndFixed || c.mobile.matches(nn)
	}
	return !c.sameMobileAndFixed && c.mobile.matches(nn)
}
