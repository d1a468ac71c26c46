package acuerdo

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Experiment is a pilot: debtors randomised into arms, compared on recovery, cost
// and time to pay.
type Experiment struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Salt        string   `json:"salt"` // fixed at creation; assignment is a pure function of it
	Treatment   float64  `json:"treatment"`
	Stratify    []string `json:"stratify"`
	Filter      string   `json:"filter,omitempty"`
	HorizonDays int      `json:"horizon_days"`
	Arms        []Arm    `json:"arms"`
	// Primary is the metric the pilot is decided on (liquidation_rate_dN by
	// default); Guardrails are metrics that must not get worse.
	Primary    string     `json:"primary,omitempty"`
	Guardrails []string   `json:"guardrails,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LaunchedAt *time.Time `json:"launched_at,omitempty"`
}

// Arm is one group of an experiment.
type Arm struct {
	Name    string  `json:"name"` // ArmControl, ArmTreatment, or a variant's name
	Share   float64 `json:"share"`
	Variant Variant `json:"variant,omitzero"`
}

// Arm names.
const (
	ArmTreatment = "treatment"
	ArmControl   = "control"
)

// Assignment places one debtor in one arm, once and for good.
type Assignment struct {
	ExperimentID int64     `json:"experiment_id"`
	DebtorID     int64     `json:"debtor_id"`
	Arm          string    `json:"arm"`
	Bucket       int       `json:"bucket"` // SHA-256(salt ‖ debtor_id) mod 10000
	Stratum      string    `json:"stratum"`
	AssignedAt   time.Time `json:"assigned_at"`
}

// Variant is what an arm changes in how acuerdo contacts its debtors. The zero
// Variant is the shipped behaviour; each field set overrides one thing, and
// the engine, the scheduler and the agent read it for every debtor of the arm
// (see Store.DebtorVariant).
type Variant struct {
	// Template is the first-contact template (a catalogue name, with its text
	// in every language); "" is first_contact.
	Template string `json:"template,omitempty"`
	// WindowStart and WindowEnd narrow the hours, in the debtor's local time,
	// in which business-initiated messages go out: [start, end). Both zero:
	// the contact policy's hours only. The policy always applies too.
	WindowStart int `json:"window_start,omitempty"`
	WindowEnd   int `json:"window_end,omitempty"`
	// NudgeMinutes is the silence before "are you still there?"; 0: the
	// engine's default.
	NudgeMinutes int `json:"nudge_minutes,omitempty"`
	// ReminderDays is how many days before a promised date the reminder goes
	// out; 0: the day before.
	ReminderDays int `json:"reminder_days,omitempty"`
	// Mode is ModeMenu (the menu engine even when a model is configured) or
	// ModeModel (the model when one is configured); "" is the default.
	Mode string `json:"mode,omitempty"`
	// Prompt is a prompt variant of the model's system prompt (prompts.Styles).
	Prompt string `json:"prompt,omitempty"`
	// Channel is where the first contact goes: ChannelSMS sends an SMS that
	// leads into WhatsApp (a wa.me link); "" is a WhatsApp template.
	Channel string `json:"channel,omitempty"`
}

// Agent modes of a Variant.
const (
	ModeMenu  = "menu"
	ModeModel = "model"
)

// IsZero reports whether the variant changes nothing.
func (v Variant) IsZero() bool { return v == Variant{} }

// InWindow reports whether local hour h is inside the variant's send window;
// true when it sets none.
func (v Variant) InWindow(h int) bool {
	if v.WindowStart == v.WindowEnd {
		return true
	}
	if v.WindowStart < v.WindowEnd {
		return h >= v.WindowStart && h < v.WindowEnd
	}
	return h >= v.WindowStart || h < v.WindowEnd // across midnight
}

// String renders the variant as ParseVariant reads it.
func (v Variant) String() string {
	var parts []string
	if v.Template != "" {
		parts = append(parts, "template="+v.Template)
	}
	if v.WindowStart != v.WindowEnd {
		parts = append(parts, fmt.Sprintf("window=%d-%d", v.WindowStart, v.WindowEnd))
	}
	if v.NudgeMinutes > 0 {
		parts = append(parts, fmt.Sprintf("nudge=%dm", v.NudgeMinutes))
	}
	if v.ReminderDays > 0 {
		parts = append(parts, fmt.Sprintf("reminder=%dd", v.ReminderDays))
	}
	if v.Mode != "" {
		parts = append(parts, "mode="+v.Mode)
	}
	if v.Prompt != "" {
		parts = append(parts, "prompt="+v.Prompt)
	}
	if v.Channel != "" {
		parts = append(parts, "channel="+v.Channel)
	}
	return strings.Join(parts, ",")
}

var variantName = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// ParseVariant reads KEY=VALUE pairs separated by commas: template=NAME,
// window=H-H (local hours, end exclusive, e.g. 18-20), nudge=30m (minutes; or
// 2h), reminder=2d (days before a promised date), mode=menu|model,
// prompt=NAME, channel=sms|whatsapp. Catalogue names are checked by the
// caller, which knows them.
func ParseVariant(s string) (Variant, error) {
	var v Variant
	bad := func(format string, a ...any) (Variant, error) {
		return Variant{}, Errorf(EINVALID, "variant %q: "+format, append([]any{s}, a...)...)
	}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, val, ok := strings.Cut(kv, "=")
		k, val = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(val)
		if !ok || val == "" {
			return bad("write KEY=VALUE pairs such as template=first_contact_warm,window=18-20")
		}
		switch k {
		case "template", "prompt":
			if !variantName.MatchString(val) {
				return bad("%s %q: use lower-case letters, digits and _", k, val)
			}
			if k == "template" {
				v.Template = val
			} else {
				v.Prompt = val
			}
		case "window":
			a, b, ok := strings.Cut(val, "-")
			h1, e1 := strconv.Atoi(strings.TrimSpace(a))
			h2, e2 := strconv.Atoi(strings.TrimSpace(b))
			if !ok || e1 != nil || e2 != nil || h1 < 0 || h1 > 23 || h2 < 0 || h2 > 24 || h1 == h2 {
				return bad("window %q: write local hours START-END, e.g. 18-20 (18:00 to 20:00)", val)
			}
			v.WindowStart, v.WindowEnd = h1, h2%24
			if v.WindowStart == v.WindowEnd {
				return bad("window %q covers the whole day: leave it out", val)
			}
		case "nudge":
			n, err := durationIn(val, map[string]int{"m": 1, "h": 60}, "m")
			if err != nil || n < 1 || n > 24*60 {
				return bad("nudge %q: write minutes or hours up to a day, e.g. 30m or 2h", val)
			}
			v.NudgeMinutes = n
		case "reminder":
			n, err := durationIn(val, map[string]int{"d": 1}, "d")
			if err != nil || n < 1 || n > 14 {
				return bad("reminder %q: write days before the promised date, 1 to 14, e.g. 2d", val)
			}
			v.ReminderDays = n
		case "mode":
			if val = strings.ToLower(val); val != ModeMenu && val != ModeModel {
				return bad("mode %q: use menu or model", val)
			}
			v.Mode = val
		case "channel":
			switch val = strings.ToLower(val); val {
			case ChannelSMS:
				v.Channel = val
			case ChannelWhatsApp:
				v.Channel = "" // the default
			default:
				return bad("channel %q: use sms (an SMS leading into WhatsApp) or whatsapp", val)
			}
		default:
			return bad("unknown key %q (template, window, nudge, reminder, mode, prompt, channel)", k)
		}
	}
	return v, nil
}

// durationIn reads "30m", "2h" or a bare number (in def) as a count of the
// unit whose multiplier is 1.
func durationIn(s string, units map[string]int, def string) (int, error) {
	s = strings.ToLower(s)
	mult := units[def]
	for u, m := range units {
		if strings.HasSuffix(s, u) {
			s, mult = strings.TrimSuffix(s, u), m
			break
		}
	}
	n, err := strconv.Atoi(s)
	return n * mult, err
}

var armName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,29}$`)

// ParseArms reads NAME=SHARE pairs separated by commas, e.g.
// "control=0.34,warm=0.33,brief=0.33": a control arm, at least one other, and
// shares that are positive and add up to 1 (within 0.01; they are normalised).
func ParseArms(s string) ([]Arm, error) {
	bad := func(format string, a ...any) ([]Arm, error) {
		return nil, Errorf(EINVALID, "arms %q: "+format, append([]any{s}, a...)...)
	}
	var arms []Arm
	seen := map[string]bool{}
	total := 0.0
	for _, kv := range strings.Split(s, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		k = strings.ToLower(strings.TrimSpace(k))
		share, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		switch {
		case !ok || err != nil:
			return bad("write NAME=SHARE pairs, e.g. control=0.5,warm=0.5")
		case !armName.MatchString(k):
			return bad("arm name %q: lower-case letters, digits and _, starting with a letter", k)
		case seen[k]:
			return bad("arm %s is listed twice", k)
		case !(share > 0 && share < 1):
			return bad("arm %s: share %g must be between 0 and 1", k, share)
		case k == "difference" || k == "relative" || k == "all":
			return bad("%q is reserved for comparison rows: name the arm otherwise", k)
		}
		seen[k] = true
		total += share
		arms = append(arms, Arm{Name: k, Share: share})
	}
	if !seen[ArmControl] {
		return bad("one arm must be control (business as usual, never contacted by acuerdo)")
	}
	if len(arms) < 2 || len(arms) > 10 {
		return bad("want control and 1 to 9 other arms")
	}
	if total < 0.99 || total > 1.01 {
		return bad("shares add up to %g, want 1", total)
	}
	for i := range arms {
		arms[i].Share /= total
	}
	// Control first, then the others in the order given.
	for i, a := range arms {
		if a.Name == ArmControl {
			copy(arms[1:i+1], arms[:i])
			arms[0] = a
			break
		}
	}
	return arms, nil
}
