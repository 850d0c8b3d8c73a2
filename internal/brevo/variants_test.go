package brevo_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/sandbox"
)

// TestImportReadBackInEveryVariant imports through the client and reads
// the result back in each combination of the behaviours nobody has
// observed on the real Brevo. The outcomes differ, and only reading back
// tells them apart.
func TestImportReadBackInEveryVariant(t *testing.T) {
	for _, v := range sandbox.BrevoVariants() {
		t.Run(v.Name, func(t *testing.T) {
			o := v.Apply(sandbox.BrevoOptions{ImportDelay: -1})
			e := newEnv(t, sandbox.Options{Brevo: o}, nil)
			for _, c := range []sandbox.BrevoContact{{Email: "b@example.com"}, {SMS: "+33600000009"}} {
				_, err := e.sb.Brevo().AddContact(c)
				require.NoError(t, err)
			}
			id, err := e.client.ImportContacts(ctx(t), brevo.ImportRequest{ListIDs: []int64{1}, UpdateExistingContacts: true,
				Contacts: []brevo.ImportContact{
					// Email of one contact, SMS of another.
					{Email: "b@example.com", Attributes: map[string]any{"SMS": "33600000009"}},
					{Email: "new@example.com", Attributes: map[string]any{"EXT_ID": "hs-2"}},
				}})
			require.NoError(t, err)
			p, listed := importedProcess(t, e.client, id)
			assert.Equal(t, o.ProcessListInfo, listed)

			all, err := e.client.AllContacts(ctx(t), brevo.ContactQuery{})
			require.NoError(t, err)
			byEmail := map[string]brevo.Contact{}
			for _, c := range all {
				byEmail[c.Email] = c
			}
			if o.ImportKeepsExtID {
				assert.Equal(t, "hs-2", byEmail["new@example.com"].ExtID)
			} else {
				assert.Empty(t, byEmail["new@example.com"].ExtID, "EXT_ID dropped: the ext_id must be set another way")
			}
			rep, _ := p.Import()
			refused, _ := rep.Refused()
			if o.ImportConflicts == sandbox.BrevoConflictsMerge {
				assert.Len(t, all, 2, "the SMS-only contact was merged away")
				assert.Equal(t, "33600000009", byEmail["b@example.com"].SMS)
				assert.Zero(t, refused)
			} else {
				assert.Len(t, all, 3)
				assert.Empty(t, byEmail["b@example.com"].SMS)
				assert.EqualValues(t, 1, refused)
			}
		})
	}
}

// importedProcess waits for an import through the listing, and reads the
// process on its own when the listing leaves the report out; listed says
// whether the listing had it.
func importedProcess(t *testing.T, c *brevo.Client, id int64) (p brevo.Process, listed bool) {
	t.Helper()
	ps, err := c.ListProcesses(ctx(t), 0, 10)
	require.NoError(t, err)
	require.NotEmpty(t, ps)
	p = ps[0]
	require.Equal(t, id, p.ID)
	require.True(t, p.Done(), p.Status)
	if _, listed = p.Import(); !listed {
		p, err = c.GetProcess(ctx(t), id)
		require.NoError(t, err)
	}
	_, ok := p.Import()
	require.True(t, ok)
	return p, listed
}
