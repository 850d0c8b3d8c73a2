package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/doctor"
	"hubspot-brevo-sync/internal/sandbox"
)

// brevoHoldings is what a canary may create and must delete again.
type brevoHoldings struct {
	Contacts []sandbox.BrevoContact
	Lists    []sandbox.BrevoList
	Folders  []sandbox.BrevoFolder
}

func holdings(b *sandbox.Brevo) brevoHoldings {
	return brevoHoldings{Contacts: b.Contacts(), Lists: b.Lists(), Folders: b.Folders()}
}

// TestDoctorWriteCanaryInEveryVariant: the canary reports how the
// account behaves where the pipeline has variants, and leaves nothing.
func TestDoctorWriteCanaryInEveryVariant(t *testing.T) {
	for _, v := range sandbox.BrevoVariants() {
		t.Run(v.Name, func(t *testing.T) {
			o := v.Apply(sandbox.BrevoOptions{ImportDelay: -1})
			sb := doctorSandbox(t, sandbox.Options{Brevo: o})
			_, err := sb.Brevo().AddContact(sandbox.BrevoContact{Email: "kept@example.com", ListIDs: []int64{1}})
			require.NoError(t, err)
			withTemporal(t, healthyTemporal())
			before := holdings(sb.Brevo())

			rep, err := runDoctor(t, "--write-canary")
			require.NoError(t, err)
			require.True(t, rep.OK, "%+v", rep.Checks)
			assert.Equal(t, o.ImportKeepsExtID, rep.Observed["importKeepsExtId"])
			assert.Equal(t, o.ProcessListInfo, rep.Observed["processListHasInfo"])
			assert.Equal(t, !o.ImportUnblocklists, rep.Observed["importKeepsBlocklist"])
			assert.EqualValues(t, http.StatusBadRequest, rep.Observed["removeAbsentStatus"])
			assert.Equal(t, "Contact already removed from list and/or does not exist", rep.Observed["removeAbsentMessage"])
			for _, name := range []string{"canary.setup", "canary.import", "canary.readBack", "canary.blocklist", "canary.remove", "canary.cleanup"} {
				assert.True(t, checkNamed(t, rep, name).OK, name)
			}

			assert.Equal(t, before, holdings(sb.Brevo()), "no canary contact, list or folder left")
			assert.Positive(t, sb.Brevo().Stats().ContactsDeleted, "a canary was written and deleted")
		})
	}
}

// TestDoctorCanaryCleansUpAfterAFailedStep: an import that fails stops
// the canary, and the cleanup still deletes the scratch list and folder.
func TestDoctorCanaryCleansUpAfterAFailedStep(t *testing.T) {
	sb := doctorSandbox(t, sandbox.Options{Brevo: sandbox.BrevoOptions{ImportDelay: -1, ImportOutcome: sandbox.BrevoImportFailed}})
	withTemporal(t, healthyTemporal())
	before := holdings(sb.Brevo())

	rep, err := runDoctor(t, "--write-canary")
	requireOneLine(t, err, "canary.import")
	assert.Contains(t, checkNamed(t, rep, "canary.import").Detail, "ended failed")
	for _, name := range []string{"canary.readBack", "canary.blocklist", "canary.remove"} {
		assert.True(t, checkNamed(t, rep, name).Skipped, name)
	}
	cleanup := checkNamed(t, rep, "canary.cleanup")
	assert.True(t, cleanup.OK, cleanup.Detail)
	assert.Equal(t, before, holdings(sb.Brevo()))
}

// TestDoctorReportsAFailedCleanup: what could not be deleted is a failed
// check that names it, so a person can delete it.
func TestDoctorReportsAFailedCleanup(t *testing.T) {
	sb := sandbox.New(sandbox.Options{Brevo: sandbox.BrevoOptions{ImportDelay: -1}})
	sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	serveSandbox(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v3/contacts/folders/") {
			http.Error(w, `{"code":"method_not_allowed","message":"folder deletion refused"}`, http.StatusMethodNotAllowed)
			return
		}
		sb.ServeHTTP(w, r)
	}))
	withTemporal(t, healthyTemporal())

	rep, err := runDoctor(t, "--write-canary")
	requireOneLine(t, err, "canary.cleanup")
	assert.Equal(t, []string{"canary.cleanup"}, rep.Failed())
	detail := checkNamed(t, rep, "canary.cleanup").Detail
	assert.Contains(t, detail, "left behind: folder")
	assert.Contains(t, detail, doctor.CanaryPrefix)
	folders := sb.Brevo().Folders()
	require.Len(t, folders, 2, "the refused folder is still there")
	assert.True(t, strings.HasPrefix(folders[1].Name, doctor.CanaryPrefix))
	assert.Len(t, sb.Brevo().Lists(), 1, "the list and the contact were deleted all the same")
	assert.Empty(t, sb.Brevo().Contacts())
}
