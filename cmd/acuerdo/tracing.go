package main

import (
	"context"

	"acuerdo/agent"
	"acuerdo/engine"
	"acuerdo/otlp"
)

// Tracing (OTEL_EXPORTER_OTLP_ENDPOINT) wraps what the engine is given, so
// spans come from the seams and no package below cmd knows about them: a
// turn (engine → agent), each model call inside it (its child, through the
// turn's context), and each send to a provider.

// tracedTurner records a "turn" span around each agent turn.
type tracedTurner struct {
	next engine.Turner
	t    *otlp.Tracer
}

func (a tracedTurner) Turn(ctx context.Context, conversationID int64, in agent.Inbound) (agent.Result, error) {
	ctx, span := a.t.Start(ctx, "turn", otlp.KindInternal)
	defer span.End()
	span.Set("acuerdo.conversation.id", conversationID)
	res, err := a.next.Turn(ctx, conversationID, in)
	span.Fail(err)
	span.Set("acuerdo.turn.handler", res.Handler)
	span.Set("acuerdo.turn.replies", len(res.Replies))
	span.Set("acuerdo.turn.model_calls", res.ModelCalls)
	return res, err
}

// UsesModel passes on what the traced agent says of itself, so tracing does
// not change which turns take a model slot.
func (a tracedTurner) UsesModel() bool {
	mu, ok := a.next.(engine.ModelUser)
	return !ok || mu.UsesModel()
}

// tracedModel records a "chat" span for each model call, with the
// OpenTelemetry gen_ai attributes.
type tracedModel struct {
	next agent.Model
	t    *otlp.Tracer
}

func (m tracedModel) Generate(ctx context.Context, req agent.Request) (agent.Response, error) {
	ctx, span := m.t.Start(ctx, "chat", otlp.KindClient)
	defer span.End()
	span.Set("gen_ai.operation.name", "chat")
	resp, err := m.next.Generate(ctx, req)
	span.Fail(err)
	if err == nil {
		span.Set("gen_ai.system", resp.Usage.Provider)
		span.Set("gen_ai.response.model", resp.Usage.Model)
		span.Set("gen_ai.response.finish_reasons", resp.FinishReason)
		span.Set("gen_ai.usage.input_tokens", resp.Usage.PromptTokens)
		span.Set("gen_ai.usage.output_tokens", resp.Usage.CompletionTokens)
		span.Set("acuerdo.model.attempts", resp.Usage.Attempts)
	}
	return resp, err
}

// tracedSender records a "send" span for each message handed to a channel.
type tracedSender struct {
	engine.Sender
	channel string
	t       *otlp.Tracer
}

func (s tracedSender) SendText(ctx context.Context, to, body string) (engine.Sent, error) {
	ctx, span := s.t.Start(ctx, "send", otlp.KindClient)
	defer span.End()
	span.Set("acuerdo.channel", s.channel)
	span.Set("acuerdo.send.kind", "text")
	sent, err := s.Sender.SendText(ctx, to, body)
	s.finish(span, sent, err)
	return sent, err
}

func (s tracedSender) SendTemplate(ctx context.Context, to string, tpl engine.Template) (engine.Sent, error) {
	ctx, span := s.t.Start(ctx, "send", otlp.KindClient)
	defer span.End()
	span.Set("acuerdo.channel", s.channel)
	span.Set("acuerdo.send.kind", "template")
	sent, err := s.Sender.SendTemplate(ctx, to, tpl)
	s.finish(span, sent, err)
	return sent, err
}

func (s tracedSender) finish(span *otlp.Span, sent engine.Sent, err error) {
	if err != nil {
		span.Fail(err)
		if code := s.Code(err); code != "" {
			span.Set("acuerdo.send.error_code", code)
		}
		return
	}
	span.Set("messaging.message.id", sent.ID)
	span.Set("acuerdo.send.status", sent.Status)
}

// traceSenders wraps every sender; with t nil it returns them as they are.
func traceSenders(t *otlp.Tracer, senders map[string]engine.Sender) map[string]engine.Sender {
	if t == nil {
		return senders
	}
	out := make(map[string]engine.Sender, len(senders))
	for ch, s := range senders {
		out[ch] = tracedSender{Sender: s, channel: ch, t: t}
	}
	return out
}

// startTraces exports spans until the returned stop is called, which flushes
// what is left. Like the engine, it outlives ctx: a drain's spans still go out.
func startTraces(ctx context.Context, t *otlp.Tracer) (stop func()) {
	if t == nil {
		return func() {}
	}
	run, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); t.Run(run) }()
	return func() { cancel(); <-done }
}
