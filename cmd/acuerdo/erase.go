package main

import (
	"context"
	"fmt"

	"acuerdo"
	"acuerdo/store"
)

func init() {
	register(command{name: "erase", summary: "erase a person's personal data and messages, keeping anonymised aggregates", run: runErase})
}

const eraseAbout = `Erases what acuerdo holds about one phone number: name, phone, document,
email, the text of every message, downloaded receipts, case summaries and
consent records. Accounts, payments, promises and pilot assignments stay,
anonymised, so pilot reports keep their numbers. The erasure is audited (without
the number). It cannot be undone.`

func runErase(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "erase", "erase --phone NUMBER", eraseAbout)
	phoneArg := phoneFlags(fs, "the person's", true)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	e164, err := phoneArg()
	if err != nil {
		return err
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	// The audit line names no number: it must outlive the data it erases.
	entry := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "erase", Outcome: acuerdo.Allowed, Rule: "data_subject_request"}
	out, err := db.Erase(ctx, e164, entry)
	if err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.ENOTFOUND {
			return &exitError{1, fmt.Errorf("%s", acuerdo.ErrorMessage(err))}
		}
		return err
	}
	fmt.Fprintf(e.stdout, "erased: debtor %d, %d conversations, %d messages, %d receipts, %d cases\n", out.DebtorID, out.Conversations, out.Messages, out.Media, out.Cases)
	return nil
}
