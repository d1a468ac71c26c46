package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/web/console"
)

func init() {
	register(command{name: "user", summary: "manage operator console users: add, list, disable", run: runUser})
}

const userAbout = `Manages the people who sign in to the operator console (/console).

  acuerdo user add --email ana@example.com --role admin --password-stdin < pw.txt
  acuerdo user list
  acuerdo user disable --email ana@example.com

Roles: admin (everything: users, contact deletion) and operator (inbox, cases,
contacts). The first admin is created here; after that admins manage users in
the console. The password is read from standard input (one line, at least 10
characters), never from a flag, so it stays out of shell history and ps.
Disabling a user ends their sessions at once. Every change is audited.`

func runUser(ctx context.Context, e *env, args []string) error {
	return subcommands(ctx, e, "user", userAbout, args, sub{"add", runUserAdd}, sub{"list", runUserList}, sub{"disable", runUserDisable})
}

func runUserAdd(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "user add", "user add --email EMAIL --role admin|operator --password-stdin [--name NAME]", userAbout)
	email := fs.String("email", "", "the user's `email`, used to sign in")
	role := fs.String("role", "", "admin or operator")
	name := fs.String("name", "", "the user's `name`, as the console shows it")
	phone := fs.String("phone", "", "the user's phone `number` (for the team's records)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input (required)")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if *email == "" || *role == "" || !*pwStdin {
		fs.Usage()
		return usageErr("user add needs --email, --role and --password-stdin")
	}
	addr, err := store.NormalizeEmail(*email)
	if err != nil {
		return usageErr("--email: %s", acuerdo.ErrorMessage(err))
	}
	if !store.ValidRole(*role) {
		return usageErr("--role %q: use admin or operator", *role)
	}
	pw, err := readPassword(e.stdin)
	if err != nil {
		return usageErr("%v", err)
	}
	hash, err := store.HashPassword(pw, 12)
	if err != nil {
		return usageErr("%s", acuerdo.ErrorMessage(err))
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	entry := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "user_create", Outcome: acuerdo.Allowed, Rule: "cli",
		Detail: fmt.Sprintf("created %s as %s from the command line", addr, *role)}
	u, err := db.CreateUser(ctx, store.User{Email: addr, Name: strings.TrimSpace(*name), Phone: strings.TrimSpace(*phone), Role: *role, PasswordHash: hash}, entry)
	if err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.ECONFLICT {
			return &exitError{1, fmt.Errorf("%s", acuerdo.ErrorMessage(err))}
		}
		return err
	}
	fmt.Fprintf(e.stdout, "user %d %s (%s) created; sign in at /console/login\n", u.ID, u.Email, u.Role)
	return nil
}

// readPassword takes the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no password on standard input: pipe it in, e.g. printf '%%s\\n' \"$PW\" | acuerdo user add … --password-stdin")
	}
	return line, nil
}

func runUserList(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "user list", "user list", userAbout)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	users, err := db.Users(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tSTATUS\tLAST SIGN-IN")
	for _, u := range users {
		status, last := "enabled", "-"
		if u.Disabled {
			status = "disabled"
		}
		if u.LastLoginAt != nil {
			last = u.LastLoginAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, status, last)
	}
	return tw.Flush()
}

func runUserDisable(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "user disable", "user disable --email EMAIL", userAbout)
	email := fs.String("email", "", "the `email` of the user to disable")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if *email == "" {
		fs.Usage()
		return usageErr("user disable needs --email")
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.UserByEmail(ctx, *email)
	if err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.ENOTFOUND {
			return &exitError{1, fmt.Errorf("no user with email %s: see acuerdo user list", *email)}
		}
		return err
	}
	yes := true
	entry := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "user_update", Outcome: acuerdo.Allowed, Rule: "cli",
		Detail: fmt.Sprintf("disabled user %d <%s> from the command line", u.ID, u.Email)}
	if _, err := db.UpdateUser(ctx, u.ID, store.UserChange{Disabled: &yes}, entry); err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.ECONFLICT {
			return &exitError{1, fmt.Errorf("%s", acuerdo.ErrorMessage(err))}
		}
		return err
	}
	fmt.Fprintf(e.stdout, "user %s disabled; their sessions ended\n", u.Email)
	return nil
}

// consoleOptions reads the console's settings from the environment:
// ACUERDO_TEMPLATE_BUDGET (template messages per month, 0 for none) and
// ACUERDO_CONSOLE_TZ (the team's time zone for "today").
func consoleOptions(e *env, pol policy.Config) (console.Options, error) {
	o := console.Options{Creditor: pol.CreditorName, Negotiation: pol.Negotiation}
	if v := strings.TrimSpace(e.getenv("ACUERDO_TEMPLATE_BUDGET")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return o, usageErr("ACUERDO_TEMPLATE_BUDGET %q: want a whole number of template messages per month, like 1000", v)
		}
		o.TemplateBudget = n
	}
	if v := strings.TrimSpace(e.getenv("ACUERDO_CONSOLE_TZ")); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil {
			return o, usageErr("ACUERDO_CONSOLE_TZ %q: want an IANA time zone such as America/Bogota", v)
		}
		o.Location = loc
	}
	if v := strings.TrimSpace(e.getenv("ACUERDO_TRUSTED_PROXIES")); v != "" {
		p, err := console.ParseTrustedProxies(v)
		if err != nil {
			return o, usageErr("ACUERDO_TRUSTED_PROXIES: %v; want the reverse proxies in front of acuerdo, comma-separated, like 10.0.0.0/8,192.0.2.10", err)
		}
		o.TrustedProxies = p
	}
	return o, nil
}

// Demo users: --demo makes them (or gives them fresh passwords) so a newcomer
// can sign in to the console at once. Never without --demo.
var demoUsers = []struct{ email, name, role string }{
	{"admin@demo.acuerdo", "Demo Admin", store.RoleAdmin},
	{"operador@demo.acuerdo", "Demo Operador", store.RoleOperator},
}

func seedDemoUsers(ctx context.Context, e *env, db *store.DB) error {
	fmt.Fprintln(e.stderr, "\n== demo console users (new passwords at every --demo start) ==")
	for _, du := range demoUsers {
		var b [9]byte
		_, _ = rand.Read(b[:])
		pw := base64.RawURLEncoding.EncodeToString(b[:])
		hash, err := store.HashPassword(pw, 0)
		if err != nil {
			return err
		}
		entry := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "demo_user", Outcome: acuerdo.Allowed, Rule: "demo", Detail: du.email}
		u, err := db.UserByEmail(ctx, du.email)
		switch {
		case acuerdo.ErrorCode(err) == acuerdo.ENOTFOUND:
			_, err = db.CreateUser(ctx, store.User{Email: du.email, Name: du.name, Role: du.role, PasswordHash: hash}, entry)
		case err == nil:
			enabled := false
			_, err = db.UpdateUser(ctx, u.ID, store.UserChange{PasswordHash: &hash, Disabled: &enabled}, entry)
		}
		if err != nil {
			return fmt.Errorf("demo user %s: %w", du.email, err)
		}
		fmt.Fprintf(e.stderr, "   %-9s %-24s password %s\n", du.role, du.email, pw)
	}
	fmt.Fprintln(e.stderr, "   sign in at /console/login")
	return nil
}
