package whatsapp

import (
	"errors"
	"math/rand"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParseInboundWireFormat(t *testing.T) {
	tests := []struct {
		file string
		want Inbound
	}{
		{"inbound_text.form", Inbound{
			MessageSid: "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0", AccountSid: testSID,
			From: "+573001234567", To: "+14155238886", Body: "Hola, ¿cuánto debo?",
			ProfileName: "Ana María", WaID: "573001234567", MessageType: "text",
		}},
		{"inbound_media.form", Inbound{
			MessageSid: "MM2a3b4c5d6e7f8091a2b3c4d5e6f70819", AccountSid: testSID,
			From: "+5511987654321", To: "+14155238886", ProfileName: "João",
			WaID: "5511987654321", MessageType: "image",
			Media: []Media{{
				URL:         "https://api.twilio.com/2010-04-01/Accounts/" + testSID + "/Messages/MM2a3b4c5d6e7f8091a2b3c4d5e6f70819/Media/ME0a1b2c3d4e5f60718293a4b5c6d7e8f9",
				ContentType: "image/jpeg",
			}},
		}},
		{"inbound_button.form", Inbound{
			MessageSid: "SM9a8b7c6d5e4f30211203f4e5d6c7b8a9", AccountSid: testSID,
			From: "+573001234567", To: "+14155238886", Body: "Quiero pagar",
			ProfileName: "Ana", WaID: "573001234567", MessageType: "button",
			ButtonText: "Quiero pagar", ButtonPayload: "pay_now",
			RepliedToSid: "SMaaaabbbbccccddddeeeeffff00001111",
		}},
	}
	for _, tt := range tests {
		got, err := ParseInbound(inboundForm(t, tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.file, got, tt.want)
		}
	}
}

func TestParseInboundErrors(t *testing.T) {
	base := inboundForm(t, "inbound_text.form")
	with := func(kv ...string) url.Values {
		f := cloneForm(base)
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "<del>" {
				f.Del(kv[i])
			} else {
				f.Set(kv[i], kv[i+1])
			}
		}
		return f
	}
	tests := []struct {
		name string
		form url.Values
		msg  string // part of the error message
	}{
		{"no sid", with("MessageSid", "<del>"), "MessageSid is missing"},
		{"bad sid", with("MessageSid", "SM'; DROP TABLE"), "MessageSid"},
		{"long sid", with("MessageSid", strings.Repeat("A", 65)), "MessageSid"},
		{"no from", with("From", "<del>"), "From is missing"},
		{"bad from", with("From", "whatsapp:3001234567"), "From is not"},
		{"no to", with("To", ""), "To is missing"},
		{"bad wa id", with("WaId", "57-300"), "WaId"},
		{"huge body", with("Body", strings.Repeat("x", maxBodyBytes+1)), "Body is longer"},
		{"num media word", with("NumMedia", "one"), "NumMedia"},
		{"num media negative", with("NumMedia", "-1"), "NumMedia"},
		{"num media too many", with("NumMedia", "11"), "NumMedia"},
		{"media url missing", with("NumMedia", "1", "MediaContentType0", "image/png"), "MediaUrl0 is missing"},
		{"media type missing", with("NumMedia", "1", "MediaUrl0", "https://api.twilio.com/m"), "MediaContentType0 is missing"},
		{"media url relative", with("NumMedia", "1", "MediaUrl0", "/m", "MediaContentType0", "image/png"), "MediaUrl0 is not"},
		{"media url scheme", with("NumMedia", "1", "MediaUrl0", "file:///etc/passwd", "MediaContentType0", "image/png"), "MediaUrl0 is not"},
		{"media url userinfo", with("NumMedia", "1", "MediaUrl0", "https://u:p@api.twilio.com/m", "MediaContentType0", "image/png"), "MediaUrl0 is not"},
		{"media type bad", with("NumMedia", "1", "MediaUrl0", "https://api.twilio.com/m", "MediaContentType0", "jpeg"), "not a media type"},
		{"second media missing", with("NumMedia", "2", "MediaUrl0", "https://api.twilio.com/m", "MediaContentType0", "image/png"), "MediaUrl1 is missing"},
	}
	for _, tt := range tests {
		_, err := ParseInbound(tt.form)
		if !errors.Is(err, ErrInvalidWebhook) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v, want ErrInvalidWebhook mentioning %q", tt.name, err, tt.msg)
		}
		if err != nil && strings.Contains(err.Error(), "3001234567") {
			t.Errorf("%s: error leaks a phone number: %v", tt.name, err)
		}
	}
}

func TestParseInboundLenient(t *testing.T) {
	f := cloneForm(inboundForm(t, "inbound_text.form"))
	f.Set("Body", "pago\xff hecho")
	f.Set("NumMedia", "1")
	f.Set("MediaUrl0", "https://api.twilio.com/m")
	f.Set("MediaContentType0", "Image/JPEG; charset=binary")
	f.Set("From", "+573001234567") // no channel prefix
	f.Del("WaId")
	in, err := ParseInbound(f)
	if err != nil {
		t.Fatal(err)
	}
	if in.Body != "pago\uFFFD hecho" || in.Media[0].ContentType != "image/jpeg" || in.From != "+573001234567" {
		t.Errorf("in = %+v", in)
	}
}

func TestParseStatus(t *testing.T) {
	st, err := ParseStatus(inboundForm(t, "status_undelivered.form"))
	if err != nil {
		t.Fatal(err)
	}
	want := Status{MessageSid: "SM5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", MessageStatus: "undelivered",
		ErrorCode: 63016, ErrorMessage: "Message failed to send because more than 24 hours have passed",
		AccountSid: testSID, To: "+573001234567"}
	if st != want {
		t.Errorf("got %+v\nwant %+v", st, want)
	}
	if st, err := ParseStatus(inboundForm(t, "status_read.form")); err != nil || st.MessageStatus != "read" || st.ErrorCode != 0 {
		t.Errorf("read: %+v %v", st, err)
	}

	legacy := url.Values{"MessageSid": {"SMx1"}, "SmsStatus": {"Delivered"}}
	if st, err := ParseStatus(legacy); err != nil || st.MessageStatus != "delivered" {
		t.Errorf("legacy SmsStatus: %+v %v", st, err)
	}
	// Every status in Twilio's published list is known; a well-formed status
	// that is not (Twilio adds them) is accepted too, and KnownStatus says so.
	for _, s := range []string{"queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving",
		"received", "accepted", "scheduled", "read", "partially_delivered", "canceled"} {
		st, err := ParseStatus(url.Values{"MessageSid": {"SMx1"}, "MessageStatus": {s}})
		if err != nil || st.MessageStatus != s || !KnownStatus(s) {
			t.Errorf("status %s: %+v %v known=%v", s, st, err, KnownStatus(s))
		}
	}
	if st, err := ParseStatus(url.Values{"MessageSid": {"SMx1"}, "MessageStatus": {"Exploded"}}); err != nil || st.MessageStatus != "exploded" || KnownStatus("exploded") {
		t.Errorf("unknown status: %+v %v", st, err)
	}
	bad := []url.Values{
		{"MessageStatus": {"sent"}},
		{"MessageSid": {"SMx1"}},
		{"MessageSid": {"SMx1"}, "MessageStatus": {"sent; DROP TABLE"}},
		{"MessageSid": {"SMx1"}, "MessageStatus": {strings.Repeat("a", 33)}},
		{"MessageSid": {"SMx1"}, "MessageStatus": {"failed"}, "ErrorCode": {"63016x"}},
		{"MessageSid": {"SMx1"}, "MessageStatus": {"failed"}, "ErrorCode": {"-1"}},
	}
	for _, f := range bad {
		if _, err := ParseStatus(f); !errors.Is(err, ErrInvalidWebhook) {
			t.Errorf("ParseStatus(%v) err = %v", f, err)
		}
	}
}

func TestStatusRank(t *testing.T) {
	order := []string{"scheduled", "accepted", "queued", "sending", "sent", "delivered", "read"}
	for i := 1; i < len(order); i++ {
		if StatusRank(order[i-1]) >= StatusRank(order[i]) {
			t.Errorf("%s does not rank below %s", order[i-1], order[i])
		}
	}
	for _, term := range []string{"failed", "undelivered", "canceled"} {
		for _, s := range order {
			if StatusRank(term) <= StatusRank(s) {
				t.Errorf("terminal %s does not rank above %s", term, s)
			}
		}
	}
	if StatusRank("receiving") >= StatusRank("received") {
		t.Error("receiving should rank below received")
	}
	if StatusRank("") != 0 || StatusRank("exploded") != 0 || StatusRank("Delivered") != 0 {
		t.Error("unknown statuses must rank 0")
	}

	// Applying callbacks in any arrival order with "only move up" ends in the
	// same state as applying them in order.
	rng := rand.New(rand.NewSource(1))
	lives := [][]string{
		{"queued", "sent", "delivered", "read"},
		{"accepted", "queued", "sending", "sent", "undelivered"},
		{"queued", "failed"},
	}
	for _, life := range lives {
		for range 50 {
			shuffled := append([]string(nil), life...)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			cur := ""
			for _, s := range shuffled {
				if StatusRank(s) > StatusRank(cur) {
					cur = s
				}
			}
			if cur != life[len(life)-1] {
				t.Fatalf("order %v ended in %s, want %s", shuffled, cur, life[len(life)-1])
			}
		}
	}
}
