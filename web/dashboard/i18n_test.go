package dashboard

import "testing"

func TestPaymentMethodLabels(t *testing.T) {
	for _, tc := range []struct{ lang, metric, want string }{
		{"es", "conversion_method_cash", "Primer pago por efectivo"},
		{"pt-BR", "conversion_method_bank_transfer", "Primeiro pagamento via transferência"},
		{"en", "conversion_method_tarjeta", "First payment by card"},
		{"es", "conversion_method_banco_de_bogota", "Primer pago por banco de bogota"},
	} {
		if got := metricLabel(dashboardText[tc.lang], tc.metric); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.lang, tc.metric, got, tc.want)
		}
	}
}
