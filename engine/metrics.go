package engine

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"acuerdo/agent"
)

// Metrics are the engine's Prometheus series. A nil *Metrics records nothing, so
// tests and tools need not register any.
type Metrics struct {
	Inbound         *prometheus.CounterVec
	Outbound        *prometheus.CounterVec
	Statuses        *prometheus.CounterVec
	Held            *prometheus.CounterVec
	TurnLatency     *prometheus.HistogramVec
	ModelCalls      prometheus.Counter
	PromptTokens    prometheus.Counter
	ModelCost       prometheus.Counter
	ToolCalls       *prometheus.CounterVec
	GuardRefusals   *prometheus.CounterVec
	WebhookRejected *prometheus.CounterVec
}

// NewMetrics registers the series on reg; with db, also the queue depths as
// gauges read at scrape time.
func NewMetrics(reg prometheus.Registerer, db Depths) *Metrics {
	const ns = "acuerdo"
	m := &Metrics{
		Inbound:         prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "inbound_messages_total", Help: "Inbound messages stored, by channel."}, []string{"channel"}),
		Outbound:        prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "outbound_messages_total", Help: "Outbound send attempts, by channel and result."}, []string{"channel", "result"}),
		Statuses:        prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "message_status_callbacks_total", Help: "Delivery status callbacks, by status."}, []string{"status"}),
		Held:            prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "outbound_held_total", Help: "Outbound messages held by policy, by rule."}, []string{"rule"}),
		TurnLatency:     prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "turn_seconds", Help: "Turn latency, by handler.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"handler"}),
		ModelCalls:      prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "model_calls_total", Help: "Language model calls."}),
		PromptTokens:    prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "model_prompt_tokens_total", Help: "Prompt tokens sent to models."}),
		ModelCost:       prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "model_cost_usd_total", Help: "Cost of model calls in USD, from the dated price table."}),
		ToolCalls:       prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "tool_calls_total", Help: "Tool calls, by tool and outcome."}, []string{"tool", "outcome"}),
		GuardRefusals:   prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "guard_refusals_total", Help: "Refusals by tools, policy and output checks, by rule."}, []string{"rule"}),
		WebhookRejected: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "webhook_rejections_total", Help: "Webhook requests rejected, by reason."}, []string{"reason"}),
	}
	reg.MustRegister(m.Inbound, m.Outbound, m.Statuses, m.Held, m.TurnLatency, m.ModelCalls, m.PromptTokens, m.ModelCost, m.ToolCalls, m.GuardRefusals, m.WebhookRejected)
	if db != nil {
		gauge := func(name, help string, f func(context.Context) (int, error)) {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: name, Help: help}, func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				n, err := f(ctx)
				if err != nil {
					return -1
				}
				return float64(n)
			}))
		}
		gauge("outbox_depth", "Outbound messages waiting to be sent.", db.OutboxDepth)
		gauge("pending_turns", "Conversations waiting for a turn.", db.PendingTurns)
	}
	return m
}

func (m *Metrics) inbound(channel string) {
	if m != nil {
		m.Inbound.WithLabelValues(channel).Inc()
	}
}

func (m *Metrics) outbound(channel, result string) {
	if m != nil {
		m.Outbound.WithLabelValues(channel, result).Inc()
	}
}

func (m *Metrics) status(s string) {
	if m != nil {
		m.Statuses.WithLabelValues(s).Inc()
	}
}

func (m *Metrics) held(rule string) {
	if m != nil {
		m.Held.WithLabelValues(rule).Inc()
	}
}

// Rejected counts a rejected webhook request (bad signature, bad form).
func (m *Metrics) Rejected(reason string) {
	if m != nil {
		m.WebhookRejected.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) turn(r agent.Result, d time.Duration) {
	if m == nil {
		return
	}
	m.TurnLatency.WithLabelValues(r.Handler).Observe(d.Seconds())
	m.ModelCalls.Add(float64(r.ModelCalls))
	m.PromptTokens.Add(float64(r.PromptTokens))
	m.ModelCost.Add(r.CostUSD)
	for i, t := range r.Tools {
		m.ToolCalls.WithLabelValues(t, r.Outcomes[i]).Inc()
	}
	for _, rule := range r.Refusals {
		m.GuardRefusals.WithLabelValues(rule).Inc()
	}
}
