package hooks

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the webhook sender's Prometheus series. A nil *Metrics records
// nothing.
type Metrics struct {
	Attempts *prometheus.CounterVec
	Events   *prometheus.CounterVec
	Latency  prometheus.Histogram
}

// Backlog is what the gauges read at scrape time.
type Backlog interface {
	EventBacklog(ctx context.Context) (pending, failed int, err error)
}

// NewMetrics registers the series on reg; with b, also the number of events
// waiting and given up on.
func NewMetrics(reg prometheus.Registerer, b Backlog) *Metrics {
	const ns = "acuerdo"
	m := &Metrics{
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "webhook_attempts_total",
			Help: "Event webhook POSTs, by result: ok, http_error, timeout, error."}, []string{"result"}),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "webhook_events_total",
			Help: "Event delivery rounds, by outcome: delivered, retry, failed (given up)."}, []string{"outcome"}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "webhook_attempt_seconds",
			Help: "Time the receiver took to answer a webhook POST.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
	}
	reg.MustRegister(m.Attempts, m.Events, m.Latency)
	if b != nil {
		read := func(failed bool) func() float64 {
			return func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				p, f, err := b.EventBacklog(ctx)
				if err != nil {
					return -1
				}
				if failed {
					return float64(f)
				}
				return float64(p)
			}
		}
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "webhook_events_pending", Help: "Events waiting for delivery."}, read(false)))
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "webhook_events_failed", Help: "Events given up on after the last attempt."}, read(true)))
	}
	return m
}

func (m *Metrics) attempt(result string, d time.Duration) {
	if m != nil {
		m.Attempts.WithLabelValues(result).Inc()
		m.Latency.Observe(d.Seconds())
	}
}

func (m *Metrics) event(outcome string) {
	if m != nil {
		m.Events.WithLabelValues(outcome).Inc()
	}
}
