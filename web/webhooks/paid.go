package webhooks

import (
	"html/template"
	"net/http"

	"acuerdo/web/internal/httpx"
)

// PaidPath is where Stripe Checkout and MercadoPago send the debtor after
// paying. The page only says what happens next: the payment counts when the
// provider's webhook confirms it, never because someone opened this URL.
const PaidPath = "/pay/done"

var paidText = map[string]struct{ Title, Body string }{
	"es":    {"¡Gracias por tu pago!", "Estamos confirmando tu pago con la entidad de pago. Cuando quede registrado te escribiremos por WhatsApp. Ya puedes cerrar esta página."},
	"pt-BR": {"Obrigado pelo seu pagamento!", "Estamos confirmando seu pagamento com a instituição de pagamento. Quando ele for registrado, avisaremos pelo WhatsApp. Você já pode fechar esta página."},
	"en":    {"Thank you for your payment!", "We are confirming your payment with the payment provider. We will message you on WhatsApp once it is recorded. You can close this page now."},
}

var paidPage = template.Must(template.New("paid").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1f2933}h1{font-size:1.5rem}</style>
</head><body><main><h1>{{.Title}}</h1><p>{{.Body}}</p></main></body></html>
`))

func (s *server) paid(w http.ResponseWriter, r *http.Request) {
	lang := httpx.PickLang(r)
	t, ok := paidText[lang]
	if !ok {
		lang, t = "es", paidText["es"]
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = paidPage.Execute(w, struct{ Lang, Title, Body string }{lang, t.Title, t.Body})
}
