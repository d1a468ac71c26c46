package store_test

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/store/storetest"
)

var searchRows = flag.Int("search-rows", 20000, "contacts BenchmarkContactSearch searches")

// BenchmarkContactSearch times the console's contact search for a name typed
// without accents ("perez") over -search-rows contacts, on the backend
// storetest selects, against two ceilings measured in the same run: the same
// page with no search at all, and the plain lower(name) LIKE the store used
// before searches ignored accents (count only). Compare ns/op.
//
//	go test ./store -run XX -bench ContactSearch            # SQLite, then PostgreSQL
func BenchmarkContactSearch(b *testing.B) {
	db, dsn := storetest.Open(b, store.Options{})
	ctx := context.Background()
	im, err := db.BeginPortfolioImport(ctx)
	if err != nil {
		b.Fatal(err)
	}
	names := []string{"Ana Pérez", "José Núñez", "MARÍA GÓMEZ", "Luis Peréz", "Çağla Öz", "João Sérgio", "Pedro Perez", "Lucía Álvarez"}
	for i := range *searchRows {
		if err := im.Add(store.PortfolioRow{Debtor: acuerdo.Debtor{Phone: fmt.Sprintf("+5731%08d", i), Name: fmt.Sprintf("%s %d", names[i%len(names)], i)},
			Account: acuerdo.Account{Ref: fmt.Sprintf("B-%d", i), Balance: &acuerdo.Money{Amount: 1000, Currency: "COP"}}}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := im.Commit(); err != nil {
		b.Fatal(err)
	}
	raw, err := store.OpenRaw(dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	now := time.Now().UTC()
	if _, err := raw.ExecContext(ctx, `INSERT INTO conversations (debtor_id, phone, channel, locale, created_at, updated_at)
		SELECT id, phone, 'whatsapp', 'es', ?, ? FROM debtors`, now, now); err != nil {
		b.Fatal(err)
	}
	since := now.Add(-time.Hour)
	if _, n, err := db.Contacts(ctx, store.ContactFilter{Query: "perez", Since: since, Limit: 50}); err != nil || n != *searchRows*3/len(names) {
		b.Fatalf("perez: %d contacts, %v; want %d", n, err, *searchRows*3/len(names))
	}
	b.Run("folded", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := db.Contacts(ctx, store.ContactFilter{Query: "perez", Since: since, Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ceiling-no-search", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := db.Contacts(ctx, store.ContactFilter{Since: since, Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ceiling-lower-like-count", func(b *testing.B) {
		for b.Loop() {
			var n int
			if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations c LEFT JOIN debtors d ON d.id = c.debtor_id
				WHERE c.phone NOT LIKE 'erased:%' AND c.created_at >= ? AND (c.phone LIKE ? OR lower(d.name) LIKE ?)`, since, "%perez%", "%perez%").Scan(&n); err != nil {
				b.Fatal(err)
			}
		}
	})
}
