package sandbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/sandbox"
)

// TestGDPRDeleteLeavesNothingToRead: unlike an archived record, a
// GDPR-deleted one is found by no batch read, archived=true included, and
// neither is an id merged into it.
func TestGDPRDeleteLeavesNothingToRead(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{})
	h := e.srv.HubSpot()
	a, err := h.CreateContact(map[string]string{"email": "a@example.com"})
	require.NoError(t, err)
	b, err := h.CreateContact(map[string]string{"email": "b@example.com"})
	require.NoError(t, err)
	archived, err := h.CreateContact(map[string]string{"email": "c@example.com"})
	require.NoError(t, err)
	merged, err := h.MergeContacts(a, b)
	require.NoError(t, err)
	require.NoError(t, h.ArchiveContact(archived))
	require.NoError(t, h.GDPRDeleteContact(merged))

	read := func(archivedParam string, ids ...string) []any {
		var inputs []map[string]string
		for _, id := range ids {
			inputs = append(inputs, map[string]string{"id": id})
		}
		r := e.call(http.MethodPost, "/crm/v3/objects/contacts/batch/read?archived="+archivedParam, sandbox.HubSpotDemoToken, map[string]any{"inputs": inputs})
		require.Equal(t, http.StatusMultiStatus, r.status)
		errs := r.body["errors"].([]any)
		return errs[0].(map[string]any)["context"].(map[string]any)["ids"].([]any)
	}
	assert.ElementsMatch(t, []any{a, b, merged, archived}, read("false", a, b, merged, archived))
	assert.ElementsMatch(t, []any{a, b, merged}, read("true", a, b, merged, archived), "the archived one is still readable as archived")
	_, ok := h.Contact(merged)
	assert.False(t, ok)
}

// TestPropertyCreationAndBatchUpdate: a created property is listed and
// writable; creating it again answers 409; the write scope is checked.
func TestPropertyCreationAndBatchUpdate(t *testing.T) {
	e := newHSEnv(t, sandbox.HubSpotOptions{})
	prop := map[string]any{"name": "brevo_email_blacklisted", "label": "Blocklisted in Brevo", "type": "bool", "fieldType": "booleancheckbox",
		"groupName": "emailinformation", "options": []map[string]string{{"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}}}
	assert.Equal(t, http.StatusCreated, e.call(http.MethodPost, "/crm/v3/properties/contacts", sandbox.HubSpotDemoToken, prop).status)
	again := e.call(http.MethodPost, "/crm/v3/properties/contacts", sandbox.HubSpotDemoToken, prop)
	assert.Equal(t, http.StatusConflict, again.status)
	assert.Equal(t, "OBJECT_ALREADY_EXISTS", again.body["category"])

	id, err := e.srv.HubSpot().CreateContact(map[string]string{"email": "a@example.com"})
	require.NoError(t, err)
	before, _ := e.srv.HubSpot().Contact(id)
	e.clock.Advance(time.Second)
	r := e.call(http.MethodPost, "/crm/v3/objects/contacts/batch/update", sandbox.HubSpotDemoToken,
		map[string]any{"inputs": []map[string]any{{"id": id, "properties": map[string]string{"brevo_email_blacklisted": "true"}}}})
	require.Equal(t, http.StatusOK, r.status, string(r.raw))
	after, _ := e.srv.HubSpot().Contact(id)
	assert.Equal(t, "true", after.Properties["brevo_email_blacklisted"])
	assert.True(t, after.UpdatedAt.After(before.UpdatedAt), "a write moves lastmodifieddate")

	ro := newHSEnv(t, sandbox.HubSpotOptions{Scopes: []string{"crm.objects.contacts.read"}})
	denied := ro.call(http.MethodPost, "/crm/v3/objects/contacts/batch/update", sandbox.HubSpotDemoToken, map[string]any{"inputs": []any{}})
	assert.Equal(t, http.StatusForbidden, denied.status)
	assert.Equal(t, "MISSING_SCOPES", denied.body["category"])
}

// TestUnsubscribeMovesModifiedAtUnlessSwitchedOff: a person's unsubscribe
// blocklists the contact; by default its modifiedAt moves, with
// UnsubscribeKeepsModifiedAt it does not.
func TestUnsubscribeMovesModifiedAtUnlessSwitchedOff(t *testing.T) {
	for _, keeps := range []bool{false, true} {
		now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
		e := newBrevoEnv(t, sandbox.BrevoOptions{UnsubscribeKeepsModifiedAt: keeps, Now: func() time.Time { return now }})
		id, err := e.b.AddContact(sandbox.BrevoContact{Email: "a@example.com"})
		require.NoError(t, err)
		now = now.Add(time.Hour)
		assert.Equal(t, http.StatusNoContent, e.call(http.MethodPost, "/_sandbox/brevo/unsubscribe", map[string]string{"email": "A@example.com"}).status)
		assert.Equal(t, http.StatusNotFound, e.call(http.MethodPost, "/_sandbox/brevo/unsubscribe", map[string]string{"email": "nobody@example.com"}).status)
		c, _ := e.b.ContactByID(id)
		assert.True(t, c.EmailBlacklisted)
		assert.Equal(t, !keeps, c.ModifiedAt.Equal(now), "keeps=%v: modifiedAt %s", keeps, c.ModifiedAt)
	}
}
