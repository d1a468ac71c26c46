package importer

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// field is one thing a file may say about a debtor, an account or a payment.
type field int

const (
	fAccount field = iota
	fPhone
	fName
	fBalance
	fInstallment
	fDueDate
	fDaysPastDue
	fDocument
	fEmail
	fCurrency
	fCountry
	fTimeZone
	fConsent
	fSegment
	fAmount
	fPaidAt
	fMethod
	fExternalID
	nFields
)

// aliases are the header names, in es, pt and en, a column may have; headers are
// compared lower case with accents, spaces and punctuation removed.
var aliases = [nFields][]string{
	fAccount: {"credito", "account", "accountid", "accountref", "accountnumber", "cuenta", "contrato", "conta", "obligacion", "referencia", "reference", "loan", "prestamo", "emprestimo"},
	fPhone:   {"numero", "telefono", "celular", "phone", "whatsapp", "movil", "mobile", "telefone", "cel", "phonenumber", "numerocelular"},
	fName:    {"nombre", "name", "nome", "nombrecompleto", "fullname", "nomecompleto", "cliente", "customer"},
	fBalance: {"saldo", "balance", "deuda", "debt", "saldototal", "divida", "saldodevedor", "valoradeudado", "montoadeudado", "totaldebt"},
	fInstallment: {"cuota", "valorcuota", "installment", "installmentamount", "parcela", "valorparcela", "montocuota",
		"valordelacuota", "montodelacuota", "cuotamensual", "valorcuotamensual", "importecuota", "valordaparcela", "valorparcelamensal",
		"parcelamensal", "prestacao", "valorprestacao", "installmentvalue", "monthlyinstallment", "monthlypayment", "emi"},
	fDueDate: {"fechavencimiento", "vencimiento", "duedate", "due", "datavencimento", "vencimento", "fechadepago", "nextduedate", "proximovencimiento",
		"fechaproximopago", "proximopago", "fechadelproximopago", "fechadevencimiento", "fechavencimientocuota", "fechalimitepago", "fechalimitedepago",
		"fechalimite", "fechacuota", "datadevencimento", "dataproximopagamento", "proximovencimento", "proximopagamento", "datalimitepagamento",
		"datalimite", "dataparcela", "duedt", "paymentduedate", "nextpaymentdate", "nextpaymentdue", "nextdue", "dueon"},
	fDaysPastDue: {"diasmora", "mora", "dpd", "dayspastdue", "diasatraso", "atraso", "diasdemora", "diasematraso", "diasvencidos",
		"diasenmora", "diasdeatraso", "diasvencido", "diasatrasados", "diasatrasado", "diasdeatrasso", "atrasodias", "moradias", "diasmoraactual",
		"daysoverdue", "daysdelinquent", "dayslate", "pastduedays", "overduedays", "daysinarrears", "dayspast"},
	fDocument: {"cedula", "dni", "cpf", "documento", "document", "documentid", "nit", "curp", "rut", "numerodocumento", "ssn", "cc"},
	fEmail: {"email", "correo", "correoelectronico", "mail", "emailaddress", "emailcliente", "correocliente", "correoelectronicocliente",
		"emaildocliente", "enderecoemail", "enderecodeemail", "mailaddress", "emailaddr"},
	fCurrency:   {"moneda", "currency", "moeda", "divisa"},
	fCountry:    {"pais", "country"},
	fTimeZone:   {"zonahoraria", "timezone", "tz", "fusohorario", "husohorario"},
	fConsent:    {"consentimiento", "consent", "optin", "consentimento", "autorizacion", "autorizacao", "whatsappoptin"},
	fSegment:    {"segmento", "segment", "cartera", "carteira", "portfolio"},
	fAmount:     {"monto", "valor", "amount", "valorpago", "pago", "montopagado", "valorpagamento", "paidamount", "importe"},
	fPaidAt:     {"fechapago", "fecha", "paidat", "date", "datapagamento", "data", "paymentdate", "fechadepago"},
	fMethod:     {"medio", "metodo", "method", "metodopago", "mediodepago", "formapago", "formadepago", "formapagamento", "paymentmethod", "canal"},
	fExternalID: {"id", "externalid", "referenciapago", "transaccion", "transaction", "transactionid", "idpago", "paymentid", "comprobante", "recibo"},
}

var fieldNames = [nFields]string{"account", "phone", "name", "balance", "installment amount", "due date", "days past due", "document", "email", "currency", "country", "time zone", "consent", "segment", "amount", "paid at", "method", "external id"}

// normalizeHeader folds a header to the form aliases are written in.
func normalizeHeader(h string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	s, _, err := transform.String(t, h)
	if err != nil {
		s = h
	}
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// columns maps each field to its column index in a file (-1 when absent) and keeps
// the header text for error messages.
type columns struct {
	idx    [nFields]int
	header []string
	// ignored are the file's headers that no field took, in file order: the
	// summary lists them, since a column dropped silently (a due date under
	// an unexpected name) loses data without anyone noticing.
	ignored []string
	// exact says rows must have as many fields as the header (CSV).
	exact bool
}

// fieldList names fields as --map takes them.
func fieldList(wanted []field) []string {
	out := make([]string, len(wanted))
	for i, f := range wanted {
		out[i] = fieldKey(f)
	}
	return out
}

// fieldKey is a field's name as --map takes it: "installment_amount".
func fieldKey(f field) string { return strings.ReplaceAll(fieldNames[f], " ", "_") }

// mapColumns matches a header row against the aliases of the wanted fields,
// after the explicit mapping (HEADER → field name, from --map) that takes
// precedence. The first column matching a field wins; a field listed in
// required must be present.
func mapColumns(header []string, wanted, required []field, explicit map[string]string) (columns, error) {
	c := columns{header: header}
	for i := range c.idx {
		c.idx[i] = -1
	}
	taken := make([]bool, len(header))
	// Explicit mappings first, compared as headers are (case, accents and
	// punctuation folded), so --map 'Fecha próximo pago=due_date' works
	// however the shell or the file spelt it.
	for h, name := range explicit {
		var f field = -1
		for _, w := range wanted {
			if fieldKey(w) == strings.ToLower(strings.TrimSpace(name)) {
				f = w
			}
		}
		if f < 0 {
			return c, fmt.Errorf("--map %s=%s: %q is not a field of this import; use one of %s", h, name, name, strings.Join(fieldList(wanted), ", "))
		}
		col := -1
		for i, hh := range header {
			if normalizeHeader(hh) == normalizeHeader(h) {
				col = i
				break
			}
		}
		if col < 0 {
			return c, fmt.Errorf("--map %s=%s: the file has no column %q; its columns are %s", h, name, h, strings.Join(header, ", "))
		}
		if c.idx[f] >= 0 && c.idx[f] != col {
			return c, fmt.Errorf("--map: two columns (%s and %s) are mapped to %s", header[c.idx[f]], header[col], name)
		}
		c.idx[f] = col
		taken[col] = true
	}
	for col, h := range header {
		if taken[col] {
			continue
		}
		n := normalizeHeader(h)
		for _, f := range wanted {
			if c.idx[f] >= 0 {
				continue
			}
			if slices.Contains(aliases[f][:], n) {
				c.idx[f] = col
				taken[col] = true
				break
			}
		}
	}
	for col, h := range header {
		if !taken[col] && strings.TrimSpace(h) != "" {
			c.ignored = append(c.ignored, h)
		}
	}
	var missing []string
	for _, f := range required {
		if c.idx[f] < 0 {
			missing = append(missing, fmt.Sprintf("%s (a column named one of: %s, or any column with --map 'HEADER=%s')",
				fieldNames[f], strings.Join(aliases[f][:min(5, len(aliases[f]))], ", "), fieldKey(f)))
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("the header row %q lacks %s", strings.Join(header, ","), strings.Join(missing, "; and "))
	}
	return c, nil
}

// get returns the trimmed cell of field f in rec, or "".
func (c columns) get(rec []string, f field) string {
	i := c.idx[f]
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// name returns the file's own header for f, for error messages.
func (c columns) name(f field) string {
	if i := c.idx[f]; i >= 0 && i < len(c.header) {
		return c.header[i]
	}
	return fieldNames[f]
}
