package main

import (
	"context"
	"encoding/json"
	"fmt"

	"acuerdo"
	"acuerdo/store"
)

func init() {
	register(command{name: "export", summary: "print everything held about one debtor as JSON (data subject access)", run: runExport})
}

const exportAbout = `Prints, as one JSON document on standard output, everything acuerdo holds
about the debtor with this phone number: the debtor, accounts, consent
records, conversations with every message, promises, plans, cases, payments,
the audit lines of their conversations and the events sent about them to the
creditor. The same document is served at GET /api/v1/debtors/{ref}/export.
The export is audited (without the number).`

func runExport(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "export", "export --phone NUMBER", exportAbout)
	phoneArg := phoneFlags(fs, "the debtor's", true)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("export takes no arguments, got %q", fs.Arg(0))
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
	d, err := db.DebtorByPhone(ctx, e164)
	if err != nil {
		return cliError(err)
	}
	x, err := db.ExportDebtor(ctx, d.ID)
	if err != nil {
		return cliError(err)
	}
	if err := db.AppendAudit(ctx, acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "export", Outcome: acuerdo.Allowed, Rule: "data_subject_request",
		Detail: fmt.Sprintf("debtor %d", d.ID)}); err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(x)
}
