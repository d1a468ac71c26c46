package kb

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"acuerdo"
	"acuerdo/understand"
)

// Formats are the file extensions Parse reads, and what each is.
var Formats = map[string]string{".md": "md", ".markdown": "md", ".txt": "txt", ".text": "txt", ".pdf": "pdf"}

// MaxFileBytes bounds one document: a FAQ is kilobytes; a file this large is
// a mistake (a scanned manual, a database dump) better refused than indexed.
const MaxFileBytes = 8 << 20

// maxPassage is the longest passage kept whole, in characters: about what a
// WhatsApp message comfortably shows. Longer sections are cut at paragraphs.
const maxPassage = 700

// ParseError is why a document was refused: Kind is "format", "too_large",
// "no_text" or "pdf", for a door to say it in its user's language; the error
// itself (an acuerdo.EINVALID) says it in English with what to do.
type ParseError struct {
	Name, Kind string
	err        error
}

func (e *ParseError) Error() string { return e.err.Error() }
func (e *ParseError) Unwrap() error { return e.err }

func refuse(name, kind, format string, args ...any) error {
	return &ParseError{Name: name, Kind: kind, err: acuerdo.Errorf(acuerdo.EINVALID, format, args...)}
}

// Supported reports whether name has an extension Parse reads.
func Supported(name string) bool {
	_, ok := Formats[strings.ToLower(filepath.Ext(name))]
	return ok
}

// Parse reads one document into its passages. name is the file's base name:
// its extension says the format, and a language tag before it
// ("faq.pt-BR.md", "pagos_en.txt") says the language, else the text does.
// A file with nothing to index is an error that says what to do.
func Parse(name string, data []byte) (acuerdo.KnowledgeDoc, error) {
	name = filepath.Base(name)
	format, ok := Formats[strings.ToLower(filepath.Ext(name))]
	if !ok {
		return acuerdo.KnowledgeDoc{}, refuse(name, "format", "%s: unsupported format; documents are Markdown (.md), text (.txt) or PDF (.pdf)", name)
	}
	if len(data) > MaxFileBytes {
		return acuerdo.KnowledgeDoc{}, refuse(name, "too_large", "%s: %d bytes is more than the %d MiB a document may have; split it", name, len(data), MaxFileBytes>>20)
	}
	sum := sha256.Sum256(data)
	doc := acuerdo.KnowledgeDoc{Name: name, Format: format, SHA256: hex.EncodeToString(sum[:]), Bytes: len(data)}
	var secs []section
	switch format {
	case "md":
		secs = markdownSections(text(data))
	case "txt":
		secs = textSections(text(data))
	case "pdf":
		t, err := pdfText(data)
		if err != nil {
			return acuerdo.KnowledgeDoc{}, refuse(name, "pdf", "%s: not a readable PDF (%v); export it again as PDF, or as text", name, err)
		}
		secs = textSections(t)
	}
	doc.Title = name
	if len(secs) > 0 && secs[0].title != "" {
		doc.Title = secs[0].title
	}
	var all strings.Builder
	for _, s := range secs {
		if strings.TrimSpace(s.body) == "" {
			continue
		}
		for _, p := range split(s.body) {
			doc.Passages = append(doc.Passages, acuerdo.KnowledgePassage{Seq: len(doc.Passages) + 1, Heading: s.heading, Text: p,
				Terms: passageTerms(s.heading, p)})
			if all.Len() < 4000 {
				all.WriteString(s.heading + "\n" + p + "\n")
			}
		}
	}
	if len(doc.Passages) == 0 {
		hint := "it is empty"
		if format == "pdf" {
			hint = "a scanned PDF has images, not text: export it with its text layer, or as .txt"
		}
		return acuerdo.KnowledgeDoc{}, refuse(name, "no_text", "%s: no text to index (%s)", name, hint)
	}
	doc.Lang = langOf(name, all.String())
	return doc, nil
}

// headingWeight is how many times a heading's words count in its passages:
// a question usually names the topic its section's heading names.
const headingWeight = 3

// passageTerms are a passage's index terms: its heading's, headingWeight
// times, then its text's.
func passageTerms(heading, text string) string {
	var t []string
	for range headingWeight {
		t = append(t, Terms(heading)...)
	}
	return strings.Join(append(t, Terms(text)...), " ")
}

// text decodes a text file: UTF-8 (a BOM dropped), else Windows-1252, which
// is what office software in Latin America saves "plain text" as.
func text(data []byte) string {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return strings.ReplaceAll(string(data), "\r\n", "\n")
	}
	s, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		return string(bytes.ToValidUTF8(data, []byte("?")))
	}
	return strings.ReplaceAll(string(s), "\r\n", "\n")
}

var langTag = regexp.MustCompile(`(?i)[._-](es|pt|pt-br|pt_br|en)$`)

// langOf is the document's language: a tag in its name, else its words.
func langOf(name, sample string) string {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	if m := langTag.FindStringSubmatch(base); m != nil {
		switch strings.ToLower(m[1]) {
		case "es":
			return "es"
		case "en":
			return "en"
		default:
			return "pt-BR"
		}
	}
	return understand.GuessLanguage(sample)
}

// section is a heading and the text under it.
type section struct {
	title   string // the document's title, on the first section only
	heading string // the heading path, "Pagos › Medios de pago"
	body    string
}

var mdHeading = regexp.MustCompile(`^(#{1,6})\s+(.+?)\s*#*\s*$`)

// markdownSections cuts Markdown at its headings; the heading path (the
// enclosing headings) names each section. Emphasis and link syntax are kept
// out of the text a debtor reads.
func markdownSections(s string) []section {
	var out []section
	var path []string
	title := ""
	var body []string
	flush := func() {
		b := strings.TrimSpace(strings.Join(body, "\n"))
		body = nil
		if b == "" {
			return
		}
		out = append(out, section{heading: strings.Join(path, " › "), body: b})
	}
	for _, line := range strings.Split(s, "\n") {
		if m := mdHeading.FindStringSubmatch(line); m != nil {
			flush()
			level, h := len(m[1]), mdInline(m[2])
			if level == 1 && title == "" {
				title = h
				path = nil
				continue
			}
			// The path keeps the enclosing headings: a level-3 heading under
			// a level-2 one is "Pagos › Medios".
			depth := level - 2
			if title == "" {
				depth = level - 1
			}
			if depth < 0 {
				depth = 0
			}
			if depth < len(path) {
				path = path[:depth]
			}
			path = append(path, h)
			continue
		}
		body = append(body, mdInline(line))
	}
	flush()
	if len(out) > 0 {
		out[0].title = title
	} else if title != "" {
		out = append(out, section{title: title})
	}
	return out
}

var (
	mdLink     = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
	mdEmphasis = regexp.MustCompile("(\\*\\*|__|\\*|`)")
)

// mdInline keeps a Markdown line's words: links as "text (url)", no emphasis
// marks, list bullets as "•".
func mdInline(s string) string {
	s = mdLink.ReplaceAllString(s, "$1 ($2)")
	s = mdEmphasis.ReplaceAllString(s, "")
	t := strings.TrimLeft(s, " ")
	if strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ") || strings.HasPrefix(t, "+ ") {
		s = "• " + t[2:]
	}
	return strings.TrimRight(s, " ")
}

// textSections cuts plain text (and a PDF's text) at the lines that look
// like headings: short lines without a final full stop, standing alone or
// ending in a colon or a question mark, followed by text.
func textSections(s string) []section {
	var paras [][]string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			if len(cur) > 0 {
				paras = append(paras, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, line)
	}
	if len(cur) > 0 {
		paras = append(paras, cur)
	}
	var out []section
	title, heading := "", ""
	var body []string
	flush := func() {
		if b := strings.TrimSpace(strings.Join(body, "\n\n")); b != "" {
			out = append(out, section{heading: heading, body: b})
		}
		body = nil
	}
	for i, p := range paras {
		if headingLine(p[0]) && (len(p) > 1 || i+1 < len(paras)) {
			h := strings.TrimRight(p[0], ":")
			if i == 0 && len(p) == 1 && title == "" {
				title = h
				continue
			}
			flush()
			heading = h
			p = p[1:]
		}
		if len(p) > 0 {
			body = append(body, strings.Join(p, " "))
		}
	}
	flush()
	if len(out) > 0 {
		out[0].title = title
	}
	return out
}

var numbered = regexp.MustCompile(`^(\d+[.)]|[IVX]+\.)\s+`)

func headingLine(l string) bool {
	n := utf8.RuneCountInString(l)
	if n == 0 || n > 90 {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(l)
	switch last {
	case '?', ':':
		return true
	case '.', ',', ';':
		return false
	}
	// A title line: few words, no sentence inside.
	return len(strings.Fields(numbered.ReplaceAllString(l, ""))) <= 10 && !strings.Contains(l, ". ")
}

// split cuts a section's text into passages of at most about maxPassage
// characters, at paragraph boundaries (at sentences when a paragraph alone is
// longer).
func split(body string) []string {
	if utf8.RuneCountInString(body) <= maxPassage {
		return []string{body}
	}
	var units []string
	for _, p := range strings.Split(body, "\n\n") {
		if utf8.RuneCountInString(p) <= maxPassage {
			units = append(units, p)
			continue
		}
		units = append(units, sentences(p)...)
	}
	var out []string
	var cur strings.Builder
	for _, u := range units {
		if cur.Len() > 0 && utf8.RuneCountInString(cur.String())+utf8.RuneCountInString(u) > maxPassage {
			out = append(out, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteString("\n\n")
		}
		cur.WriteString(u)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

var sentenceEnd = regexp.MustCompile(`[.!?]\s+`)

func sentences(p string) []string {
	var out []string
	last := 0
	for _, m := range sentenceEnd.FindAllStringIndex(p, -1) {
		out = append(out, strings.TrimSpace(p[last:m[1]]))
		last = m[1]
	}
	if rest := strings.TrimSpace(p[last:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// pdfText is a PDF's text, page after page.
func pdfText(data []byte) (s string, err error) {
	defer func() {
		// The PDF reader panics on some malformed files instead of failing.
		if r := recover(); r != nil {
			s, err = "", fmt.Errorf("malformed PDF: %v", r)
		}
	}()
	return readPDF(data)
}
