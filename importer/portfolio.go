package importer

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strings"
	"sync"
	"time"

	"acuerdo"
	"acuerdo/phone"
	"acuerdo/store"
)

var portfolioFields = []field{fAccount, fPhone, fName, fBalance, fInstallment, fDueDate, fDaysPastDue, fDocument, fEmail, fCurrency, fCountry, fTimeZone, fConsent, fSegment}

// chunkSize rows travel together between the pipeline's stages, so channel
// operations stay a small share of the per-row cost.
const chunkSize = 512

type rawRow struct {
	line   int
	fields []string
}

type chunk struct {
	seq  int
	raw  []rawRow
	rows []store.PortfolioRow
	errs [][]RowError // per raw row; nil when valid
}

// Portfolio imports debtors and accounts from t into db in one transaction. Rows
// are read in one goroutine, validated in Workers more (phone parsing is the
// costly part) and written in order by the caller's goroutine; memory stays
// bounded by the chunks in flight plus the set of account references seen.
func Portfolio(ctx context.Context, db *store.DB, t Table, opt Options) (Summary, error) {
	start := time.Now()
	var sum Summary
	cols, err := mapColumns(t.Header(), portfolioFields, []field{fAccount, fPhone, fName}, opt.Map)
	if err != nil {
		return sum, err
	}
	sum.Ignored = cols.ignored
	_, cols.exact = t.(*csvTable)
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	v := &validator{cols: cols, opt: opt, zones: map[string]error{}}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raw := make(chan chunk, opt.Workers*2)
	done := make(chan chunk, opt.Workers*2)
	readErr := make(chan error, 1)
	go func() {
		defer close(raw)
		readErr <- readChunks(ctx, t, raw, opt.Progress)
	}()
	var wg sync.WaitGroup
	for i := 0; i < opt.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range raw {
				v.validate(&c)
				select {
				case done <- c:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	im, err := db.BeginPortfolioImport(ctx)
	if err != nil {
		return sum, err
	}
	if opt.Synthetic {
		im.Synthetic()
	}
	writing := true
	// Account references seen so far, by 64-bit hash: a string-keyed map would keep
	// every CSV line alive (the reference is a slice of it) and cost over 100 MB at
	// a million rows. A false "appears again" needs a hash collision, about 3e-8
	// for a million references.
	seed := maphash.MakeSeed()
	seen := map[uint64]int32{}
	pending := map[int]chunk{}
	next := 0
	var writeErr error
	for c := range done {
		pending[c.seq] = c
		for {
			c, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			for i, r := range c.raw {
				sum.Rows++
				errs := c.errs[i]
				if errs == nil {
					ref := c.rows[i].Account.Ref
					h := maphash.String(seed, ref)
					if first, dup := seen[h]; dup {
						errs = []RowError{{r.line, cols.name(fAccount), fmt.Sprintf("account %q appears again (first on row %d): each account goes on one row", ref, first)}}
					} else {
						seen[h] = int32(r.line)
					}
				}
				for _, e := range errs {
					sum.reject(e)
				}
				if errs != nil && !opt.SkipInvalid && writing {
					im.Rollback() // nothing will be written: stop writing, keep validating
					writing = false
				}
				if errs == nil && writing && writeErr == nil {
					writeErr = im.Add(c.rows[i])
				}
			}
			if writeErr != nil {
				cancel()
			}
		}
	}
	sum.Elapsed = time.Since(start)
	if rerr := <-readErr; writeErr != nil || rerr != nil || ctx.Err() != nil {
		if writing {
			im.Rollback()
		}
		if writeErr != nil {
			return sum, writeErr
		}
		return sum, errors.Join(rerr, ctx.Err())
	}
	if !writing {
		return sum, nil
	}
	counts, err := im.Commit()
	if err != nil {
		return sum, err
	}
	sum.Inserted, sum.Updated, sum.Written = counts.Inserted, counts.Updated, true
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// readChunks reads t into chunks of raw rows; the CSV reader reuses its record
// slice, so fields are copied out.
func readChunks(ctx context.Context, t Table, out chan<- chunk, progress func(int)) error {
	seq, rows := 0, 0
	c := chunk{seq: seq}
	send := func() bool {
		select {
		case out <- c:
		case <-ctx.Done():
			return false
		}
		seq++
		c = chunk{seq: seq}
		if progress != nil {
			progress(rows)
		}
		return true
	}
	for {
		rec, line, err := t.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		rows++
		c.raw = append(c.raw, rawRow{line, append([]string(nil), rec...)})
		if len(c.raw) == chunkSize && !send() {
			return ctx.Err()
		}
	}
	if len(c.raw) > 0 && !send() {
		return ctx.Err()
	}
	if progress != nil {
		progress(rows)
	}
	return nil
}

// docPunct strips the separators people write document numbers with (1.234.567-8).
var docPunct = strings.NewReplacer(".", "", "-", "", " ", "")

type validator struct {
	cols columns
	opt  Options

	mu    sync.Mutex
	zones map[string]error // time zones already checked
}

func (v *validator) validate(c *chunk) {
	c.rows = make([]store.PortfolioRow, len(c.raw))
	c.errs = make([][]RowError, len(c.raw))
	for i, r := range c.raw {
		c.rows[i], c.errs[i] = v.row(r)
	}
}

func (v *validator) row(r rawRow) (store.PortfolioRow, []RowError) {
	var errs []RowError
	bad := func(f field, format string, args ...any) {
		errs = append(errs, RowError{r.line, v.cols.name(f), fmt.Sprintf(format, args...)})
	}
	get := func(f field) string { return v.cols.get(r.fields, f) }
	var out store.PortfolioRow
	d, a := &out.Debtor, &out.Account
	if e := shape(r.line, r.fields, len(v.cols.header), v.cols.exact); e != nil {
		return out, []RowError{*e}
	}

	a.Ref = get(fAccount)
	if a.Ref == "" {
		bad(fAccount, "missing account reference")
	}
	d.Name = strings.Join(strings.Fields(get(fName)), " ")
	if d.Name == "" {
		bad(fName, "missing name")
	}
	country := strings.ToUpper(get(fCountry))
	if country != "" && len(country) != 2 {
		bad(fCountry, "%q is not a country code: use two letters such as CO, BR, MX", country)
		country = ""
	}
	region := country
	if region == "" {
		region = v.opt.Country
	}
	if raw := get(fPhone); raw == "" {
		bad(fPhone, "missing phone number")
	} else if n, err := phone.Normalize(raw, region); err != nil {
		if region == "" {
			bad(fPhone, "%q has no country code: write it as +57 300 123 4567 or pass --country", raw)
		} else {
			bad(fPhone, "%q is not a valid phone number for %s: check the digits, or write it with its country code (+57 300 123 4567)", raw, region)
		}
	} else {
		d.Phone = n.E164
		if country == "" {
			country = n.Country
		}
	}
	d.Country = country
	d.Locale = localeOf(country)

	cur := strings.ToUpper(get(fCurrency))
	if cur == "" {
		cur = acuerdo.CurrencyOf(country)
	}
	if !acuerdo.ValidCurrency(cur) {
		if cur == "" && d.Phone == "" {
			// The phone already failed; its country would have given the currency.
		} else if cur == "" {
			bad(fCurrency, "no currency for country %q: add a currency column (COP, BRL, MXN...)", country)
		} else {
			bad(fCurrency, "%q is not a currency code: use COP, BRL, MXN, USD...", cur)
		}
		cur = ""
	}
	money := func(f field) (acuerdo.Money, bool) {
		s := get(f)
		if s == "" || cur == "" {
			return acuerdo.Money{Currency: cur}, false
		}
		parse, example := acuerdo.ParseLocalizedMoney, "150000 or 150.000,50"
		if v.opt.Strict {
			parse, example = acuerdo.ParseMoney, "150000 or 150000.50"
		}
		m, err := parse(s, cur)
		if err != nil {
			bad(f, "%q is not an amount: write it like %s", s, example)
			return m, false
		}
		if m.Amount < 0 {
			bad(f, "amount %s is negative", s)
			return m, false
		}
		return m, true
	}
	if m, ok := money(fBalance); ok {
		a.Balance = &m
	}
	a.InstallmentAmount, _ = money(fInstallment)
	a.InstallmentAmount.Currency = cur
	if s := get(fDueDate); s != "" {
		dd, err := parseDate(s, country == "US" || (country == "" && v.opt.Country == "US"))
		if v.opt.Strict {
			if dd, err = acuerdo.ParseDate(s); err != nil {
				err = fmt.Errorf("%q is not a date: write it as YYYY-MM-DD", s)
			}
		}
		if err != nil {
			bad(fDueDate, "%v", err)
		}
		a.NextDueDate = dd
	}
	if s := get(fDaysPastDue); s != "" {
		n, err := parseInt(s)
		switch {
		case err != nil:
			bad(fDaysPastDue, "%v", err)
		case n < 0:
			bad(fDaysPastDue, "days past due %d is negative", n)
		default:
			a.DaysPastDue, out.KnownDaysPastDue = n, true
		}
	}
	d.DocumentID = docPunct.Replace(get(fDocument))
	if e := get(fEmail); e != "" {
		at := strings.IndexByte(e, '@')
		if at < 1 || !strings.Contains(e[at:], ".") || strings.ContainsAny(e, " ,;") {
			bad(fEmail, "%q is not an email address", e)
		}
		d.Email = strings.ToLower(e)
	}
	d.TimeZone = get(fTimeZone)
	if d.TimeZone != "" {
		if err := v.zone(d.TimeZone); err != nil {
			bad(fTimeZone, "%q is not a time zone: use an IANA name such as America/Bogota", d.TimeZone)
		}
	} else {
		d.TimeZone = zoneOf(country)
	}
	if s := get(fConsent); s != "" {
		b, err := parseBool(s)
		if err != nil {
			bad(fConsent, "%v", err)
		}
		out.Consent = &b
	}
	d.Segment = get(fSegment)
	return out, errs
}

func (v *validator) zone(name string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err, ok := v.zones[name]; ok {
		return err
	}
	_, err := time.LoadLocation(name)
	v.zones[name] = err
	return err
}
