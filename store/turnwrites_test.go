package store_test

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/store/storetest"
)

// A turn's own records (the conversation's turn state, its tool-call
// messages, its audit lines) are written by CompleteTurn with its replies, in
// the one transaction that checks the lease: a worker that lost the lease
// writes none of them, and the owner writes only the turn-state columns, so
// an opt-out a tool recorded meanwhile in its own transaction stays.
func TestCompleteTurnWritesTheTurnsRecords(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC).UnixMicro())
	clock := func() time.Time { return time.UnixMicro(now.Load()).UTC() }
	ctx := context.Background()
	db, _ := storetest.Open(t, store.Options{Clock: clock})
	convID, _, err := db.Receive(ctx, acuerdo.ChannelWhatsApp, "+573001234567", acuerdo.Message{ProviderID: "SM1", Body: "hola"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _, err := db.Unhandled(ctx, convID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("unhandled %v %v", msgs, err)
	}
	lease := 30 * time.Second
	first, err := db.ClaimTurns(ctx, 1, lease)
	if err != nil || len(first) != 1 {
		t.Fatalf("claim %+v %v", first, err)
	}
	// A tool of the turn opts the conversation out in its own transaction.
	if err := db.OptOut(ctx, convID, 0); err != nil {
		t.Fatal(err)
	}
	verifiedAt := clock().Add(-time.Minute)
	thirdAt := clock().Add(-time.Second)
	writes := acuerdo.TurnWrites{
		State: &acuerdo.TurnState{Locale: "pt", State: "menu:CR-1", Verified: true, VerifiedAt: &verifiedAt, FailedChecks: 1, ThirdPartyAt: &thirdAt},
		Messages: []acuerdo.Message{{ConversationID: convID, Direction: acuerdo.Internal, Author: acuerdo.AuthorTool,
			Body: `{"name":"lookup_debt"}`, Status: acuerdo.MessageSent}},
		Audit: []acuerdo.AuditEntry{{Time: clock(), ConversationID: convID, Kind: acuerdo.AuditGuard, Name: "turn_writes_test", Outcome: acuerdo.Allowed, Rule: "r"}},
	}

	// The lease lapses and another worker claims the turn: the first one's
	// records are all refused.
	now.Add((lease + time.Second).Microseconds())
	second, err := db.ClaimTurns(ctx, 1, lease)
	if err != nil || len(second) != 1 {
		t.Fatalf("second claim %+v %v", second, err)
	}
	if err := db.CompleteTurn(ctx, first[0], []int64{msgs[0].ID}, []store.Outgoing{{Body: "respuesta vieja"}}, writes); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("completion by the old owner: %v; want ErrLeaseLost", err)
	}
	c, err := db.ConversationByID(ctx, convID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Locale != "" || c.State != "" || c.Verified || c.VerifiedAt != nil || c.FailedChecks != 0 || c.ThirdPartyAt != nil {
		t.Fatalf("the old owner's turn state landed: %+v", c)
	}
	if got := turnRecords(t, db, convID); got != [2]int{0, 0} {
		t.Fatalf("the old owner wrote %d internal messages and %d audit lines", got[0], got[1])
	}

	// The owner's records land with its reply, tool records first.
	if err := db.CompleteTurn(ctx, second[0], []int64{msgs[0].ID}, []store.Outgoing{{Body: "respuesta"}}, writes); err != nil {
		t.Fatal(err)
	}
	c, err = db.ConversationByID(ctx, convID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Locale != "pt" || c.State != "menu:CR-1" || !c.Verified || c.VerifiedAt == nil || !c.VerifiedAt.Equal(verifiedAt) ||
		c.FailedChecks != 1 || c.ThirdPartyAt == nil || !c.ThirdPartyAt.Equal(thirdAt) {
		t.Fatalf("turn state not saved: %+v", c)
	}
	if !c.OptedOut {
		t.Fatal("saving the turn's state undid the tool's opt-out")
	}
	if got := turnRecords(t, db, convID); got != [2]int{1, 1} {
		t.Fatalf("%d internal messages and %d audit lines; want 1 and 1", got[0], got[1])
	}
	all, err := db.Messages(ctx, convID, 0)
	if err != nil || len(all) != 3 || all[1].Direction != acuerdo.Internal || all[2].Body != "respuesta" {
		t.Fatalf("messages %+v %v; want the inbound, the tool record, then the reply", all, err)
	}

	// A later turn that sets no third-party mark keeps the stored one.
	if _, _, err := db.Receive(ctx, acuerdo.ChannelWhatsApp, "+573001234567", acuerdo.Message{ProviderID: "SM2", Body: "1"}, nil); err != nil {
		t.Fatal(err)
	}
	msgs, _, _ = db.Unhandled(ctx, convID)
	third, err := db.ClaimTurns(ctx, 1, lease)
	if err != nil || len(third) != 1 || len(msgs) != 1 {
		t.Fatalf("third claim %+v %v (%d unhandled)", third, err, len(msgs))
	}
	if err := db.CompleteTurn(ctx, third[0], []int64{msgs[0].ID}, nil, acuerdo.TurnWrites{State: &acuerdo.TurnState{Locale: "es", State: "menu:CR-1"}}); err != nil {
		t.Fatal(err)
	}
	c, _ = db.ConversationByID(ctx, convID)
	if c.Locale != "es" || c.Verified || c.ThirdPartyAt == nil || !c.ThirdPartyAt.Equal(thirdAt) {
		t.Fatalf("after a turn without a third-party mark: %+v", c)
	}
}

// turnRecords counts a conversation's internal messages and the test's audit lines.
func turnRecords(t *testing.T, db *store.DB, convID int64) [2]int {
	t.Helper()
	ctx := context.Background()
	msgs, err := db.Messages(ctx, convID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var n [2]int
	for _, m := range msgs {
		if m.Direction == acuerdo.Internal {
			n[0]++
		}
	}
	audit, err := db.Audit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range audit {
		if e.Name == "turn_writes_test" {
			n[1]++
		}
	}
	return n
}

// Unhandled returns each unanswered message once, however many files it
// carries, and the files of all of them in order.
func TestUnhandledMessagesAndTheirMedia(t *testing.T) {
	ctx := context.Background()
	db, _ := storetest.Open(t, store.Options{})
	phone := "+573001234567"
	for i, media := range [][]store.InboundMedia{
		{{URL: "https://x/1.jpg", ContentType: "image/jpeg"}, {URL: "https://x/2.pdf", ContentType: "application/pdf"}},
		nil,
		{{URL: "https://x/3.jpg", ContentType: "image/jpeg"}},
	} {
		if _, _, err := db.Receive(ctx, acuerdo.ChannelWhatsApp, phone, acuerdo.Message{ProviderID: "SM" + string(rune('a'+i)), Body: string(rune('a' + i))}, media); err != nil {
			t.Fatal(err)
		}
	}
	conv, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, phone)
	if err != nil {
		t.Fatal(err)
	}
	msgs, media, err := db.Unhandled(ctx, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	var bodies string
	for _, m := range msgs {
		bodies += m.Body
	}
	if bodies != "abc" || len(media) != 3 || media[0] != "https://x/1.jpg" || media[1] != "https://x/2.pdf" || media[2] != "https://x/3.jpg" {
		t.Fatalf("messages %q, media %v; want abc and the three files in order", bodies, media)
	}
}

// CompleteTurn takes its rows in the order Receive does, the conversation's
// then the pending turn's: on PostgreSQL, a turn completing while a message
// for its conversation is being stored waits for it instead of deadlocking
// with it. SQLite has no row locks: the test is PostgreSQL's.
func TestCompleteTurnLocksInReceivesOrder(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skip("row locks: PostgreSQL only")
	}
	ctx := context.Background()
	db, dsn := storetest.Open(t, store.Options{})
	convID, _, err := db.Receive(ctx, acuerdo.ChannelWhatsApp, "+573001234567", acuerdo.Message{ProviderID: "SM1", Body: "hola"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _, _ := db.Unhandled(ctx, convID)
	claims, err := db.ClaimTurns(ctx, 1, time.Minute)
	if err != nil || len(claims) != 1 {
		t.Fatalf("claim %+v %v", claims, err)
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// A Receive halfway: the conversation's row locked, the pending turn's next.
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE conversations SET updated_at = updated_at WHERE id = $1`, convID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- db.CompleteTurn(ctx, claims[0], []int64{msgs[0].ID}, []store.Outgoing{{Body: "respuesta"}},
			acuerdo.TurnWrites{State: &acuerdo.TurnState{Locale: "es", State: "verify"}})
	}()
	time.Sleep(300 * time.Millisecond) // CompleteTurn waits for a lock now
	if _, err := tx.ExecContext(ctx, `UPDATE pending_turns SET due_at = due_at WHERE conversation_id = $1`, convID); err != nil {
		t.Fatalf("the pending turn, after its conversation: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("complete turn beside a Receive: %v", err)
	}
}
