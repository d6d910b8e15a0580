package mock8x8

import "sync"

// Test hooks for the external test package.

// MobilePoolForTest returns the pool of E.164 mobile numbers built for region, or nil.
func MobilePoolForTest(region string) []string {
	for i, m := range markets {
		if m.region == region {
			return mobilePool(i)
		}
	}
	return nil
}

var (
	classifiersMu sync.Mutex
	classifiers   = map[string]*mobileClassifier{}
)

// IsMobileForTest runs the pools' fast classifier for region on a national significant
// number.
func IsMobileForTest(region, nationalNumber string) bool {
	classifiersMu.Lock()
	c, ok := classifiers[region]
	if !ok {
		c = newMobileClassifier(region)
		classifiers[region] = c
	}
	classifiersMu.Unlock()
	return c != nil && c.isMobile(nationalNumber)
}
