package policy

import (
	"slices"
	"time"

	"acuerdo"
)

// Holiday is one national public holiday.
type Holiday struct {
	Date acuerdo.Date
	Name string
}

// Holidays returns the national public holidays of country (CO, MX, BR, AR, ES,
// US) in year, sorted by date; nil for other countries. They are computed, not
// listed, so that they never run out: fixed dates, Easter-based dates and the
// "moved to Monday" rules of each country's law. Regional holidays and one-off
// decrees are not included; the policy file's holidays list adds them.
func Holidays(country string, year int) []Holiday {
	var hs []Holiday
	switch country {
	case "CO":
		hs = colombia(year)
	case "MX":
		hs = mexico(year)
	case "BR":
		hs = brazil(year)
	case "AR":
		hs = argentina(year)
	case "ES":
		hs = spain(year)
	case "US":
		hs = unitedStates(year)
	default:
		return nil
	}
	slices.SortStableFunc(hs, func(a, b Holiday) int { return b.Date.DaysUntil(a.Date) })
	return hs
}

func date(y int, m time.Month, d int) acuerdo.Date { return acuerdo.Date{Year: y, Month: m, Day: d} }

func weekday(d acuerdo.Date) time.Weekday { return d.Time(time.UTC).Weekday() }

// easter returns Easter Sunday of the Gregorian calendar (the anonymous
// Gregorian algorithm of Meeus, Jones and Butcher).
func easter(y int) acuerdo.Date {
	a, b, c := y%19, y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return date(y, time.Month(month), day)
}

// nextMonday returns d if it is a Monday, else the Monday after it.
func nextMonday(d acuerdo.Date) acuerdo.Date {
	return d.AddDays((int(time.Monday) - int(weekday(d)) + 7) % 7)
}

// nthWeekday returns the n-th wd of the month (n = -1: the last one).
func nthWeekday(y int, m time.Month, wd time.Weekday, n int) acuerdo.Date {
	if n < 0 {
		last := date(y, m+1, 1).AddDays(-1)
		return last.AddDays(-((int(weekday(last)) - int(wd) + 7) % 7))
	}
	first := date(y, m, 1)
	return first.AddDays((int(wd)-int(weekday(first))+7)%7 + 7*(n-1))
}

// colombia follows Ley 51 de 1983 (Ley Emiliani): some holidays move to the
// following Monday, and three Easter-based ones are counted to a Monday.
func colombia(y int) []Holiday {
	e := easter(y)
	hs := []Holiday{
		{date(y, 1, 1), "Año Nuevo"},
		{e.AddDays(-3), "Jueves Santo"},
		{e.AddDays(-2), "Viernes Santo"},
		{date(y, 5, 1), "Día del Trabajo"},
		{date(y, 7, 20), "Día de la Independencia"},
		{date(y, 8, 7), "Batalla de Boyacá"},
		{date(y, 12, 8), "Inmaculada Concepción"},
		{date(y, 12, 25), "Navidad"},
		{e.AddDays(43), "Ascensión del Señor"},
		{e.AddDays(64), "Corpus Christi"},
		{e.AddDays(71), "Sagrado Corazón"},
	}
	for _, h := range []Holiday{
		{date(y, 1, 6), "Reyes Magos"},
		{date(y, 3, 19), "San José"},
		{date(y, 6, 29), "San Pedro y San Pablo"},
		{date(y, 8, 15), "Asunción de la Virgen"},
		{date(y, 10, 12), "Día de la Raza"},
		{date(y, 11, 1), "Todos los Santos"},
		{date(y, 11, 11), "Independencia de Cartagena"},
	} {
		hs = append(hs, Holiday{nextMonday(h.Date), h.Name})
	}
	return hs
}

// mexico lists the días de descanso obligatorio of Ley Federal del Trabajo art. 74.
func mexico(y int) []Holiday {
	hs := []Holiday{
		{date(y, 1, 1), "Año Nuevo"},
		{nthWeekday(y, 2, time.Monday, 1), "Día de la Constitución"},
		{nthWeekday(y, 3, time.Monday, 3), "Natalicio de Benito Juárez"},
		{date(y, 5, 1), "Día del Trabajo"},
		{date(y, 9, 16), "Día de la Independencia"},
		{nthWeekday(y, 11, time.Monday, 3), "Día de la Revolución"},
		{date(y, 12, 25), "Navidad"},
	}
	if y >= 2024 && (y-2024)%6 == 0 {
		hs = append(hs, Holiday{date(y, 10, 1), "Transmisión del Poder Ejecutivo Federal"})
	}
	return hs
}

// brazil lists the national feriados (Leis 662/1949, 6.802/1980, 14.759/2023);
// Carnival and Corpus Christi are optional days off, not national holidays.
func brazil(y int) []Holiday {
	hs := []Holiday{
		{date(y, 1, 1), "Confraternização Universal"},
		{easter(y).AddDays(-2), "Paixão de Cristo"},
		{date(y, 4, 21), "Tiradentes"},
		{date(y, 5, 1), "Dia do Trabalho"},
		{date(y, 9, 7), "Independência do Brasil"},
		{date(y, 10, 12), "Nossa Senhora Aparecida"},
		{date(y, 11, 2), "Finados"},
		{date(y, 11, 15), "Proclamação da República"},
		{date(y, 12, 25), "Natal"},
	}
	if y >= 2024 {
		hs = append(hs, Holiday{date(y, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra"})
	}
	return hs
}

// argentina follows Ley 27.399: fixed holidays, Carnival and Good Friday, and
// movable ones that go to the Monday before when they fall on Tuesday or
// Wednesday and to the Monday after on Thursday or Friday.
func argentina(y int) []Holiday {
	e := easter(y)
	hs := []Holiday{
		{date(y, 1, 1), "Año Nuevo"},
		{e.AddDays(-48), "Carnaval"},
		{e.AddDays(-47), "Carnaval"},
		{date(y, 3, 24), "Día Nacional de la Memoria por la Verdad y la Justicia"},
		{date(y, 4, 2), "Día del Veterano y de los Caídos en la Guerra de Malvinas"},
		{e.AddDays(-2), "Viernes Santo"},
		{date(y, 5, 1), "Día del Trabajador"},
		{date(y, 5, 25), "Día de la Revolución de Mayo"},
		{date(y, 6, 20), "Paso a la Inmortalidad del General Manuel Belgrano"},
		{date(y, 7, 9), "Día de la Independencia"},
		{date(y, 12, 8), "Inmaculada Concepción de María"},
		{date(y, 12, 25), "Navidad"},
	}
	for _, h := range []Holiday{
		{date(y, 6, 17), "Paso a la Inmortalidad del General Martín Miguel de Güemes"},
		{date(y, 8, 17), "Paso a la Inmortalidad del General José de San Martín"},
		{date(y, 10, 12), "Día del Respeto a la Diversidad Cultural"},
		{date(y, 11, 20), "Día de la Soberanía Nacional"},
	} {
		switch weekday(h.Date) {
		case time.Tuesday:
			h.Date = h.Date.AddDays(-1)
		case time.Wednesday:
			h.Date = h.Date.AddDays(-2)
		case time.Thursday:
			h.Date = h.Date.AddDays(4)
		case time.Friday:
			h.Date = h.Date.AddDays(3)
		}
		hs = append(hs, h)
	}
	return hs
}

// spain lists the holidays common to the whole country in the yearly BOE
// resolution; each autonomous community adds its own.
func spain(y int) []Holiday {
	return []Holiday{
		{date(y, 1, 1), "Año Nuevo"},
		{date(y, 1, 6), "Epifanía del Señor"},
		{easter(y).AddDays(-2), "Viernes Santo"},
		{date(y, 5, 1), "Fiesta del Trabajo"},
		{date(y, 8, 15), "Asunción de la Virgen"},
		{date(y, 10, 12), "Fiesta Nacional de España"},
		{date(y, 11, 1), "Todos los Santos"},
		{date(y, 12, 6), "Día de la Constitución Española"},
		{date(y, 12, 8), "Inmaculada Concepción"},
		{date(y, 12, 25), "Natividad del Señor"},
	}
}

// unitedStates lists the federal holidays of 5 U.S.C. 6103. A fixed-date
// holiday on a weekend is observed on the nearest weekday; both days count,
// since people rest on either.
func unitedStates(y int) []Holiday {
	var hs []Holiday
	for _, h := range []Holiday{
		{date(y, 1, 1), "New Year's Day"},
		{date(y, 6, 19), "Juneteenth National Independence Day"},
		{date(y, 7, 4), "Independence Day"},
		{date(y, 11, 11), "Veterans Day"},
		{date(y, 12, 25), "Christmas Day"},
	} {
		hs = append(hs, h)
		observed := h.Date
		switch weekday(h.Date) {
		case time.Saturday:
			observed = h.Date.AddDays(-1)
		case time.Sunday:
			observed = h.Date.AddDays(1)
		}
		if observed != h.Date && observed.Year == y {
			hs = append(hs, Holiday{observed, h.Name + " (observed)"})
		}
	}
	// New Year's Day of next year on a Saturday is observed on 31 December.
	if weekday(date(y+1, 1, 1)) == time.Saturday {
		hs = append(hs, Holiday{date(y, 12, 31), "New Year's Day (observed)"})
	}
	return append(hs,
		Holiday{nthWeekday(y, 1, time.Monday, 3), "Birthday of Martin Luther King, Jr."},
		Holiday{nthWeekday(y, 2, time.Monday, 3), "Washington's Birthday"},
		Holiday{nthWeekday(y, 5, time.Monday, -1), "Memorial Day"},
		Holiday{nthWeekday(y, 9, time.Monday, 1), "Labor Day"},
		Holiday{nthWeekday(y, 10, time.Monday, 2), "Columbus Day"},
		Holiday{nthWeekday(y, 11, time.Thursday, 4), "Thanksgiving Day"},
	)
}
