package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The HubSpot endpoints the sync writes to when it reports Brevo
// unsubscribes, and the GDPR deletion:
//
//	POST /crm/v3/objects/contacts/batch/update      {"inputs":[{"id","properties"}]}
//	POST /crm/v3/properties/contacts                a new property; 409 if it exists
//	POST /communication-preferences/v3/unsubscribe  {"emailAddress","subscriptionId",...}
//	POST /_sandbox/hubspot/contacts/{id}/gdpr-delete  delete the record for good (admin)
//	GET  /_sandbox/hubspot/unsubscribes?email=E     the subscription ids E is unsubscribed from (admin)
const (
	hsFamBatchUpdate    = "contacts.batchUpdate"
	hsFamPropertyCreate = "properties.create"
	hsFamUnsubscribe    = "communicationPreferences.unsubscribe"
)

// hsWriteScopes are the scopes the write families accept (from the spec
// collection's security requirements).
var hsWriteScopes = map[string][]string{
	hsFamBatchUpdate:    {"crm.objects.contacts.write"},
	hsFamPropertyCreate: {"crm.schemas.contacts.write"},
	hsFamUnsubscribe:    {"communication_preferences.write", "communication_preferences.read_write"},
}

func (h *HubSpot) registerWrites(mux *http.ServeMux) {
	mux.Handle("POST /crm/v3/objects/contacts/batch/update", h.api(hsFamBatchUpdate, false, h.handleBatchUpdate))
	mux.Handle("POST /crm/v3/properties/contacts", h.api(hsFamPropertyCreate, false, h.handleCreateProperty))
	mux.Handle("POST /communication-preferences/v3/unsubscribe", h.api(hsFamUnsubscribe, false, h.handleUnsubscribe))
	mux.HandleFunc("POST /_sandbox/hubspot/contacts/{id}/gdpr-delete", func(w http.ResponseWriter, r *http.Request) {
		if err := h.GDPRDeleteContact(r.PathValue("id")); err != nil {
			hsAdminError(w, 0, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sandbox/hubspot/unsubscribes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, h.Unsubscribed(r.URL.Query().Get("email")))
	})
}

// propertyLocked finds a property of the built-in schema or one created
// through the API.
func (h *HubSpot) propertyLocked(name string) (*hsProperty, bool) {
	if p, ok := hsSchemaByName[name]; ok {
		return p, true
	}
	p, ok := h.created[name]
	return p, ok
}

var hsDateTimeValue = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?|\d{10,13})$`)

// checkValueLocked refuses values HubSpot would refuse for the property's
// type (the ones the sync writes: bool and datetime).
func (h *HubSpot) checkValueLocked(name, v string) error {
	p, _ := h.propertyLocked(name)
	if p == nil || v == "" {
		return nil
	}
	switch p.Type {
	case "bool":
		if v != "true" && v != "false" {
			return fmt.Errorf("%w: %q was not a valid boolean for property %s", ErrHubSpotInvalid, v, name)
		}
	case "datetime", "date":
		if !hsDateTimeValue.MatchString(v) {
			return fmt.Errorf("%w: %q was not a valid date-time for property %s", ErrHubSpotInvalid, v, name)
		}
	}
	return nil
}

func (h *HubSpot) handleBatchUpdate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Inputs []struct {
			ID         hsFlexStr         `json:"id"`
			Properties map[string]string `json:"properties"`
		} `json:"inputs"`
	}
	if err := readJSON(r, w, &body); err != nil {
		h.validationError(w, "Invalid input JSON: "+err.Error())
		return
	}
	if !h.withinBatchLimit(w, len(body.Inputs)) {
		return
	}
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	// HubSpot validates the whole batch before it writes any of it.
	for _, in := range body.Inputs {
		for k, v := range in.Properties {
			if _, ok := h.propertyLocked(k); !ok || hsManagedProps[k] {
				h.validationError(w, fmt.Sprintf("Property values were not valid: property %q does not exist or is read only", k))
				return
			}
			if err := h.checkValueLocked(k, v); err != nil {
				h.validationError(w, "Property values were not valid: "+err.Error())
				return
			}
		}
	}
	results := []map[string]any{}
	var missing []string
	for _, in := range body.Inputs {
		id, ok := hsParseID(string(in.ID))
		var c *hsContact
		if ok {
			c = h.resolveLocked(id)
		}
		if c == nil || !c.live() {
			missing = append(missing, string(in.ID))
			continue
		}
		_ = h.setPropsLocked(c, in.Properties) // no email among them: checked above
		c.touch(now)
		h.reevaluateLocked(c, now)
		results = append(results, hsObjectJSON(c, slices.Collect(func(yield func(string) bool) {
			for k := range in.Properties {
				if !yield(k) {
					return
				}
			}
		})))
	}
	resp := map[string]any{"status": "COMPLETE", "results": results, "startedAt": hsTime(now), "completedAt": hsTime(h.now())}
	status := http.StatusOK
	if len(missing) > 0 {
		status = http.StatusMultiStatus
		resp["numErrors"] = 1
		resp["errors"] = []map[string]any{{"status": "error", "category": "OBJECT_NOT_FOUND",
			"message": "Could not update some CONTACT objects, they may be deleted or not exist.",
			"context": map[string][]string{"ids": missing}}}
	}
	writeJSON(w, status, resp)
}

func (h *HubSpot) handleCreateProperty(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name        string `json:"name"`
		Label       string `json:"label"`
		Type        string `json:"type"`
		FieldType   string `json:"fieldType"`
		GroupName   string `json:"groupName"`
		Description string `json:"description"`
		Options     []struct {
			Label string `json:"label"`
			Value string `json:"value"`
		} `json:"options"`
	}
	if err := readJSON(r, w, &body); err != nil {
		h.validationError(w, "Invalid input JSON: "+err.Error())
		return
	}
	switch {
	case body.Name == "" || body.Label == "" || body.GroupName == "" || body.FieldType == "":
		h.validationError(w, "name, label, type, fieldType and groupName are required")
		return
	case !slices.Contains([]string{"string", "number", "date", "datetime", "enumeration", "bool"}, body.Type):
		h.validationError(w, fmt.Sprintf("type %q is not a property type", body.Type))
		return
	case body.Type == "bool" && len(body.Options) != 2:
		h.validationError(w, "a bool property needs its two options (true and false)")
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, exists := h.propertyLocked(body.Name); exists {
		h.fail(w, http.StatusConflict, "OBJECT_ALREADY_EXISTS", fmt.Sprintf("Property named '%s' already exists.", body.Name), nil)
		return
	}
	p := &hsProperty{Name: body.Name, Label: body.Label, Type: body.Type, FieldType: body.FieldType, Group: body.GroupName, Description: body.Description}
	for _, o := range body.Options {
		p.Options = append(p.Options, hsOption{Label: o.Label, Value: o.Value})
	}
	h.created[p.Name] = p
	writeJSON(w, http.StatusCreated, hsPropertyJSON(*p, hsTime(h.now())))
}

func (h *HubSpot) handleUnsubscribe(w http.ResponseWriter, r *http.Request) {
	var body struct {
		EmailAddress          string `json:"emailAddress"`
		SubscriptionID        string `json:"subscriptionId"`
		LegalBasis            string `json:"legalBasis"`
		LegalBasisExplanation string `json:"legalBasisExplanation"`
	}
	if err := readJSON(r, w, &body); err != nil {
		h.validationError(w, "Invalid input JSON: "+err.Error())
		return
	}
	email := strings.ToLower(strings.TrimSpace(body.EmailAddress))
	if email == "" || body.SubscriptionID == "" {
		h.validationError(w, "emailAddress and subscriptionId are required")
		return
	}
	if _, err := strconv.ParseInt(body.SubscriptionID, 10, 64); err != nil {
		h.validationError(w, fmt.Sprintf("subscriptionId %q is not a subscription type of this portal", body.SubscriptionID))
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := h.unsubscribed[email]
	if slices.Contains(subs, body.SubscriptionID) && !h.opts.RepeatUnsubscribeOK {
		h.validationError(w, fmt.Sprintf("%s is already unsubscribed from subscription %s", email, body.SubscriptionID))
		return
	}
	if !slices.Contains(subs, body.SubscriptionID) {
		h.unsubscribed[email] = append(subs, body.SubscriptionID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": body.SubscriptionID, "name": "Marketing Information", "description": "Marketing offers and updates.",
		"status": "NOT_SUBSCRIBED", "sourceOfStatus": "SUBSCRIPTION_STATUS"})
}

// Unsubscribed returns the subscription ids the email was unsubscribed
// from through the API.
func (h *HubSpot) Unsubscribed(email string) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return append([]string{}, h.unsubscribed[strings.ToLower(strings.TrimSpace(email))]...)
}

// GDPRDeleteContact deletes a record for good, as HubSpot's GDPR delete
// does: unlike an archived record, it is found by no read, archived=true
// included, and the ids merged into it resolve to nothing either.
func (h *HubSpot) GDPRDeleteContact(id string) error {
	return h.archive(id, true)
}
