package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/store"
)

func init() {
	register(command{name: "export", summary: "print everything held about one debtor as JSON (data subject access), or the unreachable numbers (--hygiene)", run: runExport})
}

const exportAbout = `Prints, as one JSON document on standard output, everything acuerdo holds
about the debtor with this phone number: the debtor, accounts, consent
records, conversations with every message, promises, plans, cases, payments,
the audit lines of their conversations and the events sent about them to the
creditor. The same document is served at GET /api/v1/debtors/{ref}/export.
The export is audited (without the number).

With --hygiene instead of --phone it writes, as CSV, every debtor whose phone
cannot be contacted — the provider said the number is invalid or not on
WhatsApp, the person blocked the business or unsubscribed, someone said it is
a wrong number, or the debtor opted out — with why and since when, for the
creditor to fix its records (columns: debtor_id, phone, name, accounts,
reason, detail, since). --out FILE writes it to a file instead of standard
output.`

func runExport(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "export", "export --phone NUMBER | export --hygiene [--out FILE]", exportAbout)
	hygiene := fs.Bool("hygiene", false, "write the unreachable numbers as CSV instead")
	out := fs.String("out", "", "with --hygiene, the CSV `file` to write (default: standard output)")
	phoneArg := phoneFlags(fs, "the debtor's", false)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("export takes no arguments, got %q", fs.Arg(0))
	}
	if *hygiene {
		if p, _ := phoneArg(); p != "" {
			return usageErr("--hygiene lists every unreachable number: leave out --phone")
		}
		return exportHygiene(ctx, *dbPath, *out, e)
	}
	if *out != "" {
		return usageErr("--out goes with --hygiene; the debtor export prints JSON on standard output")
	}
	if p, err := phoneArg(); err == nil && p == "" {
		fs.Usage()
		return usageErr("--phone is required (or --hygiene)")
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

// exportHygiene writes the unreachable numbers as CSV, to path or stdout. A
// file is written whole or not at all: to a temporary name, then renamed.
func exportHygiene(ctx context.Context, dbPath, path string, e *env) error {
	db, err := openDB(ctx, dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Unreachable(ctx)
	if err != nil {
		return cliError(err)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"debtor_id", "phone", "name", "accounts", "reason", "detail", "since"})
	for _, r := range rows {
		_ = w.Write([]string{strconv.FormatInt(r.DebtorID, 10), r.Phone, r.Name, strings.Join(r.Accounts, " "), r.Reason, r.Detail, r.Since.UTC().Format(time.RFC3339)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := db.AppendAudit(ctx, acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "export_hygiene", Outcome: acuerdo.Allowed, Rule: "contact_hygiene",
		Detail: fmt.Sprintf("%d unreachable numbers", len(rows))}); err != nil {
		return err
	}
	if path == "" {
		_, err := e.stdout.Write(b.Bytes())
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		return &exitError{2, fmt.Errorf("write %s: %w", path, err)}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return &exitError{2, fmt.Errorf("write %s: %w", path, err)}
	}
	fmt.Fprintf(e.stderr, "%d unreachable numbers written to %s\n", len(rows), path)
	return nil
}
