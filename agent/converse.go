package agent

import (
	"context"

	"acuerdo"
)

// Converse is a whole exchange for channels without an outbox (the terminal chat,
// evals): it stores the debtor's message, runs a turn and stores the replies as
// sent.
func (a *Agent) Converse(ctx context.Context, channel, phone string, in Inbound) (Result, error) {
	conv, err := a.cfg.Store.Conversation(ctx, channel, phone)
	if err != nil {
		return Result{}, err
	}
	if _, err := a.cfg.Store.AppendMessages(ctx, acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Inbound,
		Author: acuerdo.AuthorDebtor, Body: in.Text, Status: acuerdo.MessageReceived, CreatedAt: a.cfg.Clock()}); err != nil {
		return Result{}, err
	}
	res, err := a.Turn(ctx, conv.ID, in)
	if err != nil {
		return res, err
	}
	out := make([]acuerdo.Message, len(res.Replies))
	for i, r := range res.Replies {
		out[i] = acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Outbound, Author: acuerdo.AuthorBot, Body: r, Status: acuerdo.MessageSent, CreatedAt: a.cfg.Clock()}
	}
	if len(out) > 0 {
		_, err = a.cfg.Store.AppendMessages(ctx, out...)
	}
	return res, err
}
