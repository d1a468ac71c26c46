// Package agent is acuerdo's brain: one turn takes a debtor's WhatsApp message and
// produces the replies. It runs the LLM tool loop or the offline menu engine, and
// the guards around both: what must never depend on a model (opt-out, a request
// for a person, a paused conversation) is decided in code before any model call,
// and every reply is checked after it.
package agent
