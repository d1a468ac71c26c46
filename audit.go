package acuerdo

import (
	"encoding/json"
	"time"
)

// AuditEntry is one decision: a tool call, a guard, a model call, a contact
// attempt or an admin action, allowed or refused, with the rule that decided it.
// The audit log only grows.
type AuditEntry struct {
	ID             int64           `json:"-"`
	Time           time.Time       `json:"time"`
	ConversationID int64           `json:"conversation,omitempty"`
	Phone          string          `json:"phone,omitempty"` // filled when read, from the conversation
	Kind           string          `json:"kind"`            // AuditTool, AuditGuard, ...
	Name           string          `json:"name"`            // the tool, rule or action
	Outcome        string          `json:"outcome"`         // Allowed, Refused, Failed
	Rule           string          `json:"rule"`            // why
	Args           json.RawMessage `json:"args,omitempty"`  // a tool's arguments
	Detail         string          `json:"detail,omitempty"`
}

// Audit kinds.
const (
	AuditTool    = "tool"
	AuditGuard   = "guard"
	AuditModel   = "model"
	AuditContact = "contact"
	AuditAdmin   = "admin"
)

// Audit outcomes.
const (
	Allowed = "allowed"
	Refused = "refused"
	Failed  = "error"
)
