package console

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/charmap"
)

// emojiText are readable stand-ins for the emoji debtors use most, for the
// case PDF: its core fonts speak Windows-1252, which has no emoji.
var emojiText = map[rune]string{
	'😀': ":)", '😃': ":)", '😄': ":)", '😁': ":D", '😊': ":)", '🙂': ":)", '☺': ":)", '😅': ":)",
	'😂': ":'D", '🤣': ":'D", '😉': ";)", '😍': "<3", '🥰': "<3", '😘': ":*",
	'😢': ":'(", '😭': ":'(", '😞': ":(", '😔': ":(", '☹': ":(", '🙁': ":(", '😟': ":(", '😥': ":(",
	'😡': ">:(", '😠': ">:(", '😤': ">:(", '😐': ":|", '😕': ":/", '🤔': "(?)", '😮': ":O",
	'❤': "<3", '♥': "<3", '💕': "<3", '💙': "<3", '💚': "<3",
	'👍': "(+1)", '👎': "(-1)", '👌': "(ok)", '✅': "[v]", '✔': "[v]", '❌': "[x]", '✖': "[x]",
	'🙏': "(_/\\_)", '👋': "(hi)", '💰': "($)", '💵': "($)", '💸': "($)", '📄': "[doc]", '📎': "[clip]",
	'📷': "[foto]", '📸': "[foto]", '⚠': "(!)", '❗': "(!)", '❓': "(?)",
}

// pdfText makes s printable in Windows-1252: emoji become readable stand-ins
// (a face an emoticon, others "[emoji]"), joiners and modifiers vanish, and
// any other character the font lacks becomes "?" — never a silent dot.
func pdfText(s string) string {
	var b strings.Builder
	prevJoin := false
	for _, r := range s {
		switch {
		case r == '\u200d':
			prevJoin = true
			continue
		case r == '\ufe0f' || r == '\ufe0e' || r >= 0x1f3fb && r <= 0x1f3ff:
			continue
		}
		join := prevJoin
		prevJoin = false
		if _, ok := charmap.Windows1252.EncodeRune(r); ok {
			b.WriteRune(r)
			continue
		}
		if join {
			continue // the rest of a joined sequence (👨‍👩‍👧) is one emoji
		}
		if t, ok := emojiText[r]; ok {
			b.WriteString(t)
		} else if isEmoji(r) {
			b.WriteString("[emoji]")
		} else if unicode.IsSpace(r) {
			b.WriteByte(' ')
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

func isEmoji(r rune) bool {
	return r >= 0x1f000 && r <= 0x1faff || r >= 0x2600 && r <= 0x27bf || r >= 0x2b00 && r <= 0x2bff || r >= 0x1f1e6 && r <= 0x1f1ff
}

// toolLine is a tool call as a person reads it: "offer_payment_plan ·
// installments: 3 — OK · plan_id: 7 · total: 1250000.00", not raw JSON.
func toolLine(t map[string]string, tv *toolView) string {
	line := tv.Name
	if args := plainJSON(tv.rawArgs); args != "" {
		line += " (" + args + ")"
	}
	var res map[string]any
	if json.Unmarshal([]byte(tv.rawResult), &res) != nil {
		return line + " - " + tv.Result
	}
	if ok, _ := res["ok"].(bool); ok {
		line += " - " + t["tool_ok"]
	} else {
		line += " - " + t["tool_refused"]
		if by, _ := res["refused_by"].(string); by != "" {
			line += " (" + by + ")"
		}
	}
	delete(res, "ok")
	delete(res, "refused_by")
	if rest := plainValue(res); rest != "" {
		line += ": " + rest
	}
	return line
}

func plainJSON(raw string) string {
	var v any
	if json.Unmarshal([]byte(raw), &v) != nil {
		return strings.TrimSpace(raw)
	}
	return plainValue(v)
}

// plainValue renders decoded JSON as "key: value · key: value", lists
// joined by commas, keys in a stable order.
func plainValue(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, strings.ReplaceAll(k, "_", " ")+": "+plainValue(x[k]))
		}
		return strings.Join(parts, " · ")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = plainValue(e)
		}
		return strings.Join(parts, ", ")
	case string:
		return x
	case nil:
		return "-"
	case float64:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v)
}
