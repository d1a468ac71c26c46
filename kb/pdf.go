package kb

import (
	"bytes"
	"sort"
	"strings"

	"github.com/ledongthuc/pdf"
)

// readPDF extracts a PDF's text row by row (github.com/ledongthuc/pdf), and
// marks a paragraph break where the gap to the next row is clearly wider
// than the page's usual line spacing, so textSections can find headings and
// paragraphs as in a text file.
func readPDF(data []byte) (string, error) {
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		rows, err := p.GetTextByRow()
		if err != nil {
			return "", err
		}
		if len(rows) < 2 {
			// No positions to go by (writers that place text with Td, which
			// the reader does not track): one line per text object, and the
			// lines that read as headings set apart.
			t, err := p.GetPlainText(nil)
			if err != nil {
				return "", err
			}
			b.WriteString(lineBreaks(t))
			continue
		}
		var gaps []float64
		for j := 1; j < len(rows); j++ {
			gaps = append(gaps, float64(rows[j-1].Position-rows[j].Position))
		}
		usual := 0.0
		if len(gaps) > 0 {
			s := append([]float64(nil), gaps...)
			sort.Float64s(s)
			usual = s[len(s)/2]
		}
		for j, row := range rows {
			if j > 0 && usual > 0 && gaps[j-1] > usual*1.4 {
				b.WriteString("\n")
			}
			var line []string
			for _, t := range row.Content {
				if s := strings.TrimSpace(t.S); s != "" {
					line = append(line, s)
				}
			}
			b.WriteString(strings.Join(line, " "))
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}

// lineBreaks sets apart, with blank lines, the lines of an unpositioned
// page that read as a title or a heading (a question, a line ending in a
// colon), so textSections finds them as in a text file.
func lineBreaks(page string) string {
	var b strings.Builder
	first := true
	for _, l := range strings.Split(page, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		switch {
		case first && headingLine(l):
			b.WriteString(l + "\n\n")
		case strings.HasSuffix(l, "?") || strings.HasSuffix(l, ":"):
			b.WriteString("\n" + l + "\n")
		default:
			b.WriteString(l + "\n")
		}
		first = false
	}
	return b.String() + "\n"
}
