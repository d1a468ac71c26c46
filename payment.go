package acuerdo

import "time"

// Payment is money received against an account, from an import, the API or a
// payment provider.
type Payment struct {
	ID         int64     `json:"id"`
	AccountID  int64     `json:"account_id"`
	Amount     Money     `json:"amount"`
	PaidAt     time.Time `json:"paid_at"`
	Method     string    `json:"method,omitempty"`
	ExternalID string    `json:"external_id"` // idempotency key: the provider's or the core system's id
	Source     string    `json:"source"`      // import, api, stripe, mercadopago, operator
	CreatedAt  time.Time `json:"created_at"`
}

// Promise is a debtor's commitment to pay an amount by a date. The engine reminds
// the debtor and checks it against payments.
type Promise struct {
	ID             int64      `json:"id"`
	AccountID      int64      `json:"account_id"`
	ConversationID int64      `json:"conversation_id,omitempty"`
	Amount         Money      `json:"amount"`
	DueDate        Date       `json:"due_date"`
	Status         string     `json:"status"`
	CreatedAt      time.Time  `json:"created_at"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
}

// Promise statuses.
const (
	PromisePending   = "pending"
	PromiseKept      = "kept"
	PromiseBroken    = "broken"
	PromiseCancelled = "cancelled"
)

// Plan is a payment agreement ("convenio"): the balance split into installments.
// The agent offers one; it binds only once the debtor accepts it by id.
type Plan struct {
	ID             int64         `json:"id"`
	AccountID      int64         `json:"account_id"`
	ConversationID int64         `json:"conversation_id,omitempty"`
	Total          Money         `json:"total"`
	Installments   []Installment `json:"installments"`
	Status         string        `json:"status"`
	CreatedAt      time.Time     `json:"created_at"`
	AcceptedAt     *time.Time    `json:"accepted_at,omitempty"`
}

// Plan statuses.
const (
	PlanOffered  = "offered"
	PlanAccepted = "accepted"
)

// Negotiation kinds recorded against an account; policy counts them.
const (
	NegotiationDateChange = "date_change"
	NegotiationPause      = "pause"
)
