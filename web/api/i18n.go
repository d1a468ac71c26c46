package api

import (
	"fmt"
	"net/http"

	"acuerdo/web/internal/httpx"
)

// apiText holds the API's own error messages, per language. A client gets
// them in the language of its Accept-Language header, English without one
// (machines rarely send it). Messages from validation (an item's field)
// come from the importer and the store and are in English.
var apiText = map[string]map[string]string{
	"en": {
		"no_key":      "Send an API key as \"Authorization: Bearer acu_…\"; create one with: acuerdo apikey create --name NAME --scope read|write.",
		"unknown_key": "This API key is not known. Check that it was copied whole, or create a new one with: acuerdo apikey create.",
		"revoked":     "This API key was revoked. Ask an administrator for a new one (acuerdo apikey create).",
		"read_only":   "This API key is read-only. Writing needs a key created with --scope write.",
		"no_route":    "No such endpoint. The API is described at /api/v1/openapi.json.",
		"method":      "This method is not allowed on this endpoint. See /api/v1/openapi.json.",
		"internal":    "Internal error. Retry later; if it persists, contact the operator of acuerdo.",
		"media_type":  "Send the body as JSON with Content-Type: application/json.",
		"too_large":   "The body is larger than %d MiB. Send the items in smaller batches.",
		"bad_json":    "The body is not valid JSON for this endpoint: %s.",
		"bad_ref":     "%q is not a debtor reference: use the phone number in E.164 (+573001234567) or acuerdo's numeric debtor id.",
		"no_debtor":   "No debtor %s. Upsert it first with POST /api/v1/debtors.",
		"no_items":    "The batch has no items: send {\"items\": [ … ]} with 1 to %d items.",
		"many_items":  "The batch has %d items, more than %d. Split it into smaller batches.",
		"all_invalid": "No item was written: fix the items listed and send the batch again.",
		"atomic":      "Nothing was written because some items are invalid (atomic=true): fix the items listed and send the batch again.",
		"bad_atomic":  "atomic must be true or false.",
		"bad_country": "%q is not a country code: use two letters such as CO, BR, MX.",
		"bad_state":   "state must be pending, delivered or failed.",
		"bad_limit":   "limit must be a whole number from 1 to 500.",
	},
	"es": {
		"no_key":      "Envía una clave de API como \"Authorization: Bearer acu_…\"; crea una con: acuerdo apikey create --name NOMBRE --scope read|write.",
		"unknown_key": "Esta clave de API no existe. Verifica que se copió completa o crea una nueva con: acuerdo apikey create.",
		"revoked":     "Esta clave de API fue revocada. Pide una nueva a un administrador (acuerdo apikey create).",
		"read_only":   "Esta clave de API es de solo lectura. Para escribir se necesita una clave creada con --scope write.",
		"no_route":    "Ese recurso no existe. La API está descrita en /api/v1/openapi.json.",
		"method":      "Este método no está permitido en este recurso. Consulta /api/v1/openapi.json.",
		"internal":    "Error interno. Reintenta más tarde; si continúa, contacta al operador de acuerdo.",
		"media_type":  "Envía el cuerpo en JSON con Content-Type: application/json.",
		"too_large":   "El cuerpo supera %d MiB. Envía los elementos en lotes más pequeños.",
		"bad_json":    "El cuerpo no es un JSON válido para este recurso: %s.",
		"bad_ref":     "%q no identifica a un deudor: usa el teléfono en E.164 (+573001234567) o el id numérico del deudor en acuerdo.",
		"no_debtor":   "No existe el deudor %s. Créalo primero con POST /api/v1/debtors.",
		"no_items":    "El lote no tiene elementos: envía {\"items\": [ … ]} con 1 a %d elementos.",
		"many_items":  "El lote tiene %d elementos, más de %d. Divídelo en lotes más pequeños.",
		"all_invalid": "No se escribió ningún elemento: corrige los elementos indicados y envía el lote de nuevo.",
		"atomic":      "No se escribió nada porque hay elementos inválidos (atomic=true): corrige los elementos indicados y envía el lote de nuevo.",
		"bad_atomic":  "atomic debe ser true o false.",
		"bad_country": "%q no es un código de país: usa dos letras como CO, BR, MX.",
		"bad_state":   "state debe ser pending, delivered o failed.",
		"bad_limit":   "limit debe ser un número entero de 1 a 500.",
	},
	"pt-BR": {
		"no_key":      "Envie uma chave de API como \"Authorization: Bearer acu_…\"; crie uma com: acuerdo apikey create --name NOME --scope read|write.",
		"unknown_key": "Esta chave de API não existe. Verifique se foi copiada inteira ou crie uma nova com: acuerdo apikey create.",
		"revoked":     "Esta chave de API foi revogada. Peça uma nova a um administrador (acuerdo apikey create).",
		"read_only":   "Esta chave de API é somente leitura. Para escrever é preciso uma chave criada com --scope write.",
		"no_route":    "Esse recurso não existe. A API está descrita em /api/v1/openapi.json.",
		"method":      "Este método não é permitido neste recurso. Consulte /api/v1/openapi.json.",
		"internal":    "Erro interno. Tente de novo mais tarde; se continuar, fale com o operador do acuerdo.",
		"media_type":  "Envie o corpo em JSON com Content-Type: application/json.",
		"too_large":   "O corpo passa de %d MiB. Envie os itens em lotes menores.",
		"bad_json":    "O corpo não é um JSON válido para este recurso: %s.",
		"bad_ref":     "%q não identifica um devedor: use o telefone em E.164 (+5511987654321) ou o id numérico do devedor no acuerdo.",
		"no_debtor":   "Não existe o devedor %s. Crie-o primeiro com POST /api/v1/debtors.",
		"no_items":    "O lote não tem itens: envie {\"items\": [ … ]} com 1 a %d itens.",
		"many_items":  "O lote tem %d itens, mais de %d. Divida-o em lotes menores.",
		"all_invalid": "Nenhum item foi gravado: corrija os itens indicados e envie o lote de novo.",
		"atomic":      "Nada foi gravado porque há itens inválidos (atomic=true): corrija os itens indicados e envie o lote de novo.",
		"bad_atomic":  "atomic deve ser true ou false.",
		"bad_country": "%q não é um código de país: use duas letras como CO, BR, MX.",
		"bad_state":   "state deve ser pending, delivered ou failed.",
		"bad_limit":   "limit deve ser um número inteiro de 1 a 500.",
	},
}

// apiLang is the language of an API error: Accept-Language (or ?lang=) when
// sent, English otherwise.
func apiLang(r *http.Request) string {
	if r.Header.Get("Accept-Language") == "" && r.URL.Query().Get("lang") == "" {
		return "en"
	}
	return httpx.PickLang(r)
}

func apiMsg(r *http.Request, key string, args ...any) string {
	t := apiText[apiLang(r)][key]
	if len(args) == 0 {
		return t
	}
	return fmt.Sprintf(t, args...)
}
