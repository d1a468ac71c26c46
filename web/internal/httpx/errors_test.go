package httpx

import (
	"errors"
	"fmt"
	"testing"

	"acuerdo"
)

// TestErrorStatus: the one mapping from acuerdo's codes to HTTP.
func TestErrorStatus(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{acuerdo.Errorf(acuerdo.EINVALID, "x"), 422}, {acuerdo.Errorf(acuerdo.ENOTFOUND, "x"), 404},
		{acuerdo.Errorf(acuerdo.ECONFLICT, "x"), 409}, {acuerdo.Errorf(acuerdo.EPOLICY, "x"), 409},
		{acuerdo.Errorf(acuerdo.EUNAUTHORIZED, "x"), 401}, {acuerdo.Errorf(acuerdo.EFORBIDDEN, "x"), 403},
		{acuerdo.Errorf(acuerdo.ENOTIMPLEMENTED, "x"), 501}, {acuerdo.Errorf(acuerdo.EINTERNAL, "x"), 500},
		{errors.New("disk full"), 500}, {fmt.Errorf("wrapped: %w", acuerdo.Errorf(acuerdo.ENOTFOUND, "x")), 404},
	} {
		if got, _ := ErrorStatus(c.err); got != c.want {
			t.Errorf("ErrorStatus(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	for code, key := range CodeText {
		for lang, texts := range errorText {
			if texts[key] == "" {
				t.Errorf("%s: no %s text for code %s", lang, key, code)
			}
		}
	}
	for key := range errorText["en"] {
		if errorText["es"][key] == "" || errorText["pt-BR"][key] == "" {
			t.Errorf("error text %s is not in es and pt-BR", key)
		}
	}
}
