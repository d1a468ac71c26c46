package understand

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"acuerdo"
	dps "github.com/markusmobius/go-dateparser"
)

// Date is a day the debtor named.
type Date struct {
	Date acuerdo.Date
	Text string // the words it was read from
	// Sure is false when the words name a week, a vague time or a day that
	// contradicts itself ("la otra semana", "a principios de mes", "el lunes
	// 15" when the 15th is a Tuesday), or a day already past. Such a date is
	// asked about, never committed.
	Sure bool
}

// Dates are read in two steps: code finds the words that name a day (and
// takes them out, so "el 20" is not read again as twenty pesos), and the
// multilingual date parser (go-dateparser, CLDR data) reads month and weekday
// names, numeric dates in the locale's order and relative offsets, anchored to
// the debtor's "now". Expressions the parser does not know ("a fin de mes", "10
// days after my date", "la quincena") are computed here.

const (
	monthNames = `enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|ene|feb|mar|abr|jun|jul|ago|sep|sept|oct|nov|dic|` +
		`janeiro|fevereiro|marco|maio|junho|julho|setembro|outubro|novembro|dezembro|fev|dez|` +
		`january|february|march|april|may|june|july|august|september|october|november|december|jan|apr|aug|dec`
	weekdayNames = `lunes|martes|miercoles|jueves|viernes|sabado|domingo|` +
		`segunda(?:-feira| feira)?|terca(?:-feira| feira)?|quarta(?:-feira| feira)?|quinta(?:-feira| feira)?|sexta(?:-feira| feira)?|sabado|domingo|` +
		`monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun`
	ordinal = `(?:st|nd|rd|th|o|a)?`
)

var weekdayOf = map[string]time.Weekday{
	"lunes": time.Monday, "martes": time.Tuesday, "miercoles": time.Wednesday, "jueves": time.Thursday, "viernes": time.Friday, "sabado": time.Saturday, "domingo": time.Sunday,
	"segunda": time.Monday, "terca": time.Tuesday, "quarta": time.Wednesday, "quinta": time.Thursday, "sexta": time.Friday,
	"monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday, "sunday": time.Sunday,
	"mon": time.Monday, "tue": time.Tuesday, "tues": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday,
}

// dateForm is one way of naming a day; kind says how it is read.
type dateForm struct {
	re   quickRe
	kind string
}

// digitForms cannot match without a digit.
var digitForms = map[string]bool{"iso": true, "afterdue": true, "daymonth": true, "monthday": true, "numeric": true, "numeric3": true, "day": true}

var dateForms = []dateForm{
	{mustQuick(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`), "iso"},
	{mustQuick(`\b(\d+) (?:dias?|days?) (?:despues|después|luego|after|depois|mas tarde|later) (?:de |of |do |da )?(?:mi |my |la |a |the |o |minha |meu )?(?:fecha|date|vencimiento|due date|data|pago|vencimento|dia de pago|payment date|due)\b`), "afterdue"},
	{mustQuick(`\b(?:(` + weekdayNames + `) )?(\d{1,2})` + ordinal + ` (?:de |of |del )?(` + monthNames + `)\b(?: (?:de |del |of )?(\d{4}))?`), "daymonth"},
	{mustQuick(`\b(` + monthNames + `) (\d{1,2})` + ordinal + `\b(?: (\d{4}))?`), "monthday"},
	{mustQuick(`\b(?:(` + weekdayNames + `) )?(\d{1,2})[/-](\d{1,2})(?:[/.-](\d{2,4}))?\b`), "numeric"},
	{mustQuick(`\b(\d{1,2})\.(\d{1,2})\.(\d{2,4})\b`), "numeric3"},
	{mustQuick(`\b(?:pasado manana|day after tomorrow|depois de amanha)\b`), "plus2"},
	{mustQuick(`\b(?:(?:de|por|en|na|pela|esta|in the|la|a) )?(?:manana|tomorrow|amanha)\b`), "tomorrow"},
	{mustQuick(`\b(?:hoy|today|hoje|hoy mismo|ahorita|tonight|esta noche|hoje mesmo)\b`), "today"},
	{mustQuick(`\b(?:en|dentro de|daqui a|daqui|em|in|within|de aqui a) (\d+|un|una|uma|um|a|one) (dias?|semanas?|mes|meses|days?|weeks?|months?)\b(?: (?:from now|mas|a partir de hoy))?`), "offset"},
	{mustQuick(`\b(\d+|one|a|un|una|uma) (?:weeks?|semanas?|days?|dias?) from (?:now|today)\b`), "offset2"},
	{mustQuick(`\b(?:fin|final|fim|finales|finais|end) (?:de|do|of|del) (?:este |this |the )?(mes|month)(?: (que viene|que vem|proximo|next))?\b`), "endmonth"},
	{mustQuick(`\b(?:next month|(?:el )?(?:proximo|otro|siguiente) mes|(?:el )?mes que (?:viene|vem)|(?:o )?proximo mes)\b`), "nextmonth"},
	{mustQuick(`\b(?:principios|inicios|comienzos|inicio|comeco|beginning|start|primeros dias|first days) (?:de|do|of|del) (?:the )?(?:next |proximo |siguiente )?(?:mes|month)\b`), "startmonth"},
	{mustQuick(`\b(?:quincena|quinzena|payday|dia de pago|cuando me paguen|quando eu receber|when i get paid)\b`), "payday"},
	{mustQuick(`\b(?:(?:la|a) )?(?:proxima|otra|siguiente) semana\b|\bsemana que (?:viene|vem)\b|\bnext week\b|\bproxima semana\b|\bla semana entrante\b`), "nextweek"},
	{mustQuick(`\b(?:fin de semana|fim de semana|weekend|finde)\b`), "weekend"},
	{mustQuick(`\b(?:(?:el|este|esta|o|a|na|no|on|this|next|proximo|proxima|el proximo|la proxima|this coming|coming) )?(` + weekdayNames + `)\b(?: (que viene|que vem|proximo|proxima|next))?(?: (\d{1,2})\b)?`), "weekday"},
	{mustQuick(`\b(?:el dia|el|dia|on the|the|no dia|todo dia|hasta el|ate o dia|ate dia|by the|until the|para el|pro dia|pra dia|para o dia|o dia|day|el proximo|on|for the) (\d{1,2})` + ordinal + `\b`), "day"},
}

// findDates finds the days named in text and returns them with the rest of
// the text, the date words blanked out.
func findDates(text string, c Context) ([]Date, string) {
	tokens := numberWordsToDigits(tokenize(foldKeep(text)))
	s := " " + strings.Join(tokens, " ") + " "
	now := c.Now
	if now.IsZero() {
		now = time.Now()
	}
	today := acuerdo.DateOf(now)
	var out []Date
	digits := strings.ContainsAny(s, "0123456789")
	for _, f := range dateForms {
		if digitForms[f.kind] && !digits {
			continue // a form that needs a number, in a message without one
		}
		for _, m := range f.re.FindAllStringSubmatchIndex(s, -1) {
			span := s[m[0]:m[1]]
			if strings.TrimSpace(span) == "" {
				continue
			}
			g := func(i int) string {
				if m[2*i] < 0 {
					return ""
				}
				return s[m[2*i]:m[2*i+1]]
			}
			d, ok := readForm(f.kind, g, span, s[m[1]:], c, now, today)
			if !ok {
				continue
			}
			d.Text = strings.TrimSpace(span)
			if d.Date.Before(today) {
				d.Sure = false
			}
			out = append(out, d)
			s = s[:m[0]] + strings.Repeat(" ", m[1]-m[0]) + s[m[1]:]
		}
	}
	return out, strings.Join(strings.Fields(s), " ")
}

func readForm(kind string, g func(int) string, span, after string, c Context, now time.Time, today acuerdo.Date) (Date, bool) {
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch kind {
	case "iso":
		d, err := acuerdo.ParseDate(pad(g(1), 4) + "-" + pad(g(2), 2) + "-" + pad(g(3), 2))
		return Date{Date: d, Sure: true}, err == nil
	case "afterdue":
		n := atoi(g(1))
		if c.DueDate.IsZero() {
			return Date{Date: today.AddDays(n), Sure: false}, n > 0 && n < 400
		}
		return Date{Date: c.DueDate.AddDays(n), Sure: true}, n > 0 && n < 400
	case "daymonth", "monthday":
		if followsMoney(after) {
			return Date{}, false
		}
		d, ok := parse(strings.TrimSpace(span), c, now)
		if !ok {
			return Date{}, false
		}
		sure := true
		if kind == "daymonth" && g(1) != "" && weekdayOf[firstWord(g(1))] != d.Time(time.UTC).Weekday() {
			sure = false
		}
		return Date{Date: d, Sure: sure}, true
	case "numeric", "numeric3":
		i := 2
		if kind == "numeric3" {
			i = 1
		}
		expr := g(i) + "/" + g(i+1)
		if y := g(i + 2); y != "" {
			expr += "/" + y
		}
		if followsMoney(after) {
			return Date{}, false
		}
		d, ok := parse(expr, c, now)
		if !ok {
			return Date{}, false
		}
		sure := true
		if kind == "numeric" && g(1) != "" && weekdayOf[firstWord(g(1))] != d.Time(time.UTC).Weekday() {
			sure = false
		}
		return Date{Date: d, Sure: sure}, true
	case "plus2":
		return Date{Date: today.AddDays(2), Sure: true}, true
	case "tomorrow":
		w := strings.Fields(span)
		if len(w) > 1 && (w[0] == "por" || w[0] == "de" || w[0] == "pela" || w[0] == "in" || w[0] == "la" || w[0] == "a" || w[0] == "na") {
			return Date{}, false // "por la mañana" is a time of day
		}
		return Date{Date: today.AddDays(1), Sure: true}, true
	case "today":
		return Date{Date: today, Sure: true}, true
	case "offset", "offset2":
		n := atoi(g(1))
		if n == 0 {
			n = 1
		}
		unit := g(2)
		if kind == "offset2" {
			unit = strings.Fields(span)[1]
		}
		switch {
		case strings.HasPrefix(unit, "sem") || strings.HasPrefix(unit, "week"):
			return Date{Date: today.AddDays(7 * n), Sure: true}, n < 60
		case strings.HasPrefix(unit, "mes") || strings.HasPrefix(unit, "month"):
			return Date{Date: acuerdo.DateOf(today.Time(time.UTC).AddDate(0, n, 0)), Sure: n == 1}, n < 24
		}
		return Date{Date: today.AddDays(n), Sure: true}, n < 400
	case "endmonth":
		t := today.Time(time.UTC)
		months := 1
		if g(2) != "" {
			months = 2
		}
		end := acuerdo.DateOf(time.Date(t.Year(), t.Month()+time.Month(months), 0, 0, 0, 0, 0, time.UTC))
		return Date{Date: end, Sure: true}, true
	case "nextmonth":
		t := today.Time(time.UTC)
		return Date{Date: acuerdo.DateOf(time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)), Sure: false}, true
	case "startmonth":
		t := today.Time(time.UTC)
		return Date{Date: acuerdo.DateOf(time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)), Sure: false}, true
	case "payday":
		// The next 15th or end of month: Latin American paydays.
		t := today.Time(time.UTC)
		d := acuerdo.DateOf(time.Date(t.Year(), t.Month(), 15, 0, 0, 0, 0, time.UTC))
		if d.Before(today) {
			d = acuerdo.DateOf(time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC))
		}
		return Date{Date: d, Sure: false}, true
	case "nextweek":
		t := today.Time(time.UTC)
		ahead := (int(time.Monday) - int(t.Weekday()) + 7) % 7
		if ahead == 0 {
			ahead = 7
		}
		return Date{Date: today.AddDays(ahead), Sure: false}, true
	case "weekend":
		t := today.Time(time.UTC)
		ahead := (int(time.Saturday) - int(t.Weekday()) + 7) % 7
		return Date{Date: today.AddDays(ahead), Sure: false}, true
	case "weekday":
		word := firstWord(g(1))
		wd, ok := weekdayOf[word]
		if !ok || len(word) <= 3 && !strings.Contains(span, " ") && g(3) == "" {
			// "sun", "mar", "sat" alone are other words too.
			if !ok || len(strings.Fields(span)) == 1 {
				return Date{}, false
			}
		}
		if (word == "segunda" || word == "quinta") && !strings.Contains(span, "feira") && !ptWeekdayContext(span) {
			// "segunda vez", "quinta parcela": ordinals, not days.
			return Date{}, false
		}
		d, ok := parse(g(1), c, now)
		if !ok || d.Time(time.UTC).Weekday() != wd {
			// The parser's reading is the coming such day; compute it if it
			// did not give one.
			t := today.Time(time.UTC)
			ahead := (int(wd) - int(t.Weekday()) + 7) % 7
			d = today.AddDays(ahead)
		}
		if d == today {
			d = today.AddDays(7) // "el lunes" said on a Monday is next Monday
		}
		sure := true
		if day := atoi(g(3)); day > 0 {
			nd, ok := nextDay(today, day)
			if !ok {
				return Date{}, false
			}
			if nd.Time(time.UTC).Weekday() != wd {
				sure = false
			}
			d = nd
		}
		return Date{Date: d, Sure: sure}, true
	case "day":
		if followsMoney(after) {
			return Date{}, false
		}
		d, ok := nextDay(today, atoi(g(1)))
		return Date{Date: d, Sure: true}, ok
	}
	return Date{}, false
}

// ptWeekdayContext says whether "segunda"/"quinta" names a day: "na segunda",
// "segunda que vem", "segunda dia 14".
func ptWeekdayContext(span string) bool {
	f := strings.Fields(span)
	return len(f) > 1
}

// followsMoney reports whether what comes after a number makes it money or a
// count, not a day ("20 mil", "15 dias", "6 cuotas").
func followsMoney(after string) bool {
	w := firstWord(after)
	return multipliers[w] > 0 || moneyWords[w] || installmentWords[w] || w == "dias" || w == "days" || w == "pesos" || w == "mil"
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	w := f[0]
	if i := strings.IndexByte(w, '-'); i > 0 {
		w = w[:i]
	}
	return w
}

func pad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// nextDay is the next date (today included) whose day of the month is day.
func nextDay(today acuerdo.Date, day int) (acuerdo.Date, bool) {
	if day < 1 || day > 31 {
		return acuerdo.Date{}, false
	}
	t := today.Time(time.UTC)
	for k := 0; k < 3; k++ {
		c := time.Date(t.Year(), t.Month()+time.Month(k), day, 0, 0, 0, 0, time.UTC)
		if c.Day() != day {
			continue // no 31st this month
		}
		if d := acuerdo.DateOf(c); !d.Before(today) {
			return d, true
		}
	}
	return acuerdo.Date{}, false
}

// parsers are go-dateparser configurations by date order, built once: the
// parser is safe for concurrent use.
var (
	parserOnce sync.Once
	parser     *dps.Parser
)

// parse reads one date expression with the multilingual parser, in the
// debtor's date order (month first for the United States), preferring the
// future for dates without a year.
func parse(expr string, c Context, now time.Time) (acuerdo.Date, bool) {
	parserOnce.Do(func() { parser = &dps.Parser{} })
	order := dps.DMY
	if monthFirst(c) {
		order = dps.MDY
	}
	langs := []string{"es", "pt", "en"}
	switch c.Locale {
	case "pt-BR":
		langs = []string{"pt", "es", "en"}
	case "en":
		langs = []string{"en", "es", "pt"}
	}
	cfg := &dps.Configuration{
		Languages:           langs,
		UseGivenOrder:       true,
		DateOrder:           order,
		CurrentTime:         time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, time.UTC),
		PreferredDateSource: dps.Future,
	}
	d, err := parser.Parse(cfg, expr)
	if err != nil || d.Time.IsZero() {
		return acuerdo.Date{}, false
	}
	return acuerdo.DateOf(d.Time), true
}

// monthFirst reports whether numeric dates are month/day: in the United
// States (and for English speakers of unknown country).
func monthFirst(c Context) bool {
	return c.Country == "US" || c.Country == "" && c.Locale == "en"
}
