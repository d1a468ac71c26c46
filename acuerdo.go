// Package acuerdo holds the domain types of acuerdo, an empathetic debt-collection
// agent for WhatsApp: debtors and their accounts, conversations, cases, promises,
// payments, consent and pilots. It imports nothing of the project; every other
// package depends inward on it.
package acuerdo

import "time"

// Clock tells the time. Packages take one instead of calling time.Now so that
// contact windows, campaigns and reminders can be tested at any instant.
type Clock func() time.Time

// SystemClock is the real clock, in UTC so stored times never carry a local zone.
func SystemClock() time.Time { return time.Now().UTC() }
