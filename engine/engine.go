// Package engine is acuerdo's heart. It takes inbound messages, runs one agent
// turn at a time per conversation, and delivers outbound messages through the
// outbox under the contact policy and the 24-hour window, with retries.
//
// All work lives in rows claimed with leases (pending turns, the outbox), never
// only in memory: a crash loses nothing acknowledged, a restart resumes, and
// several replicas can share one database. Channels in memory only wake workers.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/policy"
	"acuerdo/prompts"
	"acuerdo/store"
)

// Turner runs one agent turn.
type Turner interface {
	Turn(ctx context.Context, conversationID int64, in agent.Inbound) (agent.Result, error)
}

// ModelUser is what a Turner may say of itself: whether its turns may call a
// language model. Only those turns take one of Config.ModelSlots, which exist
// to bound concurrent calls to a paid, rate-limited API; an offline agent
// answers in a few hundred microseconds, and a slot would only queue its turns
// behind each other's database writes. A Turner that does not say is assumed
// to call a model.
type ModelUser interface {
	UsesModel() bool
}

// Sent is a provider's acceptance of a message.
type Sent struct {
	ID     string
	Status string
}

// Template is an approved template ready to send: the provider's content id,
// and the text the debtor will read (for channels that render it themselves).
type Template struct {
	Name, Locale, ContentID, Text string
	Variables                     map[string]string // positional: "1", "2", ...
}

// Sender delivers messages on one channel.
type Sender interface {
	SendText(ctx context.Context, to, body string) (Sent, error)
	SendTemplate(ctx context.Context, to string, t Template) (Sent, error)
	// Permanent reports whether an error of this sender will not go away by
	// retrying; Code returns the provider's error code, if any.
	Permanent(err error) bool
	Code(err error) string
}

// SendErrors is what a Sender may also tell about its errors. A Sender
// without it gets the answers of a provider that says nothing: never
// ambiguous, no wait asked, no unsubscription.
type SendErrors interface {
	// Ambiguous reports whether the provider may have accepted the message
	// although the call failed (a timeout after the request went out): such a
	// send is reconciled (Finder) before any resend, never blindly retried.
	Ambiguous(err error) bool
	// RetryAfter is how long the provider asked to wait before the next
	// attempt (a Retry-After header), 0 if it did not ask.
	RetryAfter(err error) time.Duration
	// Unsubscribed reports whether the error says the recipient told the
	// provider to stop (Twilio's 21610): an opt-out to record.
	Unsubscribed(err error) bool
}

// Finder is a Sender that can tell whether a message was accepted, so that a
// send interrupted by a crash is reconciled instead of sent twice.
type Finder interface {
	Find(ctx context.Context, to, body string, since time.Time) (Sent, bool, error)
}

// Config builds an Engine.
type Config struct {
	// Store is the database (*store.DB, on SQLite or PostgreSQL).
	Store   Store
	Agent   Turner
	Senders map[string]Sender // by channel: acuerdo.ChannelWhatsApp, acuerdo.ChannelSandbox
	Policy  policy.Config
	// Templates maps "name/locale" to the provider's content id (ContentSid).
	Templates map[string]string
	Clock     acuerdo.Clock
	Logger    *slog.Logger
	Metrics   *Metrics
	// Workers run turns of different conversations in parallel (default 16).
	// A turn spends most of its time waiting (on its commit, on a model), so
	// more workers than cores keep both busy; on SQLite they also make the
	// commit groups larger, which cuts the CPU of each turn: on a 2-core
	// machine the offline backlog went from 1,290–2,930 turns/s with 8 to
	// 2,400–3,200 with 16 (ARCHITECTURE, Speed). On PostgreSQL they share
	// the pool's connections with the webhooks (store.Options.ReadConns).
	Workers int
	// ModelSlots bounds concurrent turns that may call a model (default 4);
	// turns of an Agent that says it calls none (ModelUser) are not bounded.
	ModelSlots int
	// Lease is how long a claimed turn is reserved without news from its
	// worker (default 15 s). The worker renews it every third of that while
	// the turn runs, so a slow turn keeps it and a dead worker's turn is taken
	// over soon; a worker that lost its lease discards its reply.
	Lease time.Duration
	// TurnTimeout bounds one turn, model budget and menu fallback included
	// (default 2 min): a turn stuck past it is cancelled and retried, so a
	// renewed lease cannot hold a conversation for ever. The debtor's answer
	// comes much sooner: the agent's model budget (agent.Config.ModelBudget)
	// hands the turn to the menu engine well inside it.
	TurnTimeout time.Duration
	// ShutdownGrace is how long Run lets turns in flight finish after its
	// context ends (default 20 s); then their contexts are cancelled and
	// their claims released for the next start.
	ShutdownGrace time.Duration
	// SendLease is how long claimed outbox rows are reserved (default 30 s):
	// short, so a crashed sender's messages go out soon after a restart.
	SendLease time.Duration
	// StaleSend is how long a send may stay unanswered before it is presumed
	// interrupted and reconciled with the provider (default 1 min): longer than
	// any provider call's timeout.
	StaleSend time.Duration
	// Rank orders message statuses for callbacks arriving in any order.
	Rank func(status string) int
	// Unreachable says why a provider error code means the recipient cannot
	// be reached at all (an invalid number, not on WhatsApp…), "" for any
	// other code; nil marks nobody unreachable.
	Unreachable func(code string) string
	// NudgeAfter is the silence before "are you still there?" (default 5 min).
	NudgeAfter time.Duration
	// Poll is how often idle workers look for work they were not woken for.
	Poll time.Duration
}

// Engine runs turns and delivers messages.
type Engine struct {
	cfg      Config
	turnWake chan struct{}
	outWake  chan struct{}
	limiter  *rate.Limiter
	slots    chan struct{} // nil: the agent calls no model, turns take no slot
	waits    variantWaits  // the scheduler's, between its rounds
	inflight sync.WaitGroup
}

// New returns an engine; Run starts it.
func New(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = acuerdo.SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.ModelSlots <= 0 {
		cfg.ModelSlots = 4
	}
	if cfg.Lease <= 0 {
		// Short because a running turn renews it every Lease/3: what the length
		// buys is how soon another replica takes over a dead one's turns
		// (issue 12 asks for ~15 s), not how long a turn may run.
		cfg.Lease = 15 * time.Second
	}
	if cfg.TurnTimeout <= 0 {
		cfg.TurnTimeout = 2 * time.Minute
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 20 * time.Second
	}
	if cfg.SendLease <= 0 {
		cfg.SendLease = 30 * time.Second
	}
	if cfg.StaleSend <= 0 {
		cfg.StaleSend = time.Minute
	}
	if cfg.NudgeAfter <= 0 {
		cfg.NudgeAfter = 5 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Rank == nil {
		cfg.Rank = defaultRank
	}
	perSec := cfg.Policy.SendRatePerSecond
	if perSec <= 0 {
		perSec = 10
	}
	e := &Engine{
		cfg:      cfg,
		turnWake: make(chan struct{}, 1),
		outWake:  make(chan struct{}, 1),
		limiter:  rate.NewLimiter(rate.Limit(perSec), int(max(1, perSec))),
	}
	if mu, ok := cfg.Agent.(ModelUser); !ok || mu.UsesModel() {
		e.slots = make(chan struct{}, cfg.ModelSlots)
	}
	return e
}

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Receive stores an inbound message (idempotently by its provider id) and queues
// its conversation's turn. When it returns nil the message is durable and may be
// acknowledged to the provider. created is false for a duplicate delivery.
func (e *Engine) Receive(ctx context.Context, channel, phone string, m acuerdo.Message, media []store.InboundMedia) (created bool, err error) {
	_, created, err = e.cfg.Store.Receive(ctx, channel, phone, m, media)
	if err != nil {
		return false, err
	}
	if created {
		e.cfg.Metrics.inbound(channel)
		wake(e.turnWake)
		wake(e.outWake) // held messages of the conversation were released
	}
	return created, nil
}

// Status applies a delivery status callback.
func (e *Engine) Status(ctx context.Context, providerID, status, errorCode string) error {
	_, err := e.cfg.Store.ApplyStatus(ctx, providerID, status, errorCode, e.cfg.Rank)
	if err != nil {
		return err
	}
	e.cfg.Metrics.status(status)
	if e.unreachable(errorCode) == "" {
		return nil
	}
	conv, err := e.cfg.Store.MessageConversation(ctx, providerID)
	if acuerdo.ErrorCode(err) == acuerdo.ENOTFOUND {
		return nil // a message this store never sent
	} else if err != nil {
		return err
	}
	return e.markUnreachable(ctx, conv, errorCode)
}

func (e *Engine) unreachable(code string) string {
	if e.cfg.Unreachable == nil || code == "" {
		return ""
	}
	return e.cfg.Unreachable(code)
}

// markUnreachable records that the provider cannot reach the conversation's
// number (code says why), so that business-initiated contact to it stops and
// the creditor hears of it.
func (e *Engine) markUnreachable(ctx context.Context, conversationID int64, code string) error {
	reason := e.unreachable(code)
	if reason == "" {
		return nil
	}
	return e.cfg.Store.MarkUnreachable(ctx, conversationID, reason, code, acuerdo.AuditEntry{Time: e.cfg.Clock(), ConversationID: conversationID,
		Kind: acuerdo.AuditContact, Name: "unreachable", Outcome: acuerdo.Allowed, Rule: reason, Detail: "provider error " + code})
}

// Kick wakes the sender, after something queued messages outside a turn.
func (e *Engine) Kick() { wake(e.outWake) }

// Run works until ctx ends, then stops claiming, lets the turns in flight
// finish for up to ShutdownGrace, and returns. It first reconciles messages
// whose send a crash interrupted.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.reconcile(ctx); err != nil {
		e.cfg.Logger.Error("reconcile", "err", err)
	}
	// Turns get a context that outlives ctx, so a shutdown lets a running turn
	// finish and record its replies instead of abandoning it halfway; past the
	// grace, a hung turn is cancelled and gives its claim back.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	go func() {
		select {
		case <-ctx.Done():
		case <-work.Done():
			return
		}
		t := time.NewTimer(e.cfg.ShutdownGrace)
		defer t.Stop()
		select {
		case <-t.C:
			e.cfg.Logger.Warn("turns still running after the shutdown grace; cancelling them", "grace", e.cfg.ShutdownGrace)
			cancelWork()
		case <-work.Done():
		}
	}()
	var wg sync.WaitGroup
	ready := make(chan struct{}, e.cfg.Workers)
	claims := make(chan claimed, e.cfg.Workers)
	for i := 0; i < e.cfg.Workers; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); e.turnWorker(work, ready, claims) }()
	}
	wg.Add(3)
	go func() { defer wg.Done(); e.claimTurns(ctx, ready, claims) }()
	go func() { defer wg.Done(); e.sendLoop(ctx) }()
	go func() { defer wg.Done(); e.scheduler(ctx) }()
	wg.Wait()
	e.inflight.Wait()
	// Queue whatever the last turns produced before stopping.
	flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	e.drainOutbox(flush)
	return nil
}

func (e *Engine) idle(ctx context.Context, c chan struct{}) bool {
	t := time.NewTimer(e.cfg.Poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-c:
	case <-t.C:
	}
	return true
}

// claimTurns claims turns for the workers that are ready, all of them in one
// claim, and hands them out; it closes claims when ctx ends. One claim for
// several turns is one write instead of several (on SQLite, the write lock
// taken once).
func (e *Engine) claimTurns(ctx context.Context, ready <-chan struct{}, claims chan<- claimed) {
	defer close(claims)
	free := 0 // workers waiting for a claim
	for ctx.Err() == nil {
		if free == 0 {
			select {
			case <-ready:
				free++
			case <-ctx.Done():
				return
			}
		}
	more:
		for free < e.cfg.Workers {
			select {
			case <-ready:
				free++
			default:
				break more
			}
		}
		at := time.Now()
		got, err := e.cfg.Store.ClaimTurns(ctx, free, e.cfg.Lease)
		if err != nil && ctx.Err() == nil {
			e.cfg.Logger.Error("claim turns", "err", err)
		}
		if len(got) == 0 {
			if !e.idle(ctx, e.turnWake) {
				return
			}
			continue
		}
		for _, c := range got {
			claims <- claimed{c, at} // buffered for every worker: never blocks
		}
		free -= len(got)
	}
}

// turnWorker answers the turns it is handed, one at a time, telling the
// claimer each time it is ready for another.
func (e *Engine) turnWorker(work context.Context, ready chan<- struct{}, claims <-chan claimed) {
	for {
		ready <- struct{}{}
		c, ok := <-claims
		if !ok {
			return
		}
		e.inflight.Add(1)
		e.turn(work, c.TurnClaim, c.at)
		e.inflight.Done()
	}
}

// claimed is a claim handed to a worker, with when it was made: the lease
// runs from then, not from when the worker starts.
type claimed struct {
	store.TurnClaim
	at time.Time
}

// maxTurnAttempts is how often a turn is tried before a person takes over.
const maxTurnAttempts = 5

// turn answers one conversation's unanswered messages as one folded turn,
// renewing the claim's lease while it runs. It records the turn only while the
// claim is still its own: if the lease was lost, another worker answers, and
// this worker's reply is discarded, never queued as a second answer.
func (e *Engine) turn(work context.Context, claim store.TurnClaim, claimedAt time.Time) {
	convID := claim.ConversationID
	start := time.Now()
	ctx, cancel := context.WithTimeout(work, e.cfg.TurnTimeout)
	defer cancel()
	var lost atomic.Bool
	stopBeat := e.heartbeat(ctx, claim, claimedAt, func() { lost.Store(true); cancel() })
	defer stopBeat()
	// Records survive the turn's cancellation (a shutdown, a lost lease): they
	// are what hands the turn on.
	rec := context.WithoutCancel(ctx)
	msgs, media, err := e.cfg.Store.Unhandled(ctx, convID)
	if err != nil {
		e.cfg.Logger.Error("load turn", "conversation", convID, "err", err)
		if err := e.cfg.Store.RetryTurn(rec, claim, e.cfg.Clock().Add(backoff(claim.Attempts))); err != nil {
			e.cfg.Logger.Error("release a turn", "conversation", convID, "err", err)
		}
		return
	}
	ids := make([]int64, len(msgs))
	texts := make([]string, 0, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
		if strings.TrimSpace(m.Body) != "" {
			texts = append(texts, m.Body)
		}
	}
	var out []store.Outgoing
	var writes acuerdo.TurnWrites
	if len(msgs) > 0 {
		// Backoff counts from when the attempt began, so a slow failing turn
		// does not push its own retry further away.
		attemptAt := e.cfg.Clock()
		if e.slots != nil {
			select {
			case e.slots <- struct{}{}:
			case <-ctx.Done():
				e.interrupted(rec, claim, &lost)
				return
			}
		}
		// The agent leaves its records of the turn to CompleteTurn, so that
		// the turn is one write, and none of it lands if the lease is lost.
		in := agent.Inbound{Text: strings.Join(texts, "\n"), Media: media, Defer: true}
		// Read here, once: the agent starts from it. Should the read fail,
		// the agent reads it again and fails the turn the usual way.
		if conv, err := e.cfg.Store.ConversationByID(ctx, convID); err == nil {
			in.Conversation = &conv
		}
		if len(texts) > 1 {
			in.Parts = texts // the menu engine answers numbers typed ahead
		}
		res, err := e.cfg.Agent.Turn(ctx, convID, in)
		if e.slots != nil {
			<-e.slots
		}
		if lost.Load() || err != nil && work.Err() != nil {
			e.interrupted(rec, claim, &lost)
			return
		}
		if err != nil {
			if claim.Attempts < maxTurnAttempts {
				e.cfg.Logger.Error("turn failed; it will be retried", "conversation", convID, "attempt", claim.Attempts, "err", err)
				if err := e.cfg.Store.RetryTurn(rec, claim, attemptAt.Add(backoff(claim.Attempts))); err != nil {
					e.cfg.Logger.Error("release a failed turn", "conversation", convID, "err", err)
				}
				return
			}
			// The same messages failed every time: answer kindly, hand the
			// conversation to a person, and stop retrying.
			e.cfg.Logger.Error("turn failed for good; a person takes over", "conversation", convID, "err", err)
			if err := e.handOver(rec, convID, fmt.Sprintf("The agent failed %d times to answer this conversation; please answer the debtor.", maxTurnAttempts), "turn_retries_exhausted"); err != nil {
				e.cfg.Logger.Error("hand over a failing turn", "conversation", convID, "err", err)
				return
			}
			res = agent.Result{Replies: []string{e.safeReply(rec, convID)}, Handler: "failed"}
		}
		e.cfg.Metrics.turn(res, time.Since(start))
		// Whatever produced them, a turn's replies fit WhatsApp: no message over
		// its length, no flood of them.
		replies, ok := policy.FitReplies(res.Replies, policy.MaxTurnMessages)
		if !ok {
			e.cfg.Logger.Error("a turn's replies exceed the cap; the safe reply goes instead", "conversation", convID, "replies", len(res.Replies), "handler", res.Handler)
			replies = []string{e.safeReply(rec, convID)}
			// The safe reply promises a person: open the case that brings one.
			if err := e.handOver(rec, convID, "The agent's reply was too long to send; please answer the debtor.", "reply_cap"); err != nil {
				e.cfg.Logger.Error("hand over an oversized turn", "conversation", convID, "err", err)
			}
		}
		for _, r := range replies {
			out = append(out, store.Outgoing{Body: r, Author: acuerdo.AuthorBot, Template: "reengage"})
		}
		writes = res.Writes
	}
	if err := e.cfg.Store.CompleteTurn(rec, claim, ids, out, writes); err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			e.cfg.Logger.Warn("turn lease lost before its reply was recorded; the new owner answers", "conversation", convID, "replies", len(out))
			return
		}
		e.cfg.Logger.Error("complete turn", "conversation", convID, "err", err)
		return
	}
	if len(out) > 0 {
		wake(e.outWake)
	}
}

// heartbeat renews a claim's lease every third of the lease, counted from
// the claim (claimedAt, real time), until the returned stop is called; lost is
// called once if the lease turns out to be someone else's. A renewal that
// fails for another reason is retried at the next beat.
func (e *Engine) heartbeat(ctx context.Context, claim store.TurnClaim, claimedAt time.Time, lost func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		every := max(e.cfg.Lease/3, 10*time.Millisecond)
		t := time.NewTimer(max(time.Until(claimedAt.Add(every)), 0))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			t.Reset(every)
			err := e.cfg.Store.RenewTurn(ctx, claim, e.cfg.Lease)
			if errors.Is(err, store.ErrLeaseLost) {
				e.cfg.Logger.Warn("turn lease lost; abandoning the turn", "conversation", claim.ConversationID)
				lost()
				return
			}
			if err != nil && ctx.Err() == nil {
				e.cfg.Logger.Error("renew turn lease", "conversation", claim.ConversationID, "err", err)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// interrupted settles a turn that stopped before its end: a lost lease needs
// nothing (the new owner answers); a shutdown or timeout gives the claim back.
func (e *Engine) interrupted(ctx context.Context, claim store.TurnClaim, lost *atomic.Bool) {
	if lost.Load() {
		e.cfg.Logger.Warn("turn reply discarded: another worker owns the turn", "conversation", claim.ConversationID)
		return
	}
	e.release(ctx, claim)
}

func (e *Engine) release(ctx context.Context, claim store.TurnClaim) {
	if err := e.cfg.Store.ReleaseTurn(ctx, claim); err != nil && !errors.Is(err, store.ErrLeaseLost) {
		e.cfg.Logger.Error("release turn", "conversation", claim.ConversationID, "err", err)
	}
}

// defaultRank orders statuses when no provider ranking is configured.
func defaultRank(s string) int {
	switch s {
	case acuerdo.MessageQueued:
		return 1
	case acuerdo.MessageSent:
		return 2
	case acuerdo.MessageDelivered:
		return 3
	case acuerdo.MessageRead:
		return 4
	case acuerdo.MessageFailed, acuerdo.MessageUndelivered:
		return 5
	}
	return 0
}

var errNoSender = errors.New("no sender for this channel")

// handOver opens a case for a person, which pauses the bot in the
// conversation, with an audit line saying why (rule).
func (e *Engine) handOver(ctx context.Context, convID int64, summary, rule string) error {
	conv, err := e.cfg.Store.ConversationByID(ctx, convID)
	if err != nil {
		return err
	}
	_, err = e.cfg.Store.OpenCase(ctx, acuerdo.Case{ConversationID: convID, DebtorID: conv.DebtorID, Reason: acuerdo.ReasonOther, Priority: 3, Summary: summary},
		acuerdo.AuditEntry{Time: e.cfg.Clock(), ConversationID: convID, Kind: acuerdo.AuditGuard, Name: "turn_failed", Outcome: acuerdo.Refused, Rule: rule})
	return err
}

func (e *Engine) safeReply(ctx context.Context, convID int64) string {
	loc := ""
	if conv, err := e.cfg.Store.ConversationByID(ctx, convID); err == nil {
		loc = conv.Locale
	}
	return prompts.T(loc, "safe_reply")
}
