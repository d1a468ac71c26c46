// Package phone normalises phone numbers as people and spreadsheets write them
// ("3001234567", "+55 (11) 98765-4321", "whatsapp:+573001234567") to E.164, the
// form WhatsApp addresses use.
package phone

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is returned (wrapped) for numbers that are not valid phone numbers.
var ErrInvalid = errors.New("not a valid phone number")

// Number is a normalised phone number.
type Number struct {
	E164    string // +573001234567
	Country string // ISO 3166 alpha-2 region of the number, e.g. CO
}

// Normalize returns the E.164 form of raw. region (ISO 3166 alpha-2) is the
// country assumed for numbers written without a country code.
//
// phonenumbers.Parse costs about 8 µs, most of the budget of an import row, so
// numbers made only of digits take a fast path that builds the number directly and
// checks it with IsValidNumber. The fast path is taken only where Parse could do
// nothing else: whenever the region's national-prefix or international-prefix
// patterns could apply to the digits, or the result is not valid, the full parser
// decides. FuzzNormalize checks the two agree.
func Normalize(raw, region string) (Number, error) {
	s := clean(raw)
	if s == "" {
		return Number{}, fmt.Errorf("%w: empty", ErrInvalid)
	}
	if n, ok := fast(s, region); ok {
		return n, nil
	}
	return slow(s, region)
}

// clean drops the channel prefix and the punctuation people put in numbers.
func clean(raw string) string {
	raw = strings.TrimSpace(raw)
	if i := strings.IndexByte(raw, ':'); i >= 0 && i < 10 {
		raw = raw[i+1:] // whatsapp:, tel:
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case ' ', '-', '(', ')', '.', '\t', '/':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func slow(s, region string) (Number, error) {
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return Number{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return Number{}, fmt.Errorf("%w for %s", ErrInvalid, phonenumbers.GetRegionCodeForNumber(num))
	}
	return Number{
		E164:    phonenumbers.Format(num, phonenumbers.E164),
		Country: phonenumbers.GetRegionCodeForNumber(num),
	}, nil
}

func fast(s, region string) (Number, bool) {
	plus := s[0] == '+'
	d := s
	if plus {
		d = s[1:]
	}
	if len(d) < 7 || len(d) > 15 || !allDigits(d) || d[0] == '0' {
		return Number{}, false
	}
	if plus {
		for l := 1; l <= 3 && l < len(d); l++ {
			cc := atoi(d[:l])
			if phonenumbers.GetRegionCodeForCountryCode(cc) == "ZZ" {
				continue
			}
			// The national part may still carry a national prefix ("+54 9 11...",
			// "+52 1 55..."): leave anything that starts with one to Parse.
			rules := regionRules(phonenumbers.GetRegionCodeForCountryCode(cc))
			if rules == nil || rules.nationalPrefix(d[l:]) {
				return Number{}, false
			}
			return build(cc, d[l:])
		}
		return Number{}, false
	}
	rules := regionRules(region)
	if rules == nil || rules.nationalPrefix(d) || rules.idd(d) {
		return Number{}, false
	}
	if n, ok := build(rules.cc, d); ok {
		return n, true
	}
	return Number{}, false
}

func build(cc int, national string) (Number, bool) {
	if national == "" || national[0] == '0' || len(national) > 14 {
		return Number{}, false
	}
	num := &phonenumbers.PhoneNumber{}
	c := int32(cc)
	nn := uint64(atoi(national))
	num.CountryCode = &c
	num.NationalNumber = &nn
	if !phonenumbers.IsValidNumber(num) {
		return Number{}, false
	}
	return Number{E164: phonenumbers.Format(num, phonenumbers.E164), Country: phonenumbers.GetRegionCodeForNumber(num)}, true
}

// rules caches what Parse would consult for a region, compiled once.
type rules struct {
	cc             int
	nationalPrefix func(string) bool
	idd            func(string) bool
}

var (
	rulesMu    sync.Mutex
	rulesCache = map[string]*rules{}
)

func regionRules(region string) *rules {
	rulesMu.Lock()
	defer rulesMu.Unlock()
	if r, ok := rulesCache[region]; ok {
		return r
	}
	var r *rules
	if md := metadata(region); md != nil {
		r = &rules{
			cc:             int(md.GetCountryCode()),
			nationalPrefix: prefixMatcher(md.GetNationalPrefixForParsing(), md.GetNationalPrefix()),
			idd:            prefixMatcher(md.GetInternationalPrefix()),
		}
	}
	rulesCache[region] = r
	return r
}

var (
	metaOnce sync.Once
	metaByID map[string]*phonenumbers.PhoneMetadata
)

// metadata returns the region's metadata; phonenumbers keeps its own lookup
// unexported, so the collection is indexed once here.
func metadata(region string) *phonenumbers.PhoneMetadata {
	metaOnce.Do(func() {
		metaByID = map[string]*phonenumbers.PhoneMetadata{}
		if c, err := phonenumbers.MetadataCollection(); err == nil {
			for _, md := range c.GetMetadata() {
				metaByID[md.GetId()] = md
			}
		}
	})
	return metaByID[region]
}

// prefixMatcher reports whether any of the patterns matches at the start of s.
func prefixMatcher(patterns ...string) func(string) bool {
	var res []*regexp.Regexp
	for _, p := range patterns {
		if p != "" {
			res = append(res, regexp.MustCompile(`^(?:`+p+`)`))
		}
	}
	return func(s string) bool {
		for _, re := range res {
			if re.MatchString(s) {
				return true
			}
		}
		return false
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// Mask hides all but the last four digits, for logs and screens that must not
// show a full number.
func Mask(e164 string) string {
	if len(e164) <= 4 {
		return "****"
	}
	return strings.Repeat("*", len(e164)-4) + e164[len(e164)-4:]
}
