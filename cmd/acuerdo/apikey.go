package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"acuerdo"
	"acuerdo/store"
)

func init() {
	register(command{name: "apikey", summary: "create, list and revoke API keys for /api/v1 (the creditor's core system)", run: runAPIKey})
}

const apikeyAbout = `Manages the keys the creditor's core system uses on /api/v1, sent as
"Authorization: Bearer KEY".

  acuerdo apikey create --name core-banking --scope write
  acuerdo apikey list
  acuerdo apikey revoke ID|PREFIX

create prints the key once: only its SHA-256 hash is stored, so a lost key
cannot be shown again; create another and revoke the lost one. A read key
may only read (debtors, promises, plans, cases, outcomes, exports); a write
key may also upsert debtors, post payments and consents, and erase. A revoked
key is refused at once with 401 and the code key_revoked.`

func runAPIKey(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "apikey", "apikey create --name NAME --scope read|write | list | revoke ID|PREFIX", apikeyAbout)
	name := fs.String("name", "", "who uses the key, e.g. `core-banking` (create)")
	scope := fs.String("scope", "", "read or write (create)")
	// Flags may come before or after SUBCOMMAND and its argument.
	pos, err := parseMixed(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return usageErr("apikey needs a subcommand: create, list or revoke")
	}
	sub := pos[0]
	switch sub {
	case "create":
		if len(pos) > 1 {
			return usageErr("apikey create takes no arguments, got %q", pos[1])
		}
		if *name == "" || (*scope != store.ScopeRead && *scope != store.ScopeWrite) {
			return usageErr("apikey create needs --name NAME and --scope read or --scope write")
		}
	case "revoke":
		if len(pos) != 2 {
			return usageErr("apikey revoke needs one key id or prefix (see acuerdo apikey list)")
		}
	case "list":
		if len(pos) > 1 {
			return usageErr("apikey list takes no arguments")
		}
	default:
		return usageErr("unknown apikey subcommand %q: use create, list or revoke", sub)
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "create":
		key, k, err := db.CreateAPIKey(ctx, *name, *scope, acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "apikey_create", Outcome: acuerdo.Allowed,
			Rule: "cli", Detail: fmt.Sprintf("%s scope %s", *name, *scope)})
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(e.stderr, "API key %d (%s, scope %s) created. It is shown only now: store it in your secret manager.\n", k.ID, k.Name, k.Scope)
		fmt.Fprintln(e.stdout, key)
	case "revoke":
		k, err := db.RevokeAPIKey(ctx, pos[1], acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "apikey_revoke", Outcome: acuerdo.Allowed, Rule: "cli", Detail: pos[1]})
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(e.stdout, "revoked API key %d (%s, %s)\n", k.ID, k.Prefix, k.Name)
	case "list":
		keys, err := db.APIKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPREFIX\tNAME\tSCOPE\tCREATED\tLAST USED\tSTATUS")
		for _, k := range keys {
			status := "active"
			if k.RevokedAt != nil {
				status = "revoked " + k.RevokedAt.UTC().Format(time.DateOnly)
			}
			used := "never"
			if k.LastUsedAt != nil {
				used = k.LastUsedAt.UTC().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Name, k.Scope, k.CreatedAt.UTC().Format(time.DateOnly), used, status)
		}
		return tw.Flush()
	}
	return nil
}

// cliError turns a user-facing store error into its message with exit
// status 1; anything else stays as it is.
func cliError(err error) error {
	switch acuerdo.ErrorCode(err) {
	case acuerdo.EINVALID, acuerdo.ENOTFOUND, acuerdo.ECONFLICT:
		return &exitError{1, fmt.Errorf("%s", acuerdo.ErrorMessage(err))}
	}
	return err
}
