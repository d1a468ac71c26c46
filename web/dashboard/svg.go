package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"

	"acuerdo/experiments"
)

// The time-to-pay chart is hand-written SVG: a few paths need no plotting
// library, and the page then loads nothing from anywhere (no script, no
// fonts), which the CSP enforces. Only presentation attributes are used, since
// the CSP refuses style attributes.
const (
	chartW, chartH            = 720, 340
	padL, padR, padT, padB    = 56, 16, 16, 48
	plotW, plotH              = chartW - padL - padR, chartH - padT - padB
	controlColor, treatColour = "#5f6b70", "#075e54"
)

var armColour = [2]string{controlColor, treatColour}

// chartDays is the last day either curve was observed, at least 1.
func chartDays(km [2]*experiments.KMCurve) int {
	n := 1
	for _, k := range km {
		if k != nil {
			n = max(n, k.MaxDay())
		}
	}
	return n
}

// chartTicks are the days the x axis and the at-risk table are read at: about
// six evenly spaced, on multiples of 5 days once there is room.
func chartTicks(days int) []int {
	step := max(1, days/6)
	if step > 5 {
		step = (step + 4) / 5 * 5
	}
	var ticks []int
	for t := 0; t < days; t += step {
		ticks = append(ticks, t)
	}
	return append(ticks, days)
}

func xAt(day, days int) float64 { return padL + float64(plotW)*float64(day)/float64(days) }

// yAt places a share paid (0 at the bottom, 1 at the top).
func yAt(share float64) float64 { return padT + float64(plotH)*(1-share) }

// kmSVG draws 1 − S(t), the share of each arm that has paid, as a step
// function with its pointwise band, so "up is better" as analysts expect.
func kmSVG(km [2]*experiments.KMCurve, t map[string]string) template.HTML {
	days := chartDays(km)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="km" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, html.EscapeString(t["ttp"]))
	// Grid and axes.
	for _, s := range []float64{0, 0.25, 0.5, 0.75, 1} {
		y := yAt(s)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#dfe4e6"/>`, padL, y, padL+plotW, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#4a5458">%.0f%%</text>`, padL-6, y+4, 100*s)
	}
	for _, d := range chartTicks(days) {
		x := xAt(d, days)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#4a5458"/>`, x, padT+plotH, x, padT+plotH+4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#4a5458">%d</text>`, x, padT+plotH+17, d)
	}
	fmt.Fprintf(&b, `<path d="M%d %d V%d H%d" fill="none" stroke="#4a5458"/>`, padL, padT, padT+plotH, padL+plotW)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="middle" fill="#1d2327">%s</text>`, padL+plotW/2, chartH-8, html.EscapeString(t["day"]))
	fmt.Fprintf(&b, `<text transform="translate(14 %d) rotate(-90)" font-size="12" text-anchor="middle" fill="#1d2327">%s</text>`, padT+plotH/2, html.EscapeString(t["share_paid"]))
	// Bands first, so both curves stay visible on top of them.
	for a, k := range km {
		if k != nil {
			if d := bandPath(k, days); d != "" {
				fmt.Fprintf(&b, `<path class="band" data-arm="%s" d="%s" fill="%s" fill-opacity="0.18" stroke="none"/>`, experiments.ArmName(uint8(a)), d, armColour[a])
			}
		}
	}
	for a, k := range km {
		if k != nil {
			fmt.Fprintf(&b, `<path class="curve" data-arm="%s" d="%s" fill="none" stroke="%s" stroke-width="2"/>`, experiments.ArmName(uint8(a)), stepPath(k, days), armColour[a])
		}
	}
	// Legend.
	for a, key := range []string{"control", "treatment"} {
		y := padT + 12 + 18*a
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`, padL+12, y, padL+36, y, armColour[a])
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#1d2327">%s</text>`, padL+42, y+4, html.EscapeString(t[key]))
	}
	b.WriteString(`</svg>`)
	// Every value written above is a number or escaped text.
	return template.HTML(b.String())
}

// stepPath is the share paid as a right-continuous step function: flat over
// each day, jumping at the day's first payments.
func stepPath(k *experiments.KMCurve, days int) string {
	var b strings.Builder
	prev := 0.0
	fmt.Fprintf(&b, "M%.1f %.1f", xAt(0, days), yAt(0))
	for d := 0; d <= k.MaxDay(); d++ {
		s := 1 - k.S(d)
		if math.IsNaN(s) {
			break
		}
		if s != prev {
			fmt.Fprintf(&b, " H%.1f V%.1f", xAt(d, days), yAt(s))
			prev = s
		}
	}
	fmt.Fprintf(&b, " H%.1f", xAt(k.MaxDay(), days))
	return b.String()
}

// bandPath is the closed region between the band's bounds on share paid
// (1 − upper bound of S to 1 − lower bound), drawn as steps like the curve.
func bandPath(k *experiments.KMCurve, days int) string {
	type pt struct{ x, lo, hi float64 }
	var pts []pt
	for d := 0; d <= k.MaxDay() && d < len(k.Lower) && d < len(k.Upper); d++ {
		lo, hi := 1-k.Upper[d], 1-k.Lower[d]
		if math.IsNaN(lo) || math.IsNaN(hi) {
			continue
		}
		x0, x1 := xAt(d, days), xAt(min(d+1, k.MaxDay()), days)
		pts = append(pts, pt{x0, lo, hi}, pt{x1, lo, hi})
	}
	if len(pts) == 0 {
		return ""
	}
	var b strings.Builder
	for i, p := range pts {
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&b, "%s%.1f %.1f ", cmd, p.x, yAt(p.hi))
	}
	for i := len(pts) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "L%.1f %.1f ", pts[i].x, yAt(pts[i].lo))
	}
	b.WriteString("Z")
	return b.String()
}
