package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/engine"
)

// Sender is the engine.Sender of the sandbox channel. Every outbound
// message is already a row in the database, which the sandbox page reads, so
// "delivering" one only hands back a provider id and the status delivered; the
// engine's outbox, policy and ordering apply exactly as on WhatsApp.
type Sender struct{}

var errEmpty = errors.New("sandbox: nothing to deliver")

// SendText delivers free text.
func (Sender) SendText(_ context.Context, _, body string) (engine.Sent, error) {
	if strings.TrimSpace(body) == "" {
		return engine.Sent{}, errEmpty
	}
	return engine.Sent{ID: providerID(), Status: acuerdo.MessageDelivered}, nil
}

// SendTemplate delivers a template as the text the debtor would read.
func (Sender) SendTemplate(_ context.Context, _ string, t engine.Template) (engine.Sent, error) {
	if strings.TrimSpace(t.Text) == "" {
		return engine.Sent{}, errEmpty
	}
	return engine.Sent{ID: providerID(), Status: acuerdo.MessageDelivered}, nil
}

// Permanent reports every sandbox error as permanent: none goes away by
// waiting.
func (Sender) Permanent(err error) bool { return err != nil }

// Code returns no provider code: the sandbox has none.
func (Sender) Code(error) string { return "" }

// Find reports every interrupted sandbox send as not delivered, so the engine
// sends it again after a restart: the page shows rows, not deliveries, so
// "again" cannot show anything twice.
func (Sender) Find(context.Context, string, string, time.Time) (engine.Sent, bool, error) {
	return engine.Sent{}, false, nil
}

// providerID is unique across restarts, as provider ids must be.
func providerID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "SBO" + hex.EncodeToString(b[:])
}

var (
	_ engine.Sender = Sender{}
	_ engine.Finder = Sender{}
)
