package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/store"
)

// Payments records the payments of t in one transaction. A row needs an account
// reference, an amount and a payment time; its external id makes it idempotent.
// Rows without one get an id derived from account, amount, time and method, so
// importing the same file twice still records each payment once.
// paymentFields are what a payments file may say.
var paymentFields = []field{fAccount, fAmount, fPaidAt, fMethod, fExternalID}

func Payments(ctx context.Context, db *store.DB, t Table, opt Options) (Summary, error) {
	start := time.Now()
	var sum Summary
	cols, err := mapColumns(t.Header(), paymentFields, []field{fAccount, fAmount, fPaidAt}, opt.Map)
	if err != nil {
		return sum, err
	}
	sum.Ignored = cols.ignored
	_, exact := t.(*csvTable)
	loc, err := time.LoadLocation(DefaultZone(opt.Country))
	if err != nil {
		return sum, err
	}
	monthFirst := opt.Country == "US"
	pi, err := db.BeginPaymentImport(ctx, "import")
	if err != nil {
		return sum, err
	}
	// The transaction stays open after a rejected row, because later rows still
	// need their accounts looked up; it is rolled back at the end.
	failed := false
	seen := map[string]int{}
	for {
		rec, line, err := t.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			pi.Rollback()
			return sum, err
		}
		sum.Rows++
		if opt.Progress != nil && sum.Rows%10000 == 0 {
			opt.Progress(sum.Rows)
		}
		var errs []RowError
		bad := func(f field, format string, args ...any) {
			errs = append(errs, RowError{line, cols.name(f), fmt.Sprintf(format, args...)})
		}
		get := func(f field) string { return cols.get(rec, f) }
		if e := shape(line, rec, len(cols.header), exact); e != nil {
			sum.reject(*e)
			failed = failed || !opt.SkipInvalid
			continue
		}
		var p acuerdo.Payment
		ref := get(fAccount)
		var cur string
		if ref == "" {
			bad(fAccount, "missing account reference")
		} else if p.AccountID, cur, err = pi.Account(ref); err != nil {
			if acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND {
				pi.Rollback()
				return sum, err
			}
			bad(fAccount, "%s", acuerdo.ErrorMessage(err))
		}
		if s := get(fAmount); s == "" {
			bad(fAmount, "missing amount")
		} else if cur != "" {
			m, err := acuerdo.ParseLocalizedMoney(s, cur)
			switch {
			case err != nil:
				bad(fAmount, "%q is not an amount: write it like 150000 or 150.000,50", s)
			case m.Amount <= 0:
				bad(fAmount, "amount %s must be greater than zero", s)
			}
			p.Amount = m
		}
		if s := get(fPaidAt); s == "" {
			bad(fPaidAt, "missing payment date")
		} else if p.PaidAt, err = parseTime(s, monthFirst, loc); err != nil {
			bad(fPaidAt, "%v", err)
		}
		p.Method = strings.ToLower(get(fMethod))
		p.ExternalID = get(fExternalID)
		if p.ExternalID == "" && errs == nil {
			h := sha256.Sum256([]byte(fmt.Sprintf("%s|%d|%s|%s", ref, p.Amount.Amount, p.PaidAt.UTC().Format(time.RFC3339), p.Method)))
			p.ExternalID = "import:" + hex.EncodeToString(h[:12])
		}
		if errs == nil {
			if first, dup := seen[p.ExternalID]; dup {
				bad(fExternalID, "payment %q appears again (first on row %d)", p.ExternalID, first)
			} else {
				seen[p.ExternalID] = line
			}
		}
		if errs == nil && !failed {
			if err := pi.Add(p); err != nil {
				if acuerdo.ErrorCode(err) != acuerdo.EINVALID {
					pi.Rollback()
					return sum, err
				}
				bad(fExternalID, "%s", acuerdo.ErrorMessage(err))
			}
		}
		for _, e := range errs {
			sum.reject(e)
		}
		if errs != nil && !opt.SkipInvalid {
			failed = true
		}
	}
	sum.Elapsed = time.Since(start)
	if failed {
		pi.Rollback()
		return sum, nil
	}
	counts, err := pi.Commit()
	if err != nil {
		return sum, err
	}
	sum.Inserted, sum.Skipped, sum.Written = counts.Inserted, counts.Skipped, true
	sum.Elapsed = time.Since(start)
	return sum, nil
}
