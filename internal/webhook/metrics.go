package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts delivery attempts by what they came to, and times them.
type Metrics struct {
	attempts *prometheus.CounterVec
	latency  prometheus.Histogram
}

// NewMetrics registers the webhook metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contacthub_webhook_attempts_total",
			Help: "Webhook delivery attempts by the delivery's state after them (succeeded, pending: to retry, failed, dead).",
		}, []string{"state"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "contacthub_webhook_attempt_duration_seconds",
			Help:    "How long receivers took to answer webhook deliveries (or to fail).",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	for _, c := range []prometheus.Collector{m.attempts, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe counts one recorded attempt; a nil Metrics counts nothing.
func (m *Metrics) observe(state string, latency time.Duration) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(state).Inc()
	m.latency.Observe(latency.Seconds())
}
