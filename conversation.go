package acuerdo

import "time"

// Conversation is the running WhatsApp thread with one phone number.
type Conversation struct {
	ID           int64      `json:"id"`
	DebtorID     int64      `json:"debtor_id,omitempty"` // 0 for numbers that are not in the portfolio
	Phone        string     `json:"phone"`
	Channel      string     `json:"channel"` // ChannelWhatsApp or ChannelSandbox
	Locale       string     `json:"locale"`
	State        string     `json:"state"` // the offline flow's step; opaque to others
	Verified     bool       `json:"verified"`
	VerifiedAt   *time.Time `json:"verified_at,omitempty"`
	FailedChecks int        `json:"failed_checks"` // wrong identity answers; the agent stops asking after a few
	Paused       bool       `json:"paused"`        // an operator has it; the bot stays quiet
	OptedOut     bool       `json:"opted_out"`
	// ThirdPartyAt is when someone said they are not the debtor here; no debt
	// detail is disclosed in the conversation for a while after it.
	ThirdPartyAt  *time.Time `json:"third_party_at,omitempty"`
	LastInboundAt *time.Time `json:"last_inbound_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// TurnState is the part of a conversation an agent's turn owns: its
// language, the offline flow's step, the identity check and the third-party
// mark. The rest (paused, opted out, the inbound clock) belongs to tools,
// operators and the intake, which write it in their own transactions while a
// turn runs; saving a turn's state must leave those columns alone.
type TurnState struct {
	Locale       string
	State        string
	Verified     bool
	VerifiedAt   *time.Time
	FailedChecks int
	// ThirdPartyAt nil leaves the stored mark as it is: a turn sets it,
	// never clears it.
	ThirdPartyAt *time.Time
}

// TurnState returns the conversation's turn state.
func (c Conversation) TurnState() TurnState {
	return TurnState{Locale: c.Locale, State: c.State, Verified: c.Verified, VerifiedAt: c.VerifiedAt,
		FailedChecks: c.FailedChecks, ThirdPartyAt: c.ThirdPartyAt}
}

// TurnWrites are an agent's own records of one turn, when its caller saves
// them with the turn's replies in one transaction (the engine, whose
// CompleteTurn writes them only while it still holds the turn's lease)
// instead of the agent saving each as it goes.
type TurnWrites struct {
	// State is the conversation's turn state at the end of the turn; nil
	// when the turn changed none (it ended before saving it).
	State *TurnState
	// Messages are internal messages (tool calls and their results), in order.
	Messages []Message
	Audit    []AuditEntry
}

// Channels a conversation runs on.
const (
	ChannelWhatsApp = "whatsapp"
	ChannelSandbox  = "sandbox"
	ChannelSMS      = "sms" // Twilio SMS: first contacts and nudges that lead into WhatsApp
)

// Message is one message of a conversation, in either direction.
type Message struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	Direction      string    `json:"direction"` // Inbound, Outbound or Internal
	Author         string    `json:"author"`    // AuthorDebtor, AuthorBot, AuthorOperator, AuthorTool
	Body           string    `json:"body"`
	ProviderID     string    `json:"provider_id,omitempty"` // Twilio MessageSid; the idempotency key of inbound messages
	TemplateID     string    `json:"template_id,omitempty"` // ContentSid when sent as a template
	Status         string    `json:"status"`
	ErrorCode      string    `json:"error_code,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// Message directions and authors.
const (
	Inbound        = "inbound"
	Outbound       = "outbound"
	Internal       = "internal" // a tool call and its result: never sent, kept for the model and the console
	AuthorDebtor   = "debtor"
	AuthorBot      = "bot"
	AuthorOperator = "operator"
	AuthorTool     = "tool"
	AuthorNote     = "note" // an operator's internal note (Internal): the team reads it, the debtor and the model never do
)

// Message statuses, in the order Twilio moves them; failed and undelivered end it.
const (
	MessageReceived    = "received"
	MessageQueued      = "queued"
	MessageSent        = "sent"
	MessageDelivered   = "delivered"
	MessageRead        = "read"
	MessageFailed      = "failed"
	MessageUndelivered = "undelivered"
)

// Case is work for a person: an escalation or a payment report to verify. States
// follow the operator panel the collections team already knows.
type Case struct {
	ID             int64  `json:"id"`
	ConversationID int64  `json:"conversation_id"`
	DebtorID       int64  `json:"debtor_id,omitempty"`
	AccountID      int64  `json:"account_id,omitempty"`
	Reason         string `json:"reason"`
	Summary        string `json:"summary"`
	State          string `json:"state"`
	Priority       int    `json:"priority"` // higher first
	AssigneeID     int64  `json:"assignee_id,omitempty"`
	Amount         *Money `json:"amount,omitempty"` // reported or agreed amount, editable by operators
	PaymentMethod  string `json:"payment_method,omitempty"`
	Comments       string `json:"comments,omitempty"`
	Useful         *bool  `json:"useful,omitempty"` // the operator's verdict on the escalation
	// CallbackAt is when a person is to call (reason callback): a slot inside
	// the debtor's contact hours; CallbackPhone the number to call.
	CallbackAt    *time.Time `json:"callback_at,omitempty"`
	CallbackPhone string     `json:"callback_phone,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
}

// Case reasons: the escalate_to_human reasons plus payment reports.
const (
	ReasonDebtorRequest = "debtor_request"
	ReasonHardship      = "hardship"
	ReasonDispute       = "dispute"
	ReasonComplaint     = "complaint"
	ReasonLegal         = "legal"
	ReasonOutOfPolicy   = "out_of_policy"
	ReasonOther         = "other"
	ReasonPaymentReport = "payment_report"
	ReasonCallback      = "callback" // request_callback: a person calls at a slot
)

// Case states of the operator panel's life cycle.
const (
	CaseIncomplete = "INCOMPLETO"  // the bot is still gathering
	CaseComplete   = "COMPLETO"    // ready for a person
	CaseInProgress = "EN_PROCESO"  // claimed by an operator
	CaseResolved   = "RESUELTO"    // closed, resolved
	CaseBilled     = "FACTURADO"   // closed, paid
	CaseCancelled  = "CANCELADO"   // closed, cancelled
	CaseNoAnswer   = "NO_CONTESTA" // closed, the debtor did not answer
	CaseExpired    = "VENCIDO"     // nobody took it within 48 hours
)

// CaseClosed reports whether state ends a case.
func CaseClosed(state string) bool {
	switch state {
	case CaseResolved, CaseBilled, CaseCancelled, CaseNoAnswer:
		return true
	}
	return false
}
