package store_test

import (
	"context"
	"strings"
	"testing"

	"acuerdo"
	"acuerdo/store"
)

// Search ignores case on both backends (SQLite's LIKE does, PostgreSQL's not).
func TestSearchIgnoresCase(t *testing.T) {
	db, clk := openConsoleDB(t)
	ctx := context.Background()
	im, _ := db.BeginPortfolioImport(ctx)
	bal := acuerdo.Money{Amount: 100000, Currency: "COP"}
	_ = im.Add(store.PortfolioRow{Debtor: acuerdo.Debtor{Phone: "+573001234567", Name: "Ana Pérez"},
		Account: acuerdo.Account{Ref: "CR-Ab1", Balance: &bal, InstallmentAmount: acuerdo.Money{Currency: "COP"}}})
	if _, err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	conv, _ := db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	d, _ := db.DebtorByPhone(ctx, "+573001234567")
	if _, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, DebtorID: d.ID, Reason: acuerdo.ReasonDispute}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"ana", "ANA PÉ", "cr-ab1", "Ana"} {
		if got, err := db.Cases(ctx, store.CaseFilter{Query: q}); err != nil || len(got) != 1 {
			t.Errorf("cases matching %q: %d, %v; want 1", q, len(got), err)
		}
		if got, n, err := db.Contacts(ctx, store.ContactFilter{Query: q, Since: clk.now().AddDate(0, 0, -1)}); err != nil || n != 1 || len(got) != 1 {
			if q != "cr-ab1" { // contacts are searched by phone and name only
				t.Errorf("contacts matching %q: %d, %v; want 1", q, n, err)
			}
		}
	}
}

// Search folds case and accents (acuerdo.FoldRune) the same way on both
// backends: an operator who types "perez" or "NUNEZ" finds Pérez and Núñez,
// and LIKE's wildcards in what they type match only themselves.
func TestSearchFoldsCaseAndAccents(t *testing.T) {
	db, clk := openConsoleDB(t)
	ctx := context.Background()
	people := []struct{ phone, name, ref string }{
		{"+573001110001", "Ana Pérez", "CR-Ñ01"},
		{"+573001110002", "JOSÉ ÑÚÑEZ", "CR-0002"},
		{"+573001110003", "Çağla Łukasz", "CR-0003"},
		{"+573001110004", "100% Ramírez_x", "CR-0004"},
		{"+573001110005", "beto Álvarez", "CR-0005"},
	}
	im, _ := db.BeginPortfolioImport(ctx)
	for _, p := range people {
		bal := acuerdo.Money{Amount: 100000, Currency: "COP"}
		if err := im.Add(store.PortfolioRow{Debtor: acuerdo.Debtor{Phone: p.phone, Name: p.name},
			Account: acuerdo.Account{Ref: p.ref, Balance: &bal, InstallmentAmount: acuerdo.Money{Currency: "COP"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		conv, _ := db.Conversation(ctx, acuerdo.ChannelWhatsApp, p.phone)
		d, _ := db.DebtorByPhone(ctx, p.phone)
		if _, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, DebtorID: d.ID, Reason: acuerdo.ReasonDispute}); err != nil {
			t.Fatal(err)
		}
	}
	// Sorted by name, lower-cased, by code point: the same order on both
	// backends ("beto" before "JOSÉ"; accented initials after z).
	sorted, _, err := db.Contacts(ctx, store.ContactFilter{Sort: "name", Since: clk.now().AddDate(0, 0, -1)})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range sorted {
		order = append(order, c.Name)
	}
	if want := []string{"100% Ramírez_x", "Ana Pérez", "beto Álvarez", "JOSÉ ÑÚÑEZ", "Çağla Łukasz"}; strings.Join(order, "|") != strings.Join(want, "|") {
		t.Errorf("contacts by name: %q, want %q", order, want)
	}
	for _, tc := range []struct {
		query string
		want  []string // names found, in any order
		cases []string // extra names found among cases only (by account reference)
	}{
		{"perez", []string{"Ana Pérez"}, nil},
		{"PÉREZ", []string{"Ana Pérez"}, nil},
		{"pÉrEz", []string{"Ana Pérez"}, nil},
		{"nunez", []string{"JOSÉ ÑÚÑEZ"}, nil},
		{"José Ñúñez", []string{"JOSÉ ÑÚÑEZ"}, nil},
		{"cagla lukasz", []string{"Çağla Łukasz"}, nil},
		{"ÇAĞLA", []string{"Çağla Łukasz"}, nil},
		{"cr-n01", nil, []string{"Ana Pérez"}},
		{"100%", []string{"100% Ramírez_x"}, nil},
		{"ramirez_x", []string{"100% Ramírez_x"}, nil},
		{"%", []string{"100% Ramírez_x"}, nil}, // a literal %, not "anything"
		{"_", []string{"100% Ramírez_x"}, nil}, // a literal _
		{"ram_rez", nil, nil},
		{"ram.rez", nil, nil}, // a regular expression's dot is literal too
		{"ALVAREZ", []string{"beto Álvarez"}, nil},
		{"z b", nil, nil},
		{"perez ana", nil, nil},
		{"1110002", []string{"JOSÉ ÑÚÑEZ"}, nil}, // by phone
	} {
		t.Run(tc.query, func(t *testing.T) {
			contacts, n, err := db.Contacts(ctx, store.ContactFilter{Query: tc.query, Since: clk.now().AddDate(0, 0, -1)})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range contacts {
				got = append(got, c.Name)
			}
			if !sameNames(got, tc.want) || n != len(tc.want) {
				t.Errorf("contacts: %q (total %d), want %q", got, n, tc.want)
			}
			cs, err := db.Cases(ctx, store.CaseFilter{Query: tc.query})
			if err != nil {
				t.Fatal(err)
			}
			got = got[:0]
			for _, c := range cs {
				got = append(got, c.Name)
			}
			if want := append(append([]string{}, tc.want...), tc.cases...); !sameNames(got, want) {
				t.Errorf("cases: %q, want %q", got, want)
			}
		})
	}
}

func sameNames(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[string]int{}
	for _, g := range got {
		seen[g]++
	}
	for _, w := range want {
		if seen[w]--; seen[w] < 0 {
			return false
		}
	}
	return true
}
