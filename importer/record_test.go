package importer_test

import (
	"strings"
	"testing"

	"acuerdo/importer"
)

// TestRecord: a record (the API's items) is validated as a file row is, with
// errors naming the record's own field names, and Strict refusing the
// localized amounts and dates a file may carry.
func TestRecord(t *testing.T) {
	base := map[string]string{"account_ref": "CR-1", "phone": "+573001234567", "name": "  Ana   Pérez "}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		values map[string]string
		opt    importer.Options
		want   string // "field: message part", "" for valid
	}{
		{"minimal", base, importer.Options{Strict: true}, ""},
		{"national with country option", with("phone", "300 123 4567"), importer.Options{Country: "CO", Strict: true}, ""},
		{"national without country", with("phone", "3001234567"), importer.Options{Strict: true}, "phone: has no country code"},
		{"missing name", with("name", ""), importer.Options{Strict: true}, "name: missing name"},
		{"localized amount, strict", with("balance", "1.500,50"), importer.Options{Strict: true}, "balance: is not an amount: write it like 150000 or 150000.50"},
		{"localized amount, file", with("balance", "1.500,50"), importer.Options{}, ""},
		{"day-first date, strict", with("due_date", "10/03/2026"), importer.Options{Strict: true}, "due_date: write it as YYYY-MM-DD"},
		{"day-first date, file", with("due_date", "10/03/2026"), importer.Options{}, ""},
		{"bad zone", with("time_zone", "Mars/Olympus"), importer.Options{Strict: true}, "time_zone: is not a time zone"},
		{"bad email", with("email", "ana at x"), importer.Options{Strict: true}, "email: is not an email address"},
		{"negative days", with("days_past_due", "-3"), importer.Options{Strict: true}, "days_past_due: is negative"},
	} {
		row, errs := importer.Record(tc.values, tc.opt)
		if tc.want == "" {
			if errs != nil {
				t.Errorf("%s: %v", tc.name, errs)
			} else if row.Debtor.Phone != "+573001234567" || row.Debtor.Name != "Ana Pérez" || row.Debtor.Country != "CO" || row.Account.Ref != "CR-1" {
				t.Errorf("%s: row %+v", tc.name, row)
			}
			continue
		}
		field, msg, _ := strings.Cut(tc.want, ": ")
		if len(errs) != 1 || errs[0].Column != field || !strings.Contains(errs[0].Message, msg) {
			t.Errorf("%s: errors %v, want %s", tc.name, errs, tc.want)
		}
	}
}
