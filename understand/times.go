package understand

import (
	"strconv"
	"strings"
	"time"

	"acuerdo"
)

// Time is a moment the debtor named for a call: "mañana a las 10", "depois
// das 18h", "tomorrow morning".
type Time struct {
	// At is the moment, in the zone of Context.Now.
	At time.Time
	// Text is the words it was read from.
	Text string
	// Clock says an hour was named ("a las 10"); without it only a part of
	// the day was ("por la tarde"), read as its usual hour.
	Clock bool
	// After says the debtor gave the earliest hour ("después de las 6",
	// "after 5"): any time from At on suits them.
	After bool
}

// Hours of the parts of the day, when no hour is named: the middle of a
// morning, early afternoon, the start of an evening.
var partHours = map[string]int{
	"manana": 9, "manha": 9, "morning": 9, "madrugada": 7,
	"mediodia": 12, "meio dia": 12, "meiodia": 12, "noon": 12, "midday": 12, "lunch": 12, "almuerzo": 12, "almoco": 12,
	"tarde": 15, "afternoon": 15,
	"noche": 19, "noite": 19, "evening": 19, "night": 19, "tonight": 19,
}

var (
	// clockPrefix names an hour: "a las 10", "às 10", "at 10", "depois das
	// 18h", "after 5", "antes de las 9", "tipo 3".
	clockRe = mustQuick(`\b(?:(despues|depois|after|a partir|desde|from|antes|before|por volta|around|tipo|like|sobre|hacia|como)(?: (?:de|das|da|do|of|de las|de la))? )?` +
		`(?:(a las|a la|las|la|as|a|at|das|da|pelas|umas|unas|around) )?` +
		`(\d{1,2})(?:h(\d{2})|\.(\d{2}))?(?: ?(am|pm|a m|p m|h|hs|hrs|horas|hora|o ?clock|en punto|em ponto))?` +
		`(?: (?:de|da|in|of|en|na|pela|por) (?:la |a |the )?(manana|manha|tarde|noche|noite|morning|afternoon|evening|night|madrugada))?\b`)
	// partRe is a part of the day: "por la tarde", "de manhã", "tomorrow
	// morning", "tonight". Spanish "mañana" alone is tomorrow, so as a part
	// of the day it needs its article.
	partRe = mustQuick(`\b(?:(?:por|en|de|a|pela|na|no|a la|in the|this|de la|por la|en la|durante la|durante a|a|at) )?(?:la |a )?(manana|manha|tarde|noche|noite|morning|afternoon|evening|night|tonight|mediodia|meio dia|meiodia|noon|midday|madrugada)\b`)
	// hourRe is "10:30", rewritten "10h30" before tokenizing drops the colon.
	hourRe = mustQuick(`(\d{1,2}):(\d{2})`)
)

// findTime finds the time of day named in text and returns it with the rest
// of the text, the time words taken out (so "a las 10" is not ten pesos).
// Its day comes later, from the dates read in the rest.
func findTime(text string) (clock *dayTime, rest string) {
	s := hourRe.ReplaceAllString(foldKeep(text), "${1}h${2}")
	tokens := numberWordsToDigits(tokenize(s))
	s = " " + strings.Join(tokens, " ") + " "
	for _, m := range clockRe.FindAllStringSubmatchIndex(s, -1) {
		g := func(i int) string {
			if m[2*i] < 0 {
				return ""
			}
			return s[m[2*i]:m[2*i+1]]
		}
		span := s[m[0]:m[1]]
		prefix, lead, hour, mins, suffix, part := g(1), g(2), g(3), g(4)+g(5), g(6), g(7)
		// An hour needs a clock word with it: "las 10", "10h", "3pm", "10:30",
		// "a las 3 de la tarde"; a bare "10" is an amount, a day or a menu
		// choice, and "a 3" is "a 3 meses".
		strong := mins != "" || suffix != "" && suffix != "horas" && suffix != "hora"
		if !strong && (lead == "" || lead == "a") && prefix == "" && part == "" {
			continue
		}
		if !strong && followsMoney(s[m[1]:]) {
			continue // "as 3 parcelas", "at 10 days"
		}
		h, _ := strconv.Atoi(hour)
		mm, _ := strconv.Atoi(mins)
		if h > 24 || mm > 59 {
			continue
		}
		switch {
		case suffix == "pm" || suffix == "p m":
			if h < 12 {
				h += 12
			}
		case suffix == "am" || suffix == "a m":
			if h == 12 {
				h = 0
			}
		case part == "tarde" || part == "noche" || part == "noite" || part == "afternoon" || part == "evening" || part == "night":
			if h < 12 {
				h += 12
			}
		case part != "":
		case h >= 1 && h <= 6:
			h += 12 // nobody asks for a call at three in the morning
		}
		if h == 24 {
			h = 0
		}
		dt := &dayTime{hour: h, min: mm, clock: true, text: strings.TrimSpace(span)}
		switch prefix {
		case "despues", "depois", "after", "a partir", "desde", "from":
			dt.after = true
		case "antes", "before":
			// "antes de las 10": an hour before, so there is time to call.
			dt.hour, dt.min = (h+23)%24, mm
		}
		return dt, s[:m[0]] + strings.Repeat(" ", m[1]-m[0]) + s[m[1]:]
	}
	for _, m := range partRe.FindAllStringSubmatchIndex(s, -1) {
		word := s[m[2]:m[3]]
		span := strings.Fields(s[m[0]:m[1]])
		if word == "manana" && len(span) == 1 {
			continue // tomorrow
		}
		if word == "tarde" && len(span) == 1 {
			continue // "late"
		}
		return &dayTime{hour: partHours[word], text: strings.Join(span, " ")}, s[:m[0]] + strings.Repeat(" ", m[1]-m[0]) + s[m[1]:]
	}
	return nil, text
}

// dayTime is an hour of some day, before the day is known.
type dayTime struct {
	hour, min    int
	clock, after bool
	text         string
}

// on places t on the day the debtor named, or on the next day that hour is
// still ahead (a "10" said at 11 means tomorrow at 10).
func (t *dayTime) on(dates []Date, now time.Time) *Time {
	loc := now.Location()
	at := func(d acuerdo.Date) time.Time {
		return time.Date(d.Year, d.Month, d.Day, t.hour, t.min, 0, 0, loc)
	}
	out := &Time{Text: t.text, Clock: t.clock, After: t.after}
	if len(dates) > 0 {
		out.At = at(dates[0].Date)
		out.Text = dates[0].Text + " " + t.text
		return out
	}
	today := acuerdo.DateOf(now)
	out.At = at(today)
	if !out.At.After(now) {
		out.At = at(today.AddDays(1))
	}
	return out
}
