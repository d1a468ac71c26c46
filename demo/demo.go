// Package demo makes synthetic portfolios: realistic names, Colombian, Brazilian
// and Mexican numbers, skewed balances, installments and days past due. The demo
// service, the tests and the import benchmark use it; no real person is in it.
package demo

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Row is one synthetic debtor with one account, as a creditor's file would list it.
type Row struct {
	Account     string
	Phone       string // as written in the file: national for CO, formatted for BR and MX
	Name        string
	Country     string
	Balance     int64 // whole currency units
	Installment int64
	DueDate     time.Time
	DaysPastDue int
	Document    string
	Email       string
	Consent     bool
	Segment     string
}

// Header is the CSV header WriteCSV writes, in the creditor's Spanish.
var Header = []string{"Credito", "Numero", "Nombre", "Pais", "Saldo", "Cuota", "Fecha vencimiento", "Dias mora", "Cedula", "Correo", "Consentimiento", "Segmento"}

var (
	esFirst = []string{"María", "José", "Luis", "Ana", "Carlos", "Luz", "Juan", "Diana", "Andrés", "Paola", "Jorge", "Sandra", "Camilo", "Natalia", "Fernando", "Gloria", "Óscar", "Valentina", "Julián", "Sofía", "Mauricio", "Ángela", "Ricardo", "Lucía"}
	esLast  = []string{"García", "Rodríguez", "Martínez", "López", "González", "Hernández", "Pérez", "Sánchez", "Ramírez", "Torres", "Flórez", "Gómez", "Díaz", "Vargas", "Castro", "Ortiz", "Muñoz", "Rojas", "Jiménez", "Moreno", "Peña", "Ospina", "Cárdenas", "Londoño"}
	ptFirst = []string{"João", "Maria", "Ana", "Pedro", "Lucas", "Juliana", "Gabriel", "Fernanda", "Rafael", "Camila", "Thiago", "Beatriz", "Felipe", "Larissa", "Mateus", "Letícia"}
	ptLast  = []string{"Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Ferreira", "Costa", "Rodrigues", "Almeida", "Nascimento", "Araújo", "Carvalho", "Gomes", "Ribeiro", "Conceição"}
	// coMobile are the mobile prefixes Colombian operators use.
	coMobile = []int{300, 301, 302, 304, 305, 310, 311, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321, 322, 323, 350, 351}
	segs     = []string{"consumo", "libranza", "tarjeta", "microcredito"}
)

// Generator produces rows deterministically from a seed.
type Generator struct {
	rng   *rand.Rand
	now   time.Time
	i     int
	mixed bool
}

// New returns a generator. With mixed, 20 % of debtors are Brazilian and 10 %
// Mexican; otherwise all are Colombian, like the original bot's portfolio. now
// anchors due dates.
func New(seed uint64, now time.Time, mixed bool) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: now, mixed: mixed}
}

// Next returns the next row. Account references and phone numbers are unique
// across the rows of one generator.
func (g *Generator) Next() Row {
	g.i++
	r := g.rng
	country := "CO"
	if g.mixed {
		switch x := r.IntN(10); {
		case x < 2:
			country = "BR"
		case x < 3:
			country = "MX"
		}
	}
	row := Row{Account: fmt.Sprintf("CR-%08d", g.i), Country: country}
	// The serial number i goes into the subscriber digits so numbers never repeat.
	sub := g.i % 10_000_000
	switch country {
	case "CO":
		row.Phone = fmt.Sprintf("%d%07d", coMobile[r.IntN(len(coMobile))], sub)
		row.Name = pick(r, esFirst) + " " + pick(r, esLast) + " " + pick(r, esLast)
		row.Document = strconv.Itoa(10_000_000 + r.IntN(1_189_999_999))
	case "BR":
		ddd := []int{11, 21, 31, 41, 51, 61, 71, 81, 85, 19}[r.IntN(10)]
		row.Phone = fmt.Sprintf("(%d) 9%04d-%04d", ddd, sub/10000, sub%10000)
		row.Name = pick(r, ptFirst) + " " + pick(r, ptLast) + " " + pick(r, ptLast)
		row.Document = cpf(r)
	case "MX":
		row.Phone = fmt.Sprintf("55 %04d %04d", sub/10000+1000*(1+r.IntN(8))%10000, sub%10000)
		row.Name = pick(r, esFirst) + " " + pick(r, esLast) + " " + pick(r, esLast)
		row.Document = fmt.Sprintf("%s%06d", "GOML", r.IntN(1_000_000))
	}
	// Balances are log-normal: most debts are small, a few are large.
	unit := map[string]float64{"CO": 1_000, "BR": 1, "MX": 1}[country]
	median := map[string]float64{"CO": 1_800_000, "BR": 1_500, "MX": 8_000}[country]
	bal := median * math.Exp(r.NormFloat64()*0.9)
	row.Balance = int64(math.Round(bal/unit)) * int64(unit)
	if row.Balance < int64(unit) {
		row.Balance = int64(unit)
	}
	n := []int64{6, 12, 18, 24, 36}[r.IntN(5)]
	row.Installment = (row.Balance/n/int64(unit) + 1) * int64(unit)
	row.DaysPastDue = 1 + int(math.Min(360, math.Abs(r.NormFloat64())*60))
	row.DueDate = g.now.AddDate(0, 0, r.IntN(28)+1)
	row.Email = fmt.Sprintf("cliente%d@example.com", g.i)
	row.Consent = r.IntN(100) < 92
	row.Segment = pick(r, segs)
	return row
}

// Record renders the row as the CSV fields of Header.
func (row Row) Record() []string {
	consent := "si"
	if !row.Consent {
		consent = "no"
	}
	return []string{row.Account, row.Phone, row.Name, row.Country, strconv.FormatInt(row.Balance, 10), strconv.FormatInt(row.Installment, 10),
		row.DueDate.Format("02/01/2006"), strconv.Itoa(row.DaysPastDue), row.Document, row.Email, consent, row.Segment}
}

// WriteCSV writes n rows with Header to w.
func WriteCSV(w io.Writer, g *Generator, n int) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := cw.Write(g.Next().Record()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// cpf returns a Brazilian CPF number with valid check digits.
func cpf(r *rand.Rand) string {
	d := make([]int, 11)
	for i := 0; i < 9; i++ {
		d[i] = r.IntN(10)
	}
	for k := 9; k <= 10; k++ {
		sum := 0
		for i := 0; i < k; i++ {
			sum += d[i] * (k + 1 - i)
		}
		d[k] = sum * 10 % 11 % 10
	}
	b := make([]byte, 11)
	for i, x := range d {
		b[i] = byte('0' + x)
	}
	return string(b)
}
