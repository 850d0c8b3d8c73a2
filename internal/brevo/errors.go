package brevo

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/httpx"
)

const apiName = "brevo"

// ErrImportTooLarge is wrapped by the error ImportContacts returns, before
// any call is made, when the encoded request would exceed MaxImportBodyBytes.
var ErrImportTooLarge = errors.New("brevo: import body too large")

// apiError is Brevo's error body. 429s carry only a message (or nothing),
// which is why classification never depends on code being present.
type apiError struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Metadata struct {
		DuplicateIdentifiers []string `json:"duplicate_identifiers"`
	} `json:"metadata"`
}

// duplicateMessage matches the wordings Brevo uses for uniqueness conflicts:
// "email is already associated with another Contact", "SMS or EXT_ID are
// already associated", the "associate" typo variant, and the older
// "Contact already exist".
var duplicateMessage = regexp.MustCompile(`(?i)already (associated?|exists?)`)

// identifierWord finds the identifiers a duplicate message names when the
// metadata is missing (responses before 2024-10, or code drift).
var identifierWord = regexp.MustCompile(`(?i)\b(email|sms|ext_id|whatsapp|landline_number)\b`)

// classify turns a non-2xx response into the shared taxonomy. Brevo's code
// field is not reliable on its own: the same duplicate-email refusal has been
// seen as duplicate_parameter and as invalid_parameter (reference §9.2), so
// metadata and message decide before the code does.
func classify(op string, status int, body []byte, retryAfter time.Duration) *httpx.Error {
	var ae apiError
	_ = json.Unmarshal(body, &ae) // bodies of 429s and proxies' 5xx may be anything
	e := &httpx.Error{API: apiName, Op: op, Status: status, Code: ae.Code, Message: ae.Message}
	if e.Message == "" && status >= 500 {
		e.Message = http.StatusText(status)
	}
	switch {
	case status == http.StatusTooManyRequests:
		e.Kind = httpx.KindRateLimited
		e.RetryAfter = retryAfter
	case status >= 500:
		// 524 (Cloudflare origin time-out) included; the import endpoint is
		// known to produce it.
		e.Kind = httpx.KindTransient
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		// Also the answer when the account's IP allow-list rejects our
		// egress address, which a person has to fix just the same.
		e.Kind = httpx.KindAuth
	case status == http.StatusTooEarly:
		e.Kind = httpx.KindTransient
	case status == http.StatusPaymentRequired || ae.Code == "not_enough_credits":
		e.Kind = httpx.KindPermanent
	case len(ae.Metadata.DuplicateIdentifiers) > 0:
		e.Kind = httpx.KindDuplicate
		e.Fields = append([]string(nil), ae.Metadata.DuplicateIdentifiers...)
	case ae.Code == "duplicate_parameter" || duplicateMessage.MatchString(ae.Message):
		e.Kind = httpx.KindDuplicate
		e.Fields = identifiersIn(ae.Message)
	case ae.Code == "document_not_found":
		e.Kind = httpx.KindNotFound
	default:
		e.Kind = httpx.KindForStatus(status)
	}
	return e
}

// identifiersIn extracts the identifier names from a duplicate message, in
// the spelling metadata.duplicate_identifiers uses ("email", "SMS",
// "EXT_ID"). "Contact already exist" is the pre-2024 wording of a duplicate
// email on create.
func identifiersIn(msg string) []string {
	head := msg
	if i := strings.Index(strings.ToLower(msg), "already"); i >= 0 {
		head = msg[:i]
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range identifierWord.FindAllString(head, -1) {
		name := strings.ToUpper(m)
		if name == "EMAIL" {
			name = "email"
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	if len(out) == 0 && strings.Contains(strings.ToLower(msg), "contact already exist") {
		out = []string{"email"}
	}
	return out
}

// invalidArgument is the error for a request refused before it was sent:
// same taxonomy as a server-side 400, without a status.
func invalidArgument(op, msg string) *httpx.Error {
	return &httpx.Error{API: apiName, Op: op, Kind: httpx.KindValidation, Message: msg}
}
