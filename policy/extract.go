package policy

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"acuerdo"
)

// What counts as a URL, a date, a plan id or an amount in a reply. All scans
// run on the folded text; each blanks what it found so that the digits of a
// URL or a date are not read again as an amount.

var urlRe = regexp.MustCompile(`(?:https?://|www\.)[^\s<>"'()\[\]{}]+` +
	`|(?:[a-z0-9._%+-]+@)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+` +
	`(?:com|net|org|info|biz|io|co|me|ly|app|link|pay|page|site|online|store|shop|xyz|ai|dev|cloud|club|top|tech|live|gl|gg|tv|cc|ws|la|us|uk|br|mx|ar|es|cl|pe|ec|uy|py|bo|ve|gt|cr|pa|sv|hn|ni|pr|eu|de|fr|it|pt|ca)\b` +
	`(?:[/?#][^\s<>"'()\[\]{}]*)?`)

// normURL reduces a URL to host and path, without scheme, "www.", or a final
// slash, so "https://www.pay.example.com/x/" and "pay.example.com/x" compare equal.
func normURL(u string) (host, rest string) {
	u = strings.TrimSpace(u)
	if i := strings.Index(u, "://"); i >= 0 && i < 8 {
		u = u[i+3:]
	}
	host, rest = u, ""
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		host, rest = u[:i], u[i:]
	}
	host = strings.TrimPrefix(strings.ToLower(host), "www.")
	return host, strings.TrimRight(rest, "/")
}

func checkURLs(f *folded, a Allowed, add func(Violation)) {
	for _, m := range urlRe.FindAllIndex(f.b, -1) {
		end := m[0] + len(strings.TrimRight(string(f.b[m[0]:m[1]]), ".,;:!?'\"…*_~"))
		orig := f.original(m[0], end)
		f.blank(m[0], m[1])
		if !urlAllowed(orig, a.URLs) {
			add(Violation{RuleUnverifiedURL, orig, "only links the tools returned in this conversation may be sent"})
		}
	}
}

func urlAllowed(u string, allowed []string) bool {
	host, rest := normURL(u)
	for _, x := range allowed {
		ah, ar := normURL(x)
		if host == ah && (rest == ar || rest == "") {
			return true
		}
	}
	return false
}

// Months by folded name, es, pt and en, with unambiguous abbreviations.
var months = map[string]time.Month{
	"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
	"septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
	"janeiro": 1, "fevereiro": 2, "marco": 3, "maio": 5, "junho": 6, "julho": 7,
	"setembro": 9, "outubro": 10, "novembro": 11, "dezembro": 12,
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
	"september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
	"ene": 1, "dic": 12, "fev": 2, "dez": 12,
}

var monthAlt = func() string {
	names := slices.Sorted(maps.Keys(months))
	// Longest first, so "septiembre" wins over "sep".
	slices.SortStableFunc(names, func(a, b string) int { return len(b) - len(a) })
	return strings.Join(names, "|")
}()

// dateForm is one way of writing a date; order says which capture is which.
type dateForm struct {
	re      *regexp.Regexp
	order   string // "ymd", "dmy" (numeric, also read as m/d/y), "tdmy" (textual day month year), "tmdy"
	numeric bool
}

var dateForms = []dateForm{
	{regexp.MustCompile(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`), "ymd", true},
	{regexp.MustCompile(`\b(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})\b`), "dmy", true},
	{regexp.MustCompile(`\b(\d{1,2})/(\d{1,2})()\b`), "dmy", true},
	{regexp.MustCompile(`\b(\d{1,2})(?:st|nd|rd|th|o|ro|er)?\s+(?:de\s+|of\s+)?(` + monthAlt + `)\b\.?(?:,?\s+(?:de\s+|del\s+|of\s+)?(\d{4})\b)?`), "tdmy", false},
	{regexp.MustCompile(`\b(` + monthAlt + `)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?`), "tmdy", false},
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	if y == 0 {
		y = 2000 // a leap year: 29 February without a year is a date
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Day() == d
}

func checkDates(f *folded, a Allowed, add func(Violation)) {
	for _, form := range dateForms {
		for _, m := range form.re.FindAllSubmatchIndex(f.b, -1) {
			if m[0] < 0 || strings.TrimSpace(string(f.b[m[0]:m[1]])) == "" {
				continue
			}
			g := func(i int) string {
				if m[2*i] < 0 {
					return ""
				}
				return string(f.b[m[2*i]:m[2*i+1]])
			}
			num := func(s string) int { n, _ := strconv.Atoi(s); return n }
			var cands [][3]int // year (0 = none), month, day
			switch form.order {
			case "ymd":
				cands = [][3]int{{num(g(1)), num(g(2)), num(g(3))}}
			case "dmy":
				y := num(g(3))
				if y > 0 && y < 100 {
					y += 2000
				}
				cands = [][3]int{{y, num(g(2)), num(g(1))}, {y, num(g(1)), num(g(2))}}
			case "tdmy":
				cands = [][3]int{{num(g(3)), int(months[g(2)]), num(g(1))}}
			case "tmdy":
				cands = [][3]int{{num(g(3)), int(months[g(1)]), num(g(2))}}
			}
			valid := cands[:0:0]
			for _, c := range cands {
				if validDate(c[0], c[1], c[2]) {
					valid = append(valid, c)
				}
			}
			if form.numeric && len(valid) == 0 || string(f.b[m[0]:m[1]]) == "24/7" {
				continue // "35/40" is not a date, "24/7" is a schedule; amounts may still look at them
			}
			orig := f.original(m[0], m[1])
			f.blank(m[0], m[1])
			if !dateAllowed(valid, a.Dates) {
				add(Violation{RuleUnverifiedDate, strings.TrimRight(strings.TrimSpace(orig), "."), "only dates the tools returned in this conversation may be mentioned"})
			}
		}
	}
}

func dateAllowed(cands [][3]int, allowed []acuerdo.Date) bool {
	for _, c := range cands {
		for _, d := range allowed {
			if int(d.Month) == c[1] && d.Day == c[2] && (c[0] == 0 || c[0] == d.Year) {
				return true
			}
		}
	}
	return false
}

// Plan ids: "plan 4812", "plan #7", "plano nº 12". A bare small number after
// "plan" is a count ("plan 3 cuotas") and not an id.
var planRe = regexp.MustCompile(`\bplano?\s*(?:(id|numero|number|nro|num|no|n)\b\.?\s*)?(#\s*)?([a-z0-9][a-z0-9_-]*)`)

func checkPlans(f *folded, a Allowed, add func(Violation)) {
	for _, m := range planRe.FindAllSubmatchIndex(f.b, -1) {
		tok := string(f.b[m[6]:m[7]])
		marked := m[2] >= 0 || m[4] >= 0
		if !strings.ContainsAny(tok, "0123456789") || !marked && len(tok) < 3 {
			continue
		}
		orig := f.original(m[0], m[1])
		f.blank(m[6], m[7])
		if slices.ContainsFunc(a.PlanIDs, func(id string) bool { return normalize(id) == normalize(tok) }) {
			continue
		}
		add(Violation{RuleUnverifiedPlan, orig, "only plan ids the tools returned in this conversation may be mentioned"})
	}
}
