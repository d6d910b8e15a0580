// Package load generates open-model load against a webhook receiver: unique, realistic
// click events from the mock8x8 generator, sent at a target arrival rate (constant,
// ramping, or a campaign's decaying spike) whether or not the receiver keeps up, with
// failed deliveries retried on 8x8's schedule.
//
// Latency is measured from each attempt's intended send time, so a receiver that stalls
// raises every percentile instead of slowing the sender down (no coordinated omission).
// A Report accounts for every event: generated = delivered + exhausted + rejected + pending.
package load
