package engine

import (
	"context"
	"time"

	"acuerdo"
	"acuerdo/store"
)

// The engine declares what it needs of the database, split by the role that
// calls it, so each worker's dependency is visible and any backend (SQLite or
// PostgreSQL through *store.DB, or a test double) can be handed in.
// cmd/acuerdo passes *store.DB; the assertions at the end keep it satisfying
// these.

// Lookups are the reads every role shares.
type Lookups interface {
	ConversationByID(ctx context.Context, id int64) (acuerdo.Conversation, error)
	DebtorByID(ctx context.Context, id int64) (acuerdo.Debtor, error)
	DebtorVariant(ctx context.Context, debtorID int64) (acuerdo.Variant, string, error)
}

// Intake is what Receive and the status callbacks need: inbound messages
// stored idempotently and delivery statuses applied.
type Intake interface {
	Receive(ctx context.Context, channel, phone string, m acuerdo.Message, media []store.InboundMedia) (convID int64, created bool, err error)
	ApplyStatus(ctx context.Context, providerID, status, errorCode string, rank func(string) int) (bool, error)
	MessageConversation(ctx context.Context, providerID string) (int64, error)
	MarkUnreachable(ctx context.Context, conversationID int64, reason, detail string, audit ...acuerdo.AuditEntry) error
}

// Turns is what the turn workers need: pending turns claimed with a lease,
// the messages they answer, and the hand-over to a person when a turn fails.
type Turns interface {
	Lookups
	ClaimTurns(ctx context.Context, n int, lease time.Duration) ([]store.TurnClaim, error)
	RenewTurn(ctx context.Context, c store.TurnClaim, lease time.Duration) error
	RetryTurn(ctx context.Context, c store.TurnClaim, at time.Time) error
	ReleaseTurn(ctx context.Context, c store.TurnClaim) error
	CompleteTurn(ctx context.Context, c store.TurnClaim, handled []int64, out []store.Outgoing, w acuerdo.TurnWrites) error
	Unhandled(ctx context.Context, conversationID int64) ([]acuerdo.Message, []string, error)
	OpenCase(ctx context.Context, c acuerdo.Case, audit ...acuerdo.AuditEntry) (acuerdo.Case, error)
}

// Outbox is what the senders need: outbound rows claimed with a lease, the
// facts the contact policy decides on, and each send's outcome.
type Outbox interface {
	Lookups
	ClaimOutbox(ctx context.Context, n int, lease time.Duration) ([]store.OutboxItem, error)
	MarkSendingAll(ctx context.Context, ss []store.Sending) error
	MarkSent(ctx context.Context, it store.OutboxItem, providerID, status, templateID string, rank func(string) int) (string, error)
	MarkSentAll(ctx context.Context, as []store.Accepted, rank func(string) int) ([]string, error)
	Retry(ctx context.Context, id int64, notBefore time.Time, reason string) error
	RetryAll(ctx context.Context, rs []store.RetryAt) error
	HoldAll(ctx context.Context, hs []store.Held) error
	Fail(ctx context.Context, it store.OutboxItem, code, reason string) error
	SendUnknown(ctx context.Context, it store.OutboxItem, reason string) error
	Sending(ctx context.Context, before time.Time) ([]store.OutboxItem, error)
	SendFacts(ctx context.Context, conversationIDs []int64, lastSent bool) (map[int64]store.SendFacts, error)
	BusinessSends(ctx context.Context, conversationIDs []int64, since time.Time) (map[int64][]time.Time, error)
	CollectionsConsents(ctx context.Context, debtorIDs []int64) (map[int64][]acuerdo.Consent, error)
	DebtorVariants(ctx context.Context, debtorIDs []int64) (map[int64]store.ArmVariant, error)
	OptOut(ctx context.Context, conversationID, debtorID int64, audit ...acuerdo.AuditEntry) error
}

// Exclusive runs fn on one replica at a time (a database lock), so periodic
// work shared by replicas runs once.
type Exclusive interface {
	Exclusively(ctx context.Context, name string, fn func(context.Context) error) (ran bool, err error)
}

// Scheduler is what the periodic round needs: expiring cases, nudging and
// closing quiet conversations, reminding and breaking promises.
type Scheduler interface {
	Lookups
	Exclusive
	ExpireCases(ctx context.Context, before time.Time) (int, error)
	QuietConversations(ctx context.Context, quietSince, windowSince time.Time, afterID int64, limit int) ([]store.QuietConversation, error)
	Nudge(ctx context.Context, conversationID int64, body string, closing bool) error
	CloseConversation(ctx context.Context, conversationID int64, closing, question string) error
	PendingPromises(ctx context.Context, until acuerdo.Date) ([]store.PromiseDue, error)
	RemindPromise(ctx context.Context, p store.PromiseDue, out store.Outgoing) error
	BreakPromise(ctx context.Context, p store.PromiseDue, out store.Outgoing) error
}

// Store is everything an Engine needs of the database.
type Store interface {
	Intake
	Turns
	Outbox
	Scheduler
}

// ReceiptsStore is what the Receipts worker needs: media waiting to be
// downloaded, its bytes, and attaching receipts to payment reports.
type ReceiptsStore interface {
	Exclusive
	PendingMedia(ctx context.Context, n int) ([]store.Media, error)
	SaveMediaData(ctx context.Context, id int64, data []byte, contentType string) error
	MediaUnavailable(ctx context.Context, m store.Media, reason string) error
	AttachReceipts(ctx context.Context, since time.Time) (int, error)
}

// Depths are the queue lengths the metrics read at scrape time.
type Depths interface {
	OutboxDepth(ctx context.Context) (int, error)
	PendingTurns(ctx context.Context) (int, error)
}

var (
	_ Store         = (*store.DB)(nil)
	_ ReceiptsStore = (*store.DB)(nil)
	_ Depths        = (*store.DB)(nil)
)
