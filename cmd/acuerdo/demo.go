package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"acuerdo/demo"
	"acuerdo/store"
)

func init() {
	register(command{name: "demo", summary: "seed a synthetic demo portfolio, or write it as CSV", run: runDemo})
}

const demoAbout = `Seeds the database with a synthetic portfolio of debtors (Colombian, Brazilian
and Mexican numbers, skewed balances, days past due) through the same importer a
real file goes through; nobody real is in it. With --csv it writes the portfolio
to a file instead, e.g. to try "acuerdo import debtors" or to benchmark it.`

func runDemo(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "demo", "demo [--debtors N] [--seed S] [--csv FILE]", demoAbout)
	n := fs.Int("debtors", 500, "how many debtors")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same portfolio")
	out := fs.String("csv", "", "write the portfolio to this CSV `file` instead of the database")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if *n <= 0 {
		return usageErr("--debtors must be positive")
	}
	g := demo.New(*seed, time.Now().UTC(), true)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return &exitError{2, err}
		}
		if err := demo.WriteCSV(f, g, *n); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %d debtors to %s\n", *n, *out)
		return nil
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	sum, err := demo.Seed(ctx, db, g, *n)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "demo portfolio in %s: %s\n", *dbPath, sum)
	return nil
}
