package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/store"
)

func TestPendingImportsMoveToContactsOnlyWhenConfirmed(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			integ := fmt.Sprintf("pending-%s-%d", name, time.Now().UnixNano())
			_, err := s.MarkSeen(ctx, integ, 1, []string{"1", "2", "3"})
			require.NoError(t, err)
			ps := []store.Pending{{HubSpotID: "1", Email: "a@x.io", Hash: "h1", Contact: `{"extId":"1"}`}, {HubSpotID: "2", Email: "b@x.io", Hash: "h2", Contact: `{"extId":"2"}`}}
			require.NoError(t, s.SavePending(ctx, integ, 77, ps))
			require.NoError(t, s.SavePending(ctx, integ, 77, ps), "idempotent")
			require.NoError(t, s.SavePending(ctx, integ, 78, []store.Pending{{HubSpotID: "3", Email: "c@x.io", Hash: "h3"}}))

			recs, err := s.Records(ctx, integ, []string{"1", "2", "3"})
			require.NoError(t, err)
			for _, r := range recs {
				require.Empty(t, r.Hash, "no hash before confirmation")
			}
			got, err := s.PendingContacts(ctx, integ, 77)
			require.NoError(t, err)
			require.Equal(t, ps, got)

			require.NoError(t, s.ConfirmPending(ctx, integ, 77))
			require.NoError(t, s.ConfirmPending(ctx, integ, 77), "idempotent")
			require.NoError(t, s.DropPending(ctx, integ, 78))
			recs, err = s.Records(ctx, integ, []string{"1", "2", "3"})
			require.NoError(t, err)
			require.Equal(t, "h1", recs["1"].Hash)
			require.Equal(t, "b@x.io", recs["2"].Email)
			require.True(t, recs["2"].InList)
			require.Empty(t, recs["3"].Hash, "a dropped import saves nothing")
			got, err = s.PendingContacts(ctx, integ, 77)
			require.NoError(t, err)
			require.Empty(t, got)
		})
	}
}

func TestClaimSMSKeepsTheFirstOwner(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			integ := fmt.Sprintf("sms-%s-%d", name, time.Now().UnixNano())
			taken, err := s.ClaimSMS(ctx, integ, map[string]string{"491511": "1", "491512": "2"})
			require.NoError(t, err)
			require.Empty(t, taken)
			taken, err = s.ClaimSMS(ctx, integ, map[string]string{"491511": "1", "491512": "3", "491513": "3"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"491512": "2"}, taken)
			// Record 2 changes its number: its old one is free for others.
			taken, err = s.ClaimSMS(ctx, integ, map[string]string{"491514": "2"})
			require.NoError(t, err)
			require.Empty(t, taken)
			taken, err = s.ClaimSMS(ctx, integ, map[string]string{"491512": "3"})
			require.NoError(t, err)
			require.Empty(t, taken, "the number record 2 gave up is free")
		})
	}
}
