package whatsapp

import (
	"net/url"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseInbound(f *testing.F) {
	for _, name := range []string{"inbound_text.form", "inbound_media.form", "inbound_button.form"} {
		raw, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(raw))
	}
	f.Add("MessageSid=SM1&From=whatsapp:%2B573001234567&To=whatsapp:%2B14155238886&NumMedia=10")
	f.Add("MessageSid=SM1&From=%2B573001234567&To=%2B14155238886&NumMedia=1&MediaUrl0=http://[::1&MediaContentType0=;")
	f.Add("%zz&MessageSid=&&=&NumMedia=99999999999999999999")
	f.Fuzz(func(t *testing.T, raw string) {
		form, _ := url.ParseQuery(raw) // keeps what parsed before an error, like a lenient server
		in, err := ParseInbound(form)
		if err != nil {
			return
		}
		if in.MessageSid == "" || !strings.HasPrefix(in.From, "+") || !strings.HasPrefix(in.To, "+") {
			t.Fatalf("accepted without required fields: %+v", in)
		}
		if len(in.Media) > MaxMedia {
			t.Fatalf("%d media accepted", len(in.Media))
		}
		for _, s := range []string{in.Body, in.ProfileName, in.ButtonPayload, in.ButtonText} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 returned: %q", s)
			}
		}
		for _, m := range in.Media {
			if u, err := url.Parse(m.URL); err != nil || !u.IsAbs() {
				t.Fatalf("media URL %q accepted", m.URL)
			}
		}
		_, _ = ParseStatus(form)
	})
}

func FuzzVerifySignature(f *testing.F) {
	f.Add("https://cobros.example.com/webhooks/twilio/inbound", "Body", "Hola", "From", "whatsapp:+573001234567", uint(0))
	f.Add(docURL, "CallSid", "CA1234567890ABCDE", "Digits", "1234", uint(3))
	f.Add("http://[::1]:80/x?y=%zz", "", "", "a", "\xff", uint(1))
	f.Fuzz(func(t *testing.T, u, k1, v1, k2, v2 string, pos uint) {
		form := url.Values{}
		form.Set(k1, v1)
		form.Set(k2, v2) // may overwrite k1: still one value per name
		sig := Signature(testToken, u, form)
		if !VerifySignature(testToken, u, form, sig) {
			t.Fatalf("own signature does not verify: url %q form %v", u, form)
		}
		_ = VerifySignature(testToken, u, form, v1) // arbitrary signature: must not panic

		// Change one byte of one value: it must no longer verify.
		key := k2
		val := form.Get(key)
		if val == "" {
			return
		}
		i := int(pos % uint(len(val)))
		b := []byte(val)
		b[i] ^= 0x01
		tampered := url.Values{}
		for k, v := range form {
			tampered[k] = v
		}
		tampered.Set(key, string(b))
		if VerifySignature(testToken, u, tampered, sig) {
			t.Fatalf("signature still verifies after changing byte %d of %q", i, key)
		}
	})
}
