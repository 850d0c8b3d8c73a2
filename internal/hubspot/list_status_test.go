package hubspot_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/sandbox"
)

func memberCount(t *testing.T, c *hubspot.Client, listID string) int {
	t.Helper()
	n, after := 0, ""
	for {
		page, err := c.ListMemberships(context.Background(), listID, after, 0)
		require.NoError(t, err)
		n += len(page.RecordIDs)
		if after = page.After; after == "" {
			return n
		}
	}
}

// TestGetListReportsProcessing: the list look-up carries HubSpot's
// processingStatus, and while a list is processing its membership read
// can be partial (the emulator's admin call and endpoint switch it).
func TestGetListReportsProcessing(t *testing.T) {
	e := newEnv(t, sandbox.Options{HubSpot: unthrottledSandbox})
	seed := e.hs.Seed(sandbox.SeedOptions{Contacts: 600, Seed: 5})
	c := e.client(nil)
	ctx := context.Background()

	l, err := c.GetList(ctx, seed.ListID)
	require.NoError(t, err)
	assert.Equal(t, hubspot.ListStatusComplete, l.ProcessingStatus)
	assert.True(t, l.MembershipsComplete())
	require.Equal(t, 600, memberCount(t, c, seed.ListID))

	resp, err := http.Post(e.url+"/_sandbox/hubspot/lists/"+seed.ListID+"/processing", "application/json", strings.NewReader(`{"status":"PROCESSING"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	l, err = c.GetList(ctx, seed.ListID)
	require.NoError(t, err)
	assert.Equal(t, hubspot.ListStatusProcessing, l.ProcessingStatus)
	assert.False(t, l.MembershipsComplete())
	partial := memberCount(t, c, seed.ListID)
	assert.Less(t, partial, 600)
	assert.Positive(t, partial)

	require.NoError(t, e.hs.SetListProcessing(seed.ListID, ""))
	l, err = c.GetList(ctx, seed.ListID)
	require.NoError(t, err)
	assert.True(t, l.MembershipsComplete())
	assert.Equal(t, 600, memberCount(t, c, seed.ListID))
}

func TestMembershipsCompleteOnlyForFinishedStatuses(t *testing.T) {
	for status, want := range map[string]bool{
		"COMPLETE": true, "COMPLETED": true, "complete": true,
		"PROCESSING": false, "": false, "SOMETHING_NEW": false,
	} {
		assert.Equal(t, want, hubspot.List{ProcessingStatus: status}.MembershipsComplete(), "status %q", status)
	}
}
