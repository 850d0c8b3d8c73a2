package sandbox_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/sandbox"
)

// TestSnapshotSurvivesARestart saves a demo in the middle of its life
// (contacts written, one merged, an import still running, a DYNAMIC list)
// and loads it into a new sandbox: both APIs answer as before, and go on
// from where they were.
func TestSnapshotSurvivesARestart(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	opts := sandbox.Options{Brevo: sandbox.BrevoOptions{ImportDelay: time.Minute, ContactsPerSecond: 1000, Now: clock},
		HubSpot: sandbox.HubSpotOptions{Now: clock}}
	before := sandbox.New(opts)
	seed := before.HubSpot().Seed(sandbox.SeedOptions{Contacts: 50, Seed: 2})
	merged, err := before.HubSpot().MergeContacts(seed.ContactIDs[0], seed.ContactIDs[1])
	require.NoError(t, err)
	_, err = before.Brevo().AddContact(sandbox.BrevoContact{Email: "written@example.com", ExtID: seed.ContactIDs[2],
		Attributes: map[string]any{"FIRSTNAME": "Ada"}, ListIDs: []int64{1}})
	require.NoError(t, err)
	env := &brevoEnv{t: t, srv: httptest.NewServer(before), b: before.Brevo()}
	t.Cleanup(env.srv.Close)
	r := env.call(http.MethodPost, "/v3/contacts/import", map[string]any{
		"jsonBody": []map[string]any{{"email": "imported@example.com", "attributes": map[string]any{"EXT_ID": seed.ContactIDs[3]}}},
		"listIds":  []int{1},
	})
	require.Equal(t, http.StatusAccepted, r.status, string(r.raw))
	pid := strconv.FormatInt(int64(r.body["processId"].(float64)), 10)

	path := filepath.Join(t.TempDir(), "sandbox.json")
	require.NoError(t, before.SaveFile(path))
	after := sandbox.New(opts)
	require.NoError(t, after.LoadFile(path))

	// HubSpot: the same records, lists and merge aliases.
	assert.Equal(t, before.HubSpot().ContactIDs(), after.HubSpot().ContactIDs())
	for _, list := range []string{seed.ListID, seed.SmallListID} {
		want, err := before.HubSpot().ListMembers(list)
		require.NoError(t, err)
		got, err := after.HubSpot().ListMembers(list)
		require.NoError(t, err)
		assert.Equal(t, want, got, "members of list %s", list)
	}
	old, ok := after.HubSpot().Contact(seed.ContactIDs[0])
	require.True(t, ok)
	assert.Equal(t, merged, old.MergedInto)
	wantMerged, _ := before.HubSpot().Contact(merged)
	gotMerged, _ := after.HubSpot().Contact(merged)
	assert.Equal(t, wantMerged, gotMerged)

	// Brevo: the contacts written before, and the running import.
	assert.Equal(t, before.Brevo().Contacts(), after.Brevo().Contacts())
	got, ok := after.Brevo().ContactByExtID(seed.ContactIDs[2])
	require.True(t, ok, "the identifier index is rebuilt")
	assert.Equal(t, "Ada", got.Attributes["FIRSTNAME"])
	now = now.Add(2 * time.Minute)
	envAfter := &brevoEnv{t: t, srv: httptest.NewServer(after), b: after.Brevo()}
	t.Cleanup(envAfter.srv.Close)
	r = envAfter.call(http.MethodGet, "/v3/processes/"+pid, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.raw))
	assert.Equal(t, "completed", r.body["status"])
	_, ok = after.Brevo().ContactByEmail("imported@example.com")
	assert.True(t, ok, "the import sent before the restart completes after it")

	// Both go on from where they were: no id is handed out twice, and
	// identifiers stay unique.
	id, err := after.HubSpot().CreateContact(map[string]string{"email": "fresh@example.com"})
	require.NoError(t, err)
	assert.NotContains(t, before.HubSpot().ContactIDs(), id)
	n, _ := strconv.ParseInt(id, 10, 64)
	last, _ := strconv.ParseInt(merged, 10, 64)
	assert.Greater(t, n, last)
	_, err = after.Brevo().AddContact(sandbox.BrevoContact{Email: "written@example.com"})
	assert.Error(t, err, "the restored email is taken")
	list, err := after.Brevo().CreateList("After the restart", 1)
	require.NoError(t, err)
	assert.Greater(t, list, before.Brevo().Lists()[len(before.Brevo().Lists())-1].ID)
}

func TestLoadFileWithoutASnapshot(t *testing.T) {
	err := sandbox.New(sandbox.Options{}).LoadFile(filepath.Join(t.TempDir(), "missing.json"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "a missing file is ErrNotExist, so the caller seeds: %v", err)
}

func TestLoadFileRefusesAnotherVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"version": 99}`), 0o600))
	err := sandbox.New(sandbox.Options{}).LoadFile(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "version 99")
}
