// Command acuerdo is the one binary of acuerdo: the service, the importers and the
// tools analysts and admins run. Each subcommand lives in its own file; all wiring
// happens here.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/term"

	"acuerdo/otlp"
	"acuerdo/phone"
	"acuerdo/store"
)

// env is what a command may touch of the outside world, passed down so commands
// run in tests exactly as from a shell.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// tty reports whether stderr is a terminal (progress bars only go there).
	tty bool
	// stdinTTY reports whether a person types on stdin (chat shows a prompt).
	stdinTTY bool
	// tracer receives spans when serve exports traces (OTEL_EXPORTER_OTLP_ENDPOINT);
	// nil records nothing.
	tracer *otlp.Tracer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands lists every subcommand; main.go knows nothing else about them.
var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// exitError carries an exit status: 1 when rows were rejected, 2 for usage and
// file errors.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{2, fmt.Errorf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, tty: term.IsTerminal(int(os.Stderr.Fd())), stdinTTY: term.IsTerminal(int(os.Stdin.Fd()))}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			return run(ctx, e, []string{args[1], "--help"})
		}
		usage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "acuerdo: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return 2
	}
	err := c.run(ctx, e, args[1:])
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(e.stderr, "acuerdo %s: %v\n", c.name, err)
	var xe *exitError
	if errors.As(err, &xe) {
		return xe.code
	}
	return 1
}

func usage(w io.Writer) {
	fmt.Fprint(w, `acuerdo — an empathetic debt-collection agent for WhatsApp.

Usage: acuerdo COMMAND [flags] [args]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Every command takes --db PATH or --db postgres://URL (env ACUERDO_DB, default acuerdo.db).
Run "acuerdo COMMAND --help" for the flags of one command.
`)
}

// flags returns a FlagSet whose --help prints the command's own usage text, with
// the --db flag every command shares.
func flags(e *env, name, usageLine, about string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	def := e.getenv("ACUERDO_DB")
	if def == "" {
		def = "acuerdo.db"
	}
	db := fs.String("db", def, "SQLite database `path`, or a postgres:// URL (env ACUERDO_DB)")
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: acuerdo %s\n\n%s\n\nFlags:\n", usageLine, strings.TrimSpace(about))
		fs.PrintDefaults()
	}
	return fs, db
}

// parse parses args, sending --help to stdout and other mistakes to exit status 2.
func parse(e *env, fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(e.stderr)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(e.stdout)
		fs.Usage()
		return err
	}
	if err != nil {
		fs.Usage()
		return &exitError{2, err}
	}
	return nil
}

// parseMixed parses args where flags may come before, between or after the
// positional arguments (Go's flag package stops at the first positional),
// and returns the positionals in order.
func parseMixed(e *env, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(e, fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// phoneFlags adds --phone and --country to a command; the returned function
// gives the number in E.164 after parsing ("" when --phone was not given and not
// required), or a usage error that says what is wrong with it.
func phoneFlags(fs *flag.FlagSet, who string, required bool) func() (string, error) {
	num := fs.String("phone", "", who+" phone `number` (national numbers take --country)")
	country := fs.String("country", "CO", "country `code` for a national --phone")
	return func() (string, error) {
		if *num == "" {
			if required {
				fs.Usage()
				return "", usageErr("--phone is required")
			}
			return "", nil
		}
		n, err := phone.Normalize(*num, *country)
		if err != nil {
			return "", usageErr("--phone %q: %v", *num, err)
		}
		return n.E164, nil
	}
}

// openDB opens the database of --db; a database that cannot be opened is a
// usage or file error (exit status 2) for every command.
func openDB(ctx context.Context, path string, opt store.Options) (*store.DB, error) {
	db, err := store.Open(ctx, path, opt)
	if err != nil {
		return nil, &exitError{2, err}
	}
	return db, nil
}

// sub is one subcommand of a command that has several (experiment, user).
type sub struct {
	name string
	run  func(ctx context.Context, e *env, args []string) error
}

// subcommands runs the subcommand args[0] names; without one (or with only
// flags, like --help) it prints the command's help and says what to type.
func subcommands(ctx context.Context, e *env, name, about string, args []string, subs ...sub) error {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs, _ := flags(e, name, name+" "+strings.Join(names, "|")+" [flags]", about)
		if err := parse(e, fs, args); err != nil {
			return err
		}
		fs.Usage()
		return usageErr("%s needs a subcommand: %s", name, strings.Join(names, ", "))
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, e, args[1:])
		}
	}
	return usageErr("unknown %s subcommand %q: use %s", name, args[0], strings.Join(names, ", "))
}
