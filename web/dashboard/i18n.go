package dashboard

import (
	"fmt"
	"net/http"
	"strings"

	"acuerdo/web/internal/httpx"
)

// dashboardText holds every user-visible string of the analyst dashboard, per
// language; the language itself is chosen by httpx.PickLang, as for every door.
var dashboardText = map[string]map[string]string{
	"es": {
		"title": "acuerdo · panel de pilotos", "language": "Idioma de la página", "experiments": "Experimentos",
		"none": "Aún no hay experimentos. Crea uno con «acuerdo experiment create».", "name": "Nombre", "created": "Asignado",
		"horizon": "Horizonte (días)", "currency": "Moneda", "debtors": "Deudores", "status": "Estado", "running": "en curso", "done": "terminado",
		"back": "← Todos los experimentos", "as_of": "Corte", "srm_ok": "Proporción de muestra correcta",
		"srm_bad":    "ALERTA: DESAJUSTE DE PROPORCIÓN DE MUESTRA (p < 0,001). Los brazos no tienen el reparto planeado: la asignación o los datos están rotos y TODAS LAS MÉTRICAS DE ABAJO SON SOSPECHOSAS.",
		"srm_detail": "control %d, tratamiento %d; planeado %.1f %% / %.1f %%; chi-cuadrado p = %s",
		"decision":   "Decisión", "primary": "Métrica principal", "p_adjusted": "p ajustado (Holm)", "verdict": "Veredicto",
		"verdict_win": "gana al control", "verdict_lose": "pierde contra el control", "verdict_none": "sin diferencia demostrada todavía",
		"sequential_h": "Lectura secuencial (proporción que pagó)", "seq_crossed": "límite cruzado: se puede decidir", "seq_not": "límite no cruzado: seguir midiendo", "seq_none": "sin lectura secuencial",
		"guardrails": "Salvaguardas", "g_opt_outs": "Bajas", "g_escalations": "Escalamientos", "g_complaints": "Quejas", "g_cost_per_recovered": "Costo por peso recuperado", "g_unmeasured": "aún no se mide en el tablero",
		"segments": "Segmentos (exploratorio)", "segment": "Segmento", "segments_note": "Efecto en la liquidación por segmento, con p ajustado por Holm sobre todos los segmentos y brazos. Es exploratorio: un segmento elegido después de mirar es una hipótesis para el próximo piloto, no un hallazgo.",
		"lift": "Efecto del tratamiento (IC 95 %)", "metric": "Métrica", "cuped": "CUPED", "control": "Control", "treatment": "Tratamiento",
		"difference": "Diferencia", "relative": "Relativa", "p": "p", "yes": "sí", "no": "no",
		"ttp": "Tiempo hasta el primer pago (Kaplan–Meier, bandas log-log 95 %)", "day": "Día desde la asignación", "share_paid": "Proporción que pagó", "sequential": "Proporción que pagó, lectura secuencial (intervalo válido en cada mirada diaria)",
		"at_risk": "En riesgo (sin pagar y observados) al inicio del día", "arm": "Brazo",
		"cost": "Costo por brazo", "cost_note": "Costo en USD desde la asignación: llamadas al modelo (registro de auditoría), plantillas de WhatsApp por país y categoría, y minutos de operador, cada uno a la tarifa vigente ese día (pilot/prices.yaml o ACUERDO_PRICES). La recuperación neta de costo y el costo de cobro necesitan un tipo de cambio (acuerdo report --fx).",
		"scenarios": "Conversión por escenario", "scenario": "Escenario", "dpd": "Mora %s días", "method": "Primer pago por %s",
		"scenarios_note": "Parte de los deudores del escenario que pagaron algo en el seguimiento (por método: parte de todos cuyo primer pago usó ese método). Cortes descriptivos: con varios escenarios, alguno parecerá significativo por azar.",
		"cost_llm":       "Modelo (USD/deudor)", "cost_templates": "Plantillas (USD/deudor)", "cost_operator": "Operador (min/deudor)",
		"per_debtor": "USD por deudor", "total": "USD total",
		"downloads": "Descargas (CSV)", "funnel": "Embudo", "stage": "Etapa", "funnel_note": "Deudores que llegaron a cada etapa después de su asignación. El control no es contactado por acuerdo: sus cifras son lo que hicieron por su cuenta.",
		"f_assigned": "Asignados", "f_reached": "Contactados (mensaje entregado o leído)", "f_verified": "Identidad verificada", "f_promised": "Prometieron pagar",
		"f_kept": "Cumplieron la promesa", "f_opted_out": "Pidieron no recibir mensajes", "f_escalated": "Pasados a una persona", "f_useful": "Escalamientos útiles (según operadores)", "f_rating": "Satisfacción (1–5)",
		"liquidation": "Liquidación al día %d", "recovery": "Recuperación por deudor", "net": "Recuperación neta de costo por deudor",
		"ctc": "Costo de cobro", "llm": "Costo de modelo por deudor (USD)", "share": "Pagó al día %d", "rmst": "Tiempo medio restringido hasta el pago (días, hasta %d)",
		"median": "Mediana de días hasta el pago",
	},
	"pt-BR": {
		"title": "acuerdo · painel de pilotos", "language": "Idioma da página", "experiments": "Experimentos",
		"none": "Ainda não há experimentos. Crie um com «acuerdo experiment create».", "name": "Nome", "created": "Atribuído",
		"horizon": "Horizonte (dias)", "currency": "Moeda", "debtors": "Devedores", "status": "Situação", "running": "em andamento", "done": "encerrado",
		"back": "← Todos os experimentos", "as_of": "Data de corte", "srm_ok": "Proporção da amostra correta",
		"srm_bad":    "ALERTA: DESEQUILÍBRIO NA PROPORÇÃO DA AMOSTRA (p < 0,001). Os braços não têm a divisão planejada: a atribuição ou os dados estão quebrados e TODAS AS MÉTRICAS ABAIXO SÃO SUSPEITAS.",
		"srm_detail": "controle %d, tratamento %d; planejado %.1f %% / %.1f %%; qui-quadrado p = %s",
		"decision":   "Decisão", "primary": "Métrica principal", "p_adjusted": "p ajustado (Holm)", "verdict": "Veredito",
		"verdict_win": "vence o controle", "verdict_lose": "perde para o controle", "verdict_none": "sem diferença demonstrada ainda",
		"sequential_h": "Leitura sequencial (proporção que pagou)", "seq_crossed": "limite cruzado: já dá para decidir", "seq_not": "limite não cruzado: continuar medindo", "seq_none": "sem leitura sequencial",
		"guardrails": "Salvaguardas", "g_opt_outs": "Descadastros", "g_escalations": "Escalonamentos", "g_complaints": "Reclamações", "g_cost_per_recovered": "Custo por real recuperado", "g_unmeasured": "ainda não medido no painel",
		"segments": "Segmentos (exploratório)", "segment": "Segmento", "segments_note": "Efeito na liquidação por segmento, com p ajustado por Holm sobre todos os segmentos e braços. É exploratório: um segmento escolhido depois de olhar é uma hipótese para o próximo piloto, não uma descoberta.",
		"lift": "Efeito do tratamento (IC 95 %)", "metric": "Métrica", "cuped": "CUPED", "control": "Controle", "treatment": "Tratamento",
		"difference": "Diferença", "relative": "Relativa", "p": "p", "yes": "sim", "no": "não",
		"ttp": "Tempo até o primeiro pagamento (Kaplan–Meier, bandas log-log 95 %)", "day": "Dia desde a atribuição", "share_paid": "Proporção que pagou", "sequential": "Proporção que pagou, leitura sequencial (intervalo válido a cada olhada diária)",
		"at_risk": "Em risco (sem pagar e observados) no início do dia", "arm": "Braço",
		"cost": "Custo por braço", "cost_note": "Custo em USD desde a atribuição: chamadas ao modelo (registro de auditoria), templates do WhatsApp por país e categoria e minutos de atendentes, cada um à tarifa vigente no dia (pilot/prices.yaml ou ACUERDO_PRICES). A recuperação líquida de custo e o custo de cobrança precisam de uma taxa de câmbio (acuerdo report --fx).",
		"scenarios": "Conversão por cenário", "scenario": "Cenário", "dpd": "Atraso de %s dias", "method": "Primeiro pagamento via %s",
		"scenarios_note": "Parcela dos devedores do cenário que pagaram algo no acompanhamento (por método: parcela de todos cujo primeiro pagamento usou esse método). Cortes descritivos: com vários cenários, algum parecerá significativo por acaso.",
		"cost_llm":       "Modelo (USD/devedor)", "cost_templates": "Templates (USD/devedor)", "cost_operator": "Atendente (min/devedor)",
		"per_debtor": "USD por devedor", "total": "USD total",
		"downloads": "Downloads (CSV)", "funnel": "Funil", "stage": "Etapa", "funnel_note": "Devedores que chegaram a cada etapa depois da atribuição. O controle não é contatado pelo acuerdo: seus números são o que fizeram por conta própria.",
		"f_assigned": "Atribuídos", "f_reached": "Contatados (mensagem entregue ou lida)", "f_verified": "Identidade verificada", "f_promised": "Prometeram pagar",
		"f_kept": "Cumpriram a promessa", "f_opted_out": "Pediram para não receber mensagens", "f_escalated": "Encaminhados a uma pessoa", "f_useful": "Encaminhamentos úteis (segundo operadores)", "f_rating": "Satisfação (1–5)",
		"liquidation": "Liquidação no dia %d", "recovery": "Recuperação por devedor", "net": "Recuperação líquida de custo por devedor",
		"ctc": "Custo de cobrança", "llm": "Custo de modelo por devedor (USD)", "share": "Pagou até o dia %d", "rmst": "Tempo médio restrito até o pagamento (dias, até %d)",
		"median": "Mediana de dias até o pagamento",
	},
	"en": {
		"title": "acuerdo · pilot dashboard", "language": "Page language", "experiments": "Experiments",
		"none": "No experiments yet. Create one with “acuerdo experiment create”.", "name": "Name", "created": "Assigned",
		"horizon": "Horizon (days)", "currency": "Currency", "debtors": "Debtors", "status": "Status", "running": "running", "done": "finished",
		"back": "← All experiments", "as_of": "As of", "srm_ok": "Sample ratio as planned",
		"srm_bad":    "WARNING: SAMPLE RATIO MISMATCH (p < 0.001). The arms are not the planned split: assignment or data is broken and EVERY METRIC BELOW IS SUSPECT.",
		"srm_detail": "control %d, treatment %d; planned %.1f%% / %.1f%%; chi-square p = %s",
		"decision":   "Decision", "primary": "Primary metric", "p_adjusted": "Adjusted p (Holm)", "verdict": "Verdict",
		"verdict_win": "beats control", "verdict_lose": "loses to control", "verdict_none": "no difference shown yet",
		"sequential_h": "Sequential reading (share paid)", "seq_crossed": "boundary crossed: may decide", "seq_not": "boundary not crossed: keep measuring", "seq_none": "no sequential reading",
		"guardrails": "Guardrails", "g_opt_outs": "Opt-outs", "g_escalations": "Escalations", "g_complaints": "Complaints", "g_cost_per_recovered": "Cost per unit recovered", "g_unmeasured": "not measured on the dashboard yet",
		"segments": "Segments (exploratory)", "segment": "Segment", "segments_note": "Effect on liquidation by segment, with p adjusted by Holm across every segment and arm. Exploratory: a segment picked after looking is a hypothesis for the next pilot, not a finding.",
		"lift": "Treatment effect (95% CI)", "metric": "Metric", "cuped": "CUPED", "control": "Control", "treatment": "Treatment",
		"difference": "Difference", "relative": "Relative", "p": "p", "yes": "yes", "no": "no",
		"ttp": "Time to first payment (Kaplan–Meier, 95% log-log bands)", "day": "Day since assignment", "share_paid": "Share paid", "sequential": "Share paid, sequential reading (interval valid at every daily look)",
		"at_risk": "At risk (unpaid and observed) at the start of day", "arm": "Arm",
		"cost": "Cost per arm", "cost_note": "Cost in USD since assignment: model calls (audit log), WhatsApp templates by country and category, and operator minutes, each at the rate in force that day (pilot/prices.yaml or ACUERDO_PRICES). Recovery net of cost and cost to collect need an exchange rate (acuerdo report --fx).",
		"scenarios": "Conversion by scenario", "scenario": "Scenario", "dpd": "%s days past due", "method": "First payment by %s",
		"scenarios_note": "Share of the scenario's debtors who paid anything during follow-up (by method: share of all debtors whose first payment used it). Descriptive cuts: with several scenarios, one will look significant by chance.",
		"cost_llm":       "Model (USD/debtor)", "cost_templates": "Templates (USD/debtor)", "cost_operator": "Operator (min/debtor)",
		"per_debtor": "USD per debtor", "total": "USD total",
		"downloads": "Downloads (CSV)", "funnel": "Funnel", "stage": "Stage", "funnel_note": "Debtors who reached each stage after assignment. Control is not contacted by acuerdo: its numbers are what debtors did on their own.",
		"f_assigned": "Assigned", "f_reached": "Reached (message delivered or read)", "f_verified": "Identity verified", "f_promised": "Promised to pay",
		"f_kept": "Kept the promise", "f_opted_out": "Asked for no more messages", "f_escalated": "Handed to a person", "f_useful": "Useful escalations (operators' verdict)", "f_rating": "Satisfaction (1–5)",
		"liquidation": "Liquidation by day %d", "recovery": "Recovery per debtor", "net": "Recovery net of cost per debtor",
		"ctc": "Cost to collect", "llm": "Model cost per debtor (USD)", "share": "Paid by day %d", "rmst": "Restricted mean time to pay (days, up to %d)",
		"median": "Median days to pay",
	},
}

// metricLabel names a results metric for people; a metric it does not know
// keeps its column name, so a new metric still shows.
func metricLabel(t map[string]string, metric string) string {
	var d int
	switch {
	case sscan(metric, "liquidation_rate_d%d", &d):
		return fmt.Sprintf(t["liquidation"], d)
	case sscan(metric, "share_paid_d%d", &d):
		return fmt.Sprintf(t["share"], d)
	case sscan(metric, "rmst_days_to_pay_tau%d", &d):
		return fmt.Sprintf(t["rmst"], d)
	}
	if band, ok := strings.CutPrefix(metric, "conversion_dpd_"); ok {
		return fmt.Sprintf(t["dpd"], dpdRange(band))
	}
	if m, ok := strings.CutPrefix(metric, "conversion_method_"); ok {
		return fmt.Sprintf(t["method"], methodName(t, m))
	}
	key := map[string]string{"recovery_per_debtor": "recovery", "net_recovery_per_debtor": "net", "cost_to_collect": "ctc",
		"llm_cost_usd_per_debtor": "llm", "median_days_to_pay": "median", "sequential_share_paid": "sequential"}[metric]
	if key == "" {
		return metric
	}
	return t[key]
}

// dpdRange turns a band suffix ("031_060", "181p", "000") into "31–60", "181+", "0".
func dpdRange(band string) string {
	if lo, hi, ok := strings.Cut(band, "_"); ok {
		return strings.TrimLeft(lo, "0") + "–" + strings.TrimLeft(hi, "0")
	}
	if b, ok := strings.CutSuffix(band, "p"); ok {
		return strings.TrimLeft(b, "0") + "+"
	}
	if strings.Trim(band, "0") == "" {
		return "0"
	}
	return band
}

func sscan(s, format string, d *int) bool {
	prefix, _, _ := strings.Cut(format, "%")
	if !strings.HasPrefix(s, prefix) {
		return false
	}
	n, err := fmt.Sscanf(s, format, d)
	return n == 1 && err == nil
}

// paymentMethods names the payment methods the portfolios use, {es, pt-BR,
// en}, by pilot's method key (lower case, accents dropped, "_" for spaces).
// A method not listed shows its key in words: creditors' own names pass.
var paymentMethods = map[string][3]string{
	"cash":          {"efectivo", "dinheiro", "cash"},
	"efectivo":      {"efectivo", "dinheiro", "cash"},
	"dinheiro":      {"efectivo", "dinheiro", "cash"},
	"card":          {"tarjeta", "cartão", "card"},
	"credit_card":   {"tarjeta de crédito", "cartão de crédito", "credit card"},
	"debit_card":    {"tarjeta débito", "cartão de débito", "debit card"},
	"tarjeta":       {"tarjeta", "cartão", "card"},
	"cartao":        {"tarjeta", "cartão", "card"},
	"transfer":      {"transferencia", "transferência", "bank transfer"},
	"bank_transfer": {"transferencia", "transferência", "bank transfer"},
	"transferencia": {"transferencia", "transferência", "bank transfer"},
	"pse":           {"PSE", "PSE", "PSE"},
	"pix":           {"Pix", "Pix", "Pix"},
	"boleto":        {"boleto", "boleto", "boleto"},
	"nequi":         {"Nequi", "Nequi", "Nequi"},
	"daviplata":     {"Daviplata", "Daviplata", "Daviplata"},
	"stripe":        {"Stripe (link de pago)", "Stripe (link de pagamento)", "Stripe (payment link)"},
	"mercadopago":   {"Mercado Pago", "Mercado Pago", "Mercado Pago"},
	"payment_link":  {"link de pago", "link de pagamento", "payment link"},
	"link":          {"link de pago", "link de pagamento", "payment link"},
	"simulated":     {"simulado", "simulado", "simulated"},
	"other":         {"otro", "outro", "other"},
	"unknown":       {"sin dato", "sem informação", "unknown"},
}

// methodName is a payment method in the page's language.
func methodName(t map[string]string, key string) string {
	if names, ok := paymentMethods[key]; ok {
		switch t["lang"] {
		case "pt-BR":
			return names[1]
		case "en":
			return names[2]
		}
		return names[0]
	}
	return strings.ReplaceAll(key, "_", " ")
}

// Each language's table knows its own code, for methodName.
func init() {
	for lang, t := range dashboardText {
		t["lang"] = lang
	}
}

// errText is the dashboard's own refusals, per language; the rest of its
// errors go through httpx's one mapping.
var errText = map[string]map[string]string{
	"es": {
		"bad_as_of":   "as_of debe ser una hora RFC 3339, p. ej. 2026-01-31T00:00:00Z.",
		"no_export":   "No existe esa exportación; prueba una de %s.",
		"no_pilot":    "No existe ese experimento.",
		"no_assigned": "Este experimento aún no tiene deudores asignados: lánzalo primero (acuerdo experiment launch).",
		"dash_token":  "No autorizado: envía Authorization: Bearer $ACUERDO_DASHBOARD_TOKEN, o abre /dashboard?token=…",
	},
	"pt-BR": {
		"bad_as_of":   "as_of deve ser um horário RFC 3339, p. ex. 2026-01-31T00:00:00Z.",
		"no_export":   "Essa exportação não existe; tente uma de %s.",
		"no_pilot":    "Esse experimento não existe.",
		"no_assigned": "Este experimento ainda não tem devedores atribuídos: lance-o primeiro (acuerdo experiment launch).",
		"dash_token":  "Não autorizado: envie Authorization: Bearer $ACUERDO_DASHBOARD_TOKEN, ou abra /dashboard?token=…",
	},
	"en": {
		"bad_as_of":   "as_of must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z.",
		"no_export":   "No such export; try one of %s.",
		"no_pilot":    "No such experiment.",
		"no_assigned": "This experiment has no assigned debtors yet: launch it first (acuerdo experiment launch).",
		"dash_token":  "Unauthorized: send Authorization: Bearer $ACUERDO_DASHBOARD_TOKEN, or open /dashboard?token=…",
	},
}

// fail answers one of the dashboard's refusals as plain text, in the client's
// language, with the request id.
func fail(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	msg := errText[httpx.PickLang(r)][key]
	if len(args) > 0 {
		msg = fmt.Sprintf(msg, args...)
	}
	httpx.PlainText(w, r, status, msg)
}
