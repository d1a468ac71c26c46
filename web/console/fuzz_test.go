package console

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"acuerdo"
	"acuerdo/store"
)

// FuzzConsoleInboxQuery: whatever the query string, the inbox filter holds
// only known states and reasons and a bounded search.
func FuzzConsoleInboxQuery(f *testing.F) {
	for _, s := range []string{"", "state=all", "state=VENCIDO&reason=legal&q=300", "state=%00&reason=' OR 1=1", "q=" + strings.Repeat("x", 500), "mine=1&state=EN_PROCESO"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, cf := parseInboxQuery(v)
		for _, s := range cf.States {
			if !slices.Contains(store.AllStates, s) {
				t.Fatalf("unknown state %q passed on", s)
			}
		}
		if cf.Reason != "" && !slices.Contains(reasons, cf.Reason) {
			t.Fatalf("unknown reason %q passed on", cf.Reason)
		}
		if len(q.Q) > 100 || cf.Query != q.Q {
			t.Fatalf("search %q not bounded", q.Q)
		}
	})
}

// FuzzConsoleContactsQuery: page and sort stay in range.
func FuzzConsoleContactsQuery(f *testing.F) {
	for _, s := range []string{"", "page=2&sort=name", "page=-1", "page=99999999999", "sort=;DROP TABLE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		cf, page := parseContactsQuery(v)
		if page < 1 || cf.Offset < 0 || cf.Limit != contactsPerPage || len(cf.Query) > 100 {
			t.Fatalf("page %d, filter %+v", page, cf)
		}
		if cf.Sort != "" && cf.Sort != "created_asc" && cf.Sort != "name" && cf.Sort != "last" {
			t.Fatalf("sort %q passed on", cf.Sort)
		}
	})
}

// FuzzConsoleCaseEdit: an accepted amount is never negative and always in a
// valid currency.
func FuzzConsoleCaseEdit(f *testing.F) {
	for _, s := range [][2]string{{"1.250.000", "COP"}, {"99,90", "brl"}, {"-5", "USD"}, {"", ""}, {"1e9", "XXX"}, {"R$ 1.234,56", "BRL"}} {
		f.Add(s[0], s[1], "PSE", "nota")
	}
	f.Fuzz(func(t *testing.T, amount, currency, method, comments string) {
		e, err := parseCaseEdit(caseEditForm{Amount: amount, Currency: currency, PaymentMethod: method, Comments: comments})
		if err != nil {
			if acuerdo.ErrorCode(err) != acuerdo.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if e.Amount != nil && (e.Amount.Amount < 0 || !acuerdo.ValidCurrency(e.Amount.Currency)) {
			t.Fatalf("accepted %+v", e.Amount)
		}
		if len([]rune(e.Comments)) > 4000 || len([]rune(e.PaymentMethod)) > 100 {
			t.Fatal("unbounded text accepted")
		}
	})
}

// FuzzConsoleSafeNext: the post-login redirect never leaves the console.
func FuzzConsoleSafeNext(f *testing.F) {
	for _, s := range []string{"/console/cases/1", "//evil.example/", "https://evil.example", "/console/\\evil", "/console/../../x", "/console/login?next=//x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/console/") || strings.HasPrefix(got, "//") {
			t.Fatalf("safeNext(%q) = %q leaves the console", next, got)
		}
	})
}

// FuzzConsoleCSVCell: no exported cell starts a spreadsheet formula.
func FuzzConsoleCSVCell(f *testing.F) {
	for _, s := range []string{"+573001234567", "=HYPERLINK(\"x\")", "-2+3", "@SUM(A1)", "Ana"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cell string) {
		got := csvSafe(cell)
		if got == "" {
			return
		}
		switch got[0] {
		case '=', '@', '\t', '\r':
			t.Fatalf("csvSafe(%q) = %q starts a formula", cell, got)
		case '+', '-':
			if strings.Trim(got[1:], "0123456789 ") != "" {
				t.Fatalf("csvSafe(%q) = %q starts a formula", cell, got)
			}
		}
	})
}
