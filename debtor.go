package acuerdo

import "time"

// Debtor is a person who owes money. A debtor is identified by their WhatsApp
// number, the key the conversation runs on.
type Debtor struct {
	ID         int64  `json:"id"`
	Phone      string `json:"phone"` // E.164, e.g. +573001234567
	Name       string `json:"name"`
	DocumentID string `json:"document_id,omitempty"` // national ID (Cédula, DNI, CPF); never shown in full
	Email      string `json:"email,omitempty"`
	Country    string `json:"country"`   // ISO 3166 alpha-2, from the phone number when not given
	TimeZone   string `json:"time_zone"` // IANA name; empty means unknown, the most restrictive hours apply
	Locale     string `json:"locale"`    // es, pt-BR or en
	Segment    string `json:"segment,omitempty"`
	// Unreachable says why the phone cannot be contacted ("" when it can):
	// one of the Unreachable… reasons. Business-initiated contact stops.
	Unreachable       string     `json:"unreachable_reason,omitempty"`
	UnreachableDetail string     `json:"unreachable_detail,omitempty"` // e.g. the provider's error code
	UnreachableAt     *time.Time `json:"unreachable_at,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// Why a debtor's phone is unreachable: contact hygiene the creditor fixes in
// its own records (acuerdo export --hygiene).
const (
	UnreachableInvalidNumber    = "invalid_number"    // the provider says it is not a valid (mobile) number
	UnreachableNotOnWhatsApp    = "not_on_whatsapp"   // no WhatsApp account on the number
	UnreachableInvalidRecipient = "invalid_recipient" // WhatsApp cannot deliver to it
	UnreachableBlocked          = "blocked"           // the person blocked the business
	UnreachableUnsubscribed     = "unsubscribed"      // STOP sent to the sender (SMS or the provider's opt-out)
	UnreachableWrongNumber      = "wrong_number"      // whoever answers says it is not the debtor's
	UnreachableOptedOut         = "opted_out"         // the debtor asked for no more messages
)

// DocumentLast4 returns the last four characters of the document number, the only
// part the agent may ever ask for.
func (d Debtor) DocumentLast4() string {
	if len(d.DocumentID) <= 4 {
		return d.DocumentID
	}
	return d.DocumentID[len(d.DocumentID)-4:]
}

// Account is one debt (a credit, a contract) of a debtor, as the creditor placed it.
type Account struct {
	ID                int64     `json:"id"`
	DebtorID          int64     `json:"debtor_id"`
	Ref               string    `json:"ref"`                // the creditor's account reference (Credito, contrato)
	Balance           *Money    `json:"balance"`            // nil when the creditor has not said
	BalanceAsOf       time.Time `json:"balance_as_of"`      // payments after this instant reduce the balance
	InstallmentAmount Money     `json:"installment_amount"` // zero when unknown
	NextDueDate       Date      `json:"next_due_date"`
	DaysPastDue       int       `json:"days_past_due"`
	Status            string    `json:"status"` // AccountOpen, AccountPaid, AccountClosed
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Account statuses.
const (
	AccountOpen   = "open"
	AccountPaid   = "paid"
	AccountClosed = "closed"
)

// Installment is one scheduled payment of an account or of an accepted plan.
type Installment struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	PlanID    int64  `json:"plan_id,omitempty"`
	Seq       int    `json:"seq"`
	DueDate   Date   `json:"due_date"`
	Amount    Money  `json:"amount"`
	Status    string `json:"status"` // InstallmentDue, InstallmentPaid
}

// Installment statuses.
const (
	InstallmentDue  = "due"
	InstallmentPaid = "paid"
)

// Consent records a debtor's permission (or its withdrawal) for business-initiated
// contact on a channel. WhatsApp forbids proactive messages without one.
type Consent struct {
	DebtorID  int64      `json:"debtor_id"`
	Channel   string     `json:"channel"` // "whatsapp"
	Source    string     `json:"source"`  // where it was collected: import, api, conversation
	Scope     string     `json:"scope"`   // what it covers, e.g. "collections"
	GrantedAt time.Time  `json:"granted_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Active reports whether the consent is granted and not revoked.
func (c Consent) Active() bool { return c.RevokedAt == nil && !c.GrantedAt.IsZero() }
