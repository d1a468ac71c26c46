package acuerdo

import (
	"math"
	"testing"
)

func TestParseArms(t *testing.T) {
	arms, err := ParseArms("warm=0.33, control=0.34,brief=0.33")
	if err != nil {
		t.Fatal(err)
	}
	if len(arms) != 3 || arms[0].Name != "control" || arms[1].Name != "warm" || arms[2].Name != "brief" {
		t.Fatalf("arms %+v: want control first, then the order given", arms)
	}
	sum := 0.0
	for _, a := range arms {
		sum += a.Share
	}
	if math.Abs(sum-1) > 1e-12 || math.Abs(arms[0].Share-0.34) > 1e-12 {
		t.Errorf("shares %+v", arms)
	}
	for _, bad := range []string{"", "warm=0.5,brief=0.5", "control=0.5", "control=0.5,warm=0.6", "control=0.5,control=0.5",
		"control=0.5,Warm!=0.5", "control=0.5,difference=0.5", "control=1,warm=0", "control=x,warm=0.5"} {
		if _, err := ParseArms(bad); ErrorCode(err) != EINVALID {
			t.Errorf("ParseArms(%q) = %v, want EINVALID", bad, err)
		}
	}
}

func TestParseVariant(t *testing.T) {
	for in, want := range map[string]Variant{
		"template=first_contact_brief,window=18-20": {Template: "first_contact_brief", WindowStart: 18, WindowEnd: 20},
		"window=22-7, nudge=2h, reminder=2d":        {WindowStart: 22, WindowEnd: 7, NudgeMinutes: 120, ReminderDays: 2},
		"mode=MENU,prompt=warm,nudge=45":            {Mode: ModeMenu, Prompt: "warm", NudgeMinutes: 45},
		"window=8-24":                               {WindowStart: 8, WindowEnd: 0},
		"":                                          {},
	} {
		got, err := ParseVariant(in)
		if err != nil || got != want {
			t.Errorf("ParseVariant(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if back, err := ParseVariant(got.String()); err != nil || back != got {
			t.Errorf("round trip of %q through %q: %+v %v", in, got.String(), back, err)
		}
	}
	for _, bad := range []string{"template", "template=Bad Name", "window=20-18-1", "window=9-9", "window=0-24", "window=25-3",
		"nudge=0m", "nudge=3d", "reminder=30d", "mode=auto", "colour=blue"} {
		if _, err := ParseVariant(bad); ErrorCode(err) != EINVALID {
			t.Errorf("ParseVariant(%q) = %v, want EINVALID", bad, err)
		}
	}
}

func TestVariantWindow(t *testing.T) {
	day := Variant{WindowStart: 18, WindowEnd: 20}
	night := Variant{WindowStart: 22, WindowEnd: 7}
	for h, want := range map[int][2]bool{17: {false, false}, 18: {true, false}, 19: {true, false}, 20: {false, false}, 23: {false, true}, 3: {false, true}, 7: {false, false}} {
		if day.InWindow(h) != want[0] || night.InWindow(h) != want[1] {
			t.Errorf("hour %d: 18-20 %v, 22-7 %v; want %v", h, day.InWindow(h), night.InWindow(h), want)
		}
	}
	if !(Variant{}).InWindow(3) {
		t.Error("no window must allow every hour")
	}
}

func FuzzParseVariant(f *testing.F) {
	for _, s := range []string{"template=first_contact_warm,window=18-20", "nudge=2h,reminder=2d,mode=menu", "window=-1-3", "=,=,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVariant(s)
		if err != nil {
			return
		}
		back, err := ParseVariant(v.String())
		if err != nil || back != v {
			t.Fatalf("%q parsed to %+v, which renders as %q and parses back to %+v, %v", s, v, v.String(), back, err)
		}
		if v.WindowStart < 0 || v.WindowStart > 23 || v.WindowEnd < 0 || v.WindowEnd > 23 {
			t.Fatalf("%q: window %d-%d out of range", s, v.WindowStart, v.WindowEnd)
		}
	})
}

func FuzzParseArms(f *testing.F) {
	for _, s := range []string{"control=0.34,warm=0.33,brief=0.33", "control=0.5,treatment=0.5", "control=1e-9,a=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		arms, err := ParseArms(s)
		if err != nil {
			return
		}
		sum := 0.0
		for _, a := range arms {
			if !(a.Share > 0) {
				t.Fatalf("%q: arm %+v", s, a)
			}
			sum += a.Share
		}
		if arms[0].Name != ArmControl || math.Abs(sum-1) > 1e-9 {
			t.Fatalf("%q: %+v", s, arms)
		}
	})
}
