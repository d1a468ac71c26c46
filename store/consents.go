package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"acuerdo"
)

// Consent channels and scopes acuerdo enforces: the contact policy reads the
// consent for collections of the message's channel (WhatsApp, or SMS for an
// SMS that leads into WhatsApp) before any business-initiated message.
// Records for anything else would be kept but never enforced, so they are
// refused rather than stored with a false sense of protection.
const (
	ConsentChannelWhatsApp  = acuerdo.ChannelWhatsApp
	ConsentChannelSMS       = acuerdo.ChannelSMS
	ConsentScopeCollections = "collections"
)

// ConsentRecord is a consent decision as the creditor's system reports it:
// granted (RevokedAt nil) at GrantedAt, or withdrawn at RevokedAt.
type ConsentRecord struct {
	Channel   string
	Scope     string
	Source    string // where it was collected: web_form, contract, call_center...
	GrantedAt time.Time
	RevokedAt *time.Time
}

// RecordConsent stores the creditor's consent record for a debtor, the one the
// contact policy enforces from then on. The newest decision wins: a grant
// older than a recorded withdrawal is an ECONFLICT (the debtor withdrew after
// it), and a grant to a debtor who stopped messages on WhatsApp is an
// ECONFLICT too, because only the debtor can undo that, by writing again.
func (db *DB) RecordConsent(ctx context.Context, debtorID int64, r ConsentRecord, audit ...acuerdo.AuditEntry) (acuerdo.Consent, error) {
	now := db.now()
	if r.Channel != ConsentChannelWhatsApp && r.Channel != ConsentChannelSMS || r.Scope != ConsentScopeCollections {
		return acuerdo.Consent{}, acuerdo.Errorf(acuerdo.EINVALID, "consent for channel %q scope %q is not enforced by acuerdo: use channel whatsapp or sms and scope collections", r.Channel, r.Scope)
	}
	if r.Source == "" {
		return acuerdo.Consent{}, acuerdo.Errorf(acuerdo.EINVALID, "a consent record needs its source: where it was collected (web_form, contract, call_center...)")
	}
	at := r.GrantedAt
	if r.RevokedAt != nil {
		at = *r.RevokedAt
	}
	if at.IsZero() {
		return acuerdo.Consent{}, acuerdo.Errorf(acuerdo.EINVALID, "a consent record needs the time it was granted or revoked")
	}
	if at.After(now.Add(5 * time.Minute)) {
		return acuerdo.Consent{}, acuerdo.Errorf(acuerdo.EINVALID, "consent time %s is in the future: send when it was collected", at.UTC().Format(time.RFC3339))
	}
	c := acuerdo.Consent{DebtorID: debtorID, Channel: r.Channel, Scope: r.Scope, Source: r.Source, GrantedAt: r.GrantedAt.UTC()}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := lockDebtor(ctx, tx, debtorID); err != nil {
			return fmt.Errorf("record consent: %w", err)
		}
		var old acuerdo.Consent
		err := tx.QueryRowContext(ctx, `SELECT granted_at, revoked_at FROM consents WHERE debtor_id = ? AND channel = ? AND scope = ? FOR UPDATE`, debtorID, r.Channel, r.Scope).
			Scan(&old.GrantedAt, &old.RevokedAt)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if r.RevokedAt == nil {
			if exists && old.RevokedAt != nil && !r.GrantedAt.After(*old.RevokedAt) {
				return acuerdo.Errorf(acuerdo.ECONFLICT, "the debtor withdrew consent on %s, after this grant: send a consent collected after that", old.RevokedAt.UTC().Format(time.RFC3339))
			}
			var optedOut bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM conversations WHERE debtor_id = ? AND opted_out = TRUE)`, debtorID).Scan(&optedOut); err != nil {
				return err
			}
			if optedOut {
				return acuerdo.Errorf(acuerdo.ECONFLICT, "the debtor stopped messages on WhatsApp; only the debtor can resume them by writing to us")
			}
		} else {
			rev := r.RevokedAt.UTC()
			if exists && old.RevokedAt == nil && rev.Before(old.GrantedAt) {
				return acuerdo.Errorf(acuerdo.ECONFLICT, "consent was granted again on %s, after this withdrawal: nothing to change", old.GrantedAt.UTC().Format(time.RFC3339))
			}
			c.RevokedAt = &rev
			if exists {
				c.GrantedAt = old.GrantedAt // a withdrawal keeps when consent was given
			} else if c.GrantedAt.IsZero() {
				c.GrantedAt = rev // never granted: the row records only the withdrawal
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO consents (debtor_id, channel, scope, source, granted_at, revoked_at) VALUES (?,?,?,?,?,?)
			ON CONFLICT (debtor_id, channel, scope) DO UPDATE SET source = excluded.source, granted_at = excluded.granted_at, revoked_at = excluded.revoked_at`,
			debtorID, c.Channel, c.Scope, c.Source, c.GrantedAt, c.RevokedAt)
		if err != nil {
			return fmt.Errorf("record consent: %w", err)
		}
		return appendAll(ctx, tx, audit, now)
	})
	return c, err
}

// Consents returns every consent record of a debtor.
func (db *DB) Consents(ctx context.Context, debtorID int64) ([]acuerdo.Consent, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT channel, source, scope, granted_at, revoked_at FROM consents WHERE debtor_id = ? ORDER BY channel, scope`, debtorID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []acuerdo.Consent
	for rows.Next() {
		c := acuerdo.Consent{DebtorID: debtorID}
		if err := rows.Scan(&c.Channel, &c.Source, &c.Scope, &c.GrantedAt, &c.RevokedAt); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
