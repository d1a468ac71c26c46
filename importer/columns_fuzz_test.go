package importer

import (
	"strings"
	"testing"
)

// FuzzMapColumns feeds arbitrary headers and --map pairs through the header
// mapper: it never panics, maps each field to at most one column and each
// column to at most one field, lists every unmapped non-blank header as
// ignored, and a mapping it accepts is honoured.
func FuzzMapColumns(f *testing.F) {
	f.Add("Credito,Numero,Nombre,Fecha_proximo_pago,Sucursal", "Sucursal", "segment")
	f.Add("account;phone;name;E-mail;e-mail", "", "")
	f.Add("Contrato,Celular,Nome,Data vencimento,Valor parcela,Dias atraso", "Nome", "name")
	f.Add(",,\x00,Crédito,NÚMERO", "x", "due_date")
	f.Fuzz(func(t *testing.T, header, mapHeader, mapField string) {
		h := strings.Split(header, ",")
		var explicit map[string]string
		if mapHeader != "" {
			explicit = map[string]string{mapHeader: mapField}
		}
		c, err := mapColumns(h, portfolioFields, nil, explicit)
		if err != nil {
			if explicit == nil {
				t.Fatalf("no mapping, no required field, yet an error: %v", err)
			}
			return
		}
		owner := map[int]field{}
		for _, fd := range portfolioFields {
			col := c.idx[fd]
			if col < 0 {
				continue
			}
			if col >= len(h) {
				t.Fatalf("field %s mapped past the header", fieldKey(fd))
			}
			if other, dup := owner[col]; dup {
				t.Fatalf("column %d mapped to %s and %s", col, fieldKey(other), fieldKey(fd))
			}
			owner[col] = fd
		}
		ignored := 0
		for col, hh := range h {
			if _, ok := owner[col]; !ok && strings.TrimSpace(hh) != "" {
				ignored++
			}
		}
		if ignored != len(c.ignored) {
			t.Fatalf("%d unmapped headers, %d listed as ignored (%q)", ignored, len(c.ignored), c.ignored)
		}
		for hh, name := range explicit {
			fd := c.idx[fieldOf(t, name)]
			if fd < 0 || normalizeHeader(h[fd]) != normalizeHeader(hh) {
				t.Fatalf("--map %s=%s accepted but not honoured", hh, name)
			}
		}
	})
}

func fieldOf(t *testing.T, name string) field {
	for _, f := range portfolioFields {
		if fieldKey(f) == strings.ToLower(strings.TrimSpace(name)) {
			return f
		}
	}
	t.Fatalf("accepted unknown field %q", name)
	return 0
}

// TestAliasesUnique: one header spelling names one portfolio field, or the
// field order would decide silently which one a column feeds.
func TestAliasesUnique(t *testing.T) {
	seen := map[string]field{}
	for _, f := range portfolioFields {
		for _, a := range aliases[f] {
			if g, dup := seen[a]; dup {
				t.Errorf("alias %q names %s and %s", a, fieldKey(g), fieldKey(f))
			}
			seen[a] = f
		}
	}
}
