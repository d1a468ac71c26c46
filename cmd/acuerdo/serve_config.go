package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"acuerdo/prompts"
	"acuerdo/whatsapp"
)

// twilio is the WhatsApp side of serve: the client and the settings the web
// handlers need to verify webhooks.
type twilio struct {
	client *whatsapp.Client
	cfg    whatsapp.Config
	// sms sends SMS from TWILIO_SMS_FROM through the same account; nil
	// without it.
	sms *whatsapp.Client
}

// twilioFromEnv builds the Twilio client when TWILIO_ACCOUNT_SID,
// TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM are set. None set means no
// WhatsApp (nil, nil); only some set is a mistake worth stopping for, because
// the service would otherwise run deaf.
func twilioFromEnv(e *env) (*twilio, error) {
	cfg := whatsapp.ConfigFromEnv(e.getenv)
	vals := map[string]string{"TWILIO_ACCOUNT_SID": cfg.AccountSID, "TWILIO_AUTH_TOKEN": cfg.AuthToken, "TWILIO_WHATSAPP_FROM": cfg.From}
	var missing []string
	for _, k := range []string{"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_FROM"} {
		if vals[k] == "" {
			missing = append(missing, k)
		}
	}
	switch len(missing) {
	case 3:
		return nil, nil
	case 0:
	default:
		return nil, fmt.Errorf("WhatsApp needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM together; %s not set", strings.Join(missing, " and "))
	}
	c, err := whatsapp.New(cfg)
	if err != nil {
		return nil, err
	}
	tw := &twilio{client: c, cfg: cfg}
	if from := strings.TrimSpace(e.getenv("TWILIO_SMS_FROM")); from != "" {
		sc := cfg
		sc.From = from
		if tw.sms, err = whatsapp.NewSMS(sc); err != nil {
			return nil, err
		}
	}
	return tw, nil
}

var contentSID = regexp.MustCompile(`^HX[0-9a-fA-F]{32}$`)

// loadTemplates reads ACUERDO_TEMPLATES: a JSON object from "name/locale" (a
// template of the catalogue, locale es, pt-BR or en) to the Content SID Twilio
// gave the approved template. Mistakes are errors at start-up, because a key
// that matches nothing would only show as messages held for days.
func loadTemplates(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ACUERDO_TEMPLATES: %w", err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("ACUERDO_TEMPLATES %s: want a JSON object like {\"reengage/es\": \"HX…\"}: %w", path, err)
	}
	var problems []string
	for k, v := range m {
		name, loc, ok := strings.Cut(k, "/")
		if _, known := prompts.LookupTemplate(name); !ok || !known {
			problems = append(problems, fmt.Sprintf("%q is not NAME/LOCALE with NAME one of %s", k, strings.Join(sortedTemplates(), ", ")))
		} else if loc != "es" && loc != "pt-BR" && loc != "en" {
			problems = append(problems, fmt.Sprintf("%q: locale must be es, pt-BR or en", k))
		}
		if !contentSID.MatchString(v) {
			problems = append(problems, fmt.Sprintf("%q: %q is not a Content SID (HX and 32 hex digits)", k, v))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("ACUERDO_TEMPLATES %s: %s", path, strings.Join(problems, "; "))
	}
	return m, nil
}

func sortedTemplates() []string {
	t := prompts.Templates()
	sort.Strings(t)
	return t
}

// leaseFromEnv reads ACUERDO_LEASE: how long a worker holds a claimed turn or
// outbound message without renewing it. It is also how long work a killed
// process had claimed waits before another worker takes it over. A running
// turn renews its lease, so it need not exceed the slowest turn.
// Zero means the engine's default.
func leaseFromEnv(e *env) (time.Duration, error) {
	v := strings.TrimSpace(e.getenv("ACUERDO_LEASE"))
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		return 0, usageErr("ACUERDO_LEASE %q: want a duration of at least 1s, like 2m", v)
	}
	return d, nil
}
