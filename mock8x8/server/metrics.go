package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// metrics are the server's Prometheus metrics, in a registry of its own so that two
// servers in one process do not share counters.
type metrics struct {
	registry  *prometheus.Registry
	generated prometheus.Counter
	attempts  *prometheus.CounterVec
	latency   prometheus.Histogram
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		generated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "clickcheck_events_generated_total",
			Help: "Events accepted for delivery: generated clicks and events posted verbatim.",
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clickcheck_attempts_total",
			Help: "Delivery attempts by result (delivered, retry, exhausted, rejected) and status class (2xx, 3xx, 4xx, 5xx, or error when no response came).",
		}, []string{"result", "status_class"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "clickcheck_delivery_latency_seconds",
			Help:    "How long each attempt took, from its start to its answer or failure.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16), // 0.5 ms to about 16 s
		}),
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "clickcheck_pending_retries",
		Help: "Deliveries waiting for an attempt: their first or a retry.",
	}, s.pendingRetries)
	m.registry.MustRegister(m.generated, m.attempts, m.latency, pending)
	// The runtime's own metrics too, under the same prefix: clickcheck_go_*, clickcheck_process_*.
	prometheus.WrapRegistererWithPrefix("clickcheck_", m.registry).MustRegister(
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) attempt(a mock8x8.Attempt) {
	m.attempts.WithLabelValues(string(a.Result), statusClass(a)).Inc()
	m.latency.Observe(a.FinishedAt.Sub(a.StartedAt).Seconds())
}

func statusClass(a mock8x8.Attempt) string {
	if a.Error != mock8x8.ErrNone || a.Status == 0 {
		return "error"
	}
	return string(rune('0'+a.Status/100)) + "xx"
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
