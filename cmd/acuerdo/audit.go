package main

import (
	"context"
	"encoding/json"
	"fmt"

	"acuerdo/store"
)

func init() {
	register(command{name: "audit", summary: "print the audit log: every tool call, guard, model call and admin action", run: runAudit})
}

const auditAbout = `Prints the audit log in the order it was written: every tool call with its
arguments, allowed or refused and by which rule; every guard decision; every
model call with its tokens, latency and cost; every admin action.`

func runAudit(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "audit", "audit [--phone NUMBER] [--format jsonl|text]", auditAbout)
	phoneArg := phoneFlags(fs, "only this debtor's conversations: their", false)
	format := fs.String("format", "jsonl", "jsonl (one JSON object per line) or text")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if *format != "jsonl" && *format != "text" {
		return usageErr("--format must be jsonl or text")
	}
	f := store.AuditFilter{Limit: 1000}
	var err error
	if f.Phone, err = phoneArg(); err != nil {
		return err
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	enc := json.NewEncoder(e.stdout)
	for {
		page, err := db.Audit(ctx, f)
		if err != nil {
			return err
		}
		for _, a := range page {
			if *format == "jsonl" {
				if err := enc.Encode(a); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintf(e.stdout, "%s conv=%d %-7s %-22s %-8s %s %s %s\n", a.Time.UTC().Format("2006-01-02T15:04:05Z"), a.ConversationID, a.Kind, a.Name, a.Outcome, a.Rule, a.Args, a.Detail)
		}
		if len(page) < f.Limit {
			return nil
		}
		f.After = page[len(page)-1].ID
	}
}
