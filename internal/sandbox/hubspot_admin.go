package sandbox

import (
	"errors"
	"net/http"
)

// registerAdmin adds the HubSpot emulator's control endpoints for the demo
// and for curl users. They need no token and count toward no budget.
//
//	GET    /_sandbox/hubspot/stats               counters (HubSpotStats)
//	POST   /_sandbox/hubspot/stats/reset         zero the counters
//	POST   /_sandbox/hubspot/seed                SeedOptions -> SeedResult (replaces all data)
//	POST   /_sandbox/hubspot/contacts            {"properties":{...}} -> {"id":"..."}
//	GET    /_sandbox/hubspot/contacts/{id}       the stored record
//	POST   /_sandbox/hubspot/contacts/{id}       {"properties":{...}}: update ("" clears), bumps lastmodifieddate
//	DELETE /_sandbox/hubspot/contacts/{id}       archive
//	POST   /_sandbox/hubspot/contacts/{id}/gdpr-delete  delete for good (hubspot_writes.go)
//	GET    /_sandbox/hubspot/unsubscribes?email=E       E's unsubscribed subscription ids (hubspot_writes.go)
//	POST   /_sandbox/hubspot/contacts/merge      {"primaryObjectId":"1","objectIdToMerge":"2"} -> {"id":"new"}
//	POST   /_sandbox/hubspot/lists               {"name":"...","rule":{"property":"p","value":"v"}?} -> {"listId":"..."}
//	POST   /_sandbox/hubspot/lists/{id}/members  {"add":["1"],"remove":["2"]}
//	POST   /_sandbox/hubspot/lists/{id}/processing  {"status":"PROCESSING"}: memberships partial until {"status":""}
//	POST   /_sandbox/hubspot/expire-tokens       expire every issued OAuth access token now
func (h *HubSpot) registerAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sandbox/hubspot/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, h.Stats())
	})
	mux.HandleFunc("POST /_sandbox/hubspot/stats/reset", func(w http.ResponseWriter, _ *http.Request) {
		h.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sandbox/hubspot/seed", func(w http.ResponseWriter, r *http.Request) {
		var o SeedOptions
		if r.ContentLength != 0 {
			if err := readStrictJSON(r, w, &o); err != nil {
				hsAdminError(w, http.StatusBadRequest, err)
				return
			}
		}
		writeJSON(w, http.StatusOK, h.Seed(o))
	})
	mux.HandleFunc("POST /_sandbox/hubspot/contacts", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Properties map[string]string `json:"properties"`
		}
		if err := readStrictJSON(r, w, &body); err != nil {
			hsAdminError(w, http.StatusBadRequest, err)
			return
		}
		id, err := h.CreateContact(body.Properties)
		if err != nil {
			hsAdminError(w, 0, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]string{"id": id})
	})
	mux.HandleFunc("GET /_sandbox/hubspot/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		c, ok := h.Contact(r.PathValue("id"))
		if !ok {
			hsAdminError(w, http.StatusNotFound, ErrHubSpotNotFound)
			return
		}
		writeJSON(w, http.StatusOK, c)
	})
	mux.HandleFunc("POST /_sandbox/hubspot/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Properties map[string]string `json:"properties"`
		}
		if err := readStrictJSON(r, w, &body); err != nil {
			hsAdminError(w, http.StatusBadRequest, err)
			return
		}
		id := r.PathValue("id")
		if err := h.UpdateContact(id, body.Properties); err != nil {
			hsAdminError(w, 0, err)
			return
		}
		c, _ := h.Contact(id)
		writeJSON(w, http.StatusOK, c)
	})
	mux.HandleFunc("DELETE /_sandbox/hubspot/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := h.ArchiveContact(r.PathValue("id")); err != nil {
			hsAdminError(w, 0, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sandbox/hubspot/contacts/merge", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Primary   hsFlexStr `json:"primaryObjectId"`
			Secondary hsFlexStr `json:"objectIdToMerge"`
		}
		if err := readStrictJSON(r, w, &body); err != nil {
			hsAdminError(w, http.StatusBadRequest, err)
			return
		}
		id, err := h.MergeContacts(string(body.Primary), string(body.Secondary))
		if err != nil {
			hsAdminError(w, 0, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": id})
	})
	mux.HandleFunc("POST /_sandbox/hubspot/lists", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Name string    `json:"name"`
			Rule *ListRule `json:"rule"`
		}
		if err := readStrictJSON(r, w, &body); err != nil {
			hsAdminError(w, http.StatusBadRequest, err)
			return
		}
		var id string
		var err error
		if body.Rule != nil {
			id, err = h.CreateDynamicList(body.Name, *body.Rule)
		} else {
			id, err = h.CreateList(body.Name)
		}
		if err != nil {
			hsAdminError(w, 0, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]string{"listId": id})
	})
	mux.HandleFunc("POST /_sandbox/hubspot/lists/{id}/members", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Add    []hsFlexStr `json:"add"`
			Remove []hsFlexStr `json:"remove"`
		}
		if err := readStrictJSON(r, w, &body); err != nil {
			hsAdminError(w, http.StatusBadRequest, err)
			return
		}
		id := r.PathValue("id")
		if err := h.AddToList(id, hsStrings(body.Add)...); err != nil {
			hsAdminError(w, 0, err)
			return
		}
		if err := h.RemoveFromList(id, hsStrings(body.Remove)...); err != nil {
			hsAdminError(w, 0, err)
			return
		}
		members, _ := h.ListMembers(id)
		writeJSON(w, http.StatusOK, map[string]int{"size": len(members)})
	})
	mux.HandleFunc("POST /_sandbox/hubspot/lists/{id}/processing", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Status string `json:"status"`
		}
		if err := readStrictJSON(r, w, &body); err != nil {
			hsAdminError(w, http.StatusBadRequest, err)
			return
		}
		if err := h.SetListProcessing(r.PathValue("id"), body.Status); err != nil {
			hsAdminError(w, 0, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sandbox/hubspot/expire-tokens", func(w http.ResponseWriter, _ *http.Request) {
		h.ExpireTokens()
		w.WriteHeader(http.StatusNoContent)
	})
}

func hsStrings(vs []hsFlexStr) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// hsAdminError answers an admin call; status 0 derives it from the error.
func hsAdminError(w http.ResponseWriter, status int, err error) {
	if status == 0 {
		switch {
		case errors.Is(err, ErrHubSpotNotFound):
			status = http.StatusNotFound
		case errors.Is(err, ErrHubSpotConflict):
			status = http.StatusConflict
		default:
			status = http.StatusBadRequest
		}
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
