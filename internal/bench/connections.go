package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/config"
	"hubspot-brevo-sync/internal/connections"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/sandbox"
)

// -connections N: N HubSpot portals (sandbox accounts with their own
// limits), one named connection each, one integration each, all created
// at once into one Brevo account. Each connection has its own governor,
// so each integration should finish within its own portal's bound, as if
// it ran alone; the Brevo budget is shared.

// benchPortalID is the hub id of the i-th benchmark portal.
func benchPortalID(i int) int64 { return 7_000_000 + int64(i) }

func benchConnection(i int) string { return fmt.Sprintf("portal-%d", i) }

// connectionsDir is where the worker child and the manager find the
// connection files: beside the sync store.
func connectionsDir(storePath string) connections.Dir {
	return connections.Dir(filepath.Join(filepath.Dir(storePath), "connections"))
}

// benchRegistry serves the benchmark's connections with governors at the
// sandbox's limits (nil without -connections: the worker keeps the
// default connection alone).
func benchRegistry(f flags, o sandbox.Options, storePath string, def *hubspot.Client) activities.HubSpotClients {
	if f.connections <= 0 {
		return nil
	}
	base := config.HubSpot{BaseURL: "http://unused", Tier: hubspot.TierFree}
	return connections.NewRegistry(connectionsDir(storePath), base, def, func(h config.HubSpot) (*hubspot.Client, error) {
		l := hubspot.TierFree.Limits()
		l.Burst = o.HubSpot.BurstLimit
		return hubspot.New(hubspot.Config{BaseURL: h.BaseURL, AccessToken: h.AccessToken, Governor: hubspot.NewGovernor(l, nil)})
	}, zap.NewNop())
}

// runConnections measures N integrations on N connections synced at once.
func runConnections(ctx context.Context, b *bench, sandboxURL string) error {
	n, dir := b.f.connections, connectionsDir(filepath.Join(b.dir, "sync-store.db"))
	portals := make([]*sandbox.HubSpot, n)
	seeds := make([]sandbox.SeedResult, n)
	for i := range n {
		o := b.opts.HubSpot
		o.StaticTokens, o.PortalID = []string{fmt.Sprintf("bench-portal-token-%d", i)}, benchPortalID(i)
		portals[i] = b.sb.AddHubSpotPortal(o)
		seeds[i] = portals[i].Seed(sandbox.SeedOptions{Contacts: b.f.contacts, Seed: uint64(i + 2)})
		// Other people than the other portals' (whose record ids are the same).
		for _, id := range seeds[i].ContactIDs {
			c, _ := portals[i].Contact(id)
			if email := c.Properties["email"]; email != "" {
				_ = portals[i].UpdateContact(id, map[string]string{"email": fmt.Sprintf("p%d.%s", i, email)})
			}
		}
		conn := connections.Connection{Name: benchConnection(i), AccessToken: o.StaticTokens[0], BaseURL: sandboxURL}
		if err := dir.Save(conn); err != nil {
			return err
		}
	}
	b.mgr.Connections = benchRegistry(b.f, b.opts, filepath.Join(b.dir, "sync-store.db"), b.mgr.HubSpot)
	bound := b.initialBound() // every portal: its own burst budget, the same list size
	start := time.Now()
	for i := range n {
		if _, err := b.mgr.Create(ctx, manage.CreateRequest{
			Name: benchConnection(i), HubSpotListID: seeds[i].ListID, NewBrevoList: "bench " + benchConnection(i), OptInConfirmed: true,
			Map: []string{"email=EMAIL", "firstname=FIRSTNAME", "lastname=LASTNAME"}, HubSpotConnection: benchConnection(i),
		}); err != nil {
			return err
		}
	}
	walls, states, err := awaitAllIdle(ctx, b, n, start)
	if err != nil {
		return err
	}
	bv := b.sb.Brevo().Stats()
	var bv429 int64
	for _, s := range bv.Families {
		bv429 += s.RateLimited
	}
	fmt.Printf("\n== %d HubSpot connections synced at once: %d contacts each, one Brevo account (%s tier)\n", n, b.f.contacts, b.f.brevoTier)
	var worst float64
	for i := range n {
		hs, st := portals[i].Stats(), states[i]
		ratio := walls[i].Seconds() / bound.Seconds()
		worst = max(worst, ratio)
		fmt.Printf("%-10s wall %-8s bound %-8s ratio %.2f  synced %d skipped %d failed %d  HubSpot calls %d, 429s %d\n",
			benchConnection(i), walls[i].Round(100*time.Millisecond), bound.Round(100*time.Millisecond), ratio,
			st.ContactsSynced, st.ContactsSkipped, st.ContactsFailed, hs.Calls, hs.RateLimited)
		if got := st.ContactsSynced + st.ContactsSkipped + st.ContactsFailed; got != int64(seeds[i].ListSize) {
			return fmt.Errorf("%s: synced+skipped+failed = %d, list has %d", benchConnection(i), got, seeds[i].ListSize)
		}
	}
	fmt.Printf("Brevo calls %v, 429s %d; default portal calls %d; worst ratio %.2f x the bound\n", bv.Endpoints, bv429, b.sb.HubSpot().Stats().Calls, worst)
	return nil
}

// awaitAllIdle waits until each integration finished its first pass and
// returns how long each took from the first create.
func awaitAllIdle(ctx context.Context, b *bench, n int, start time.Time) ([]time.Duration, []integration.Status, error) {
	walls, states := make([]time.Duration, n), make([]integration.Status, n)
	deadline, lastPrint := start.Add(b.f.timeout), time.Now()
	for done := 0; done < n; time.Sleep(100 * time.Millisecond) {
		done = 0
		progress := time.Since(lastPrint) >= 5*time.Second
		if progress {
			fmt.Printf("  %4.0fs", time.Since(start).Seconds())
			lastPrint = time.Now()
		}
		for i := range n {
			if progress {
				st, _ := b.mgr.Status(ctx, benchConnection(i))
				fmt.Printf("  %s: %d/%d read, %d written, %d importing", benchConnection(i), st.Cursor.Seen, st.Cursor.ListSize, st.Cursor.Written, st.PendingImports)
			}
			if walls[i] > 0 {
				done++
				continue
			}
			st, err := b.mgr.Status(ctx, benchConnection(i))
			switch {
			case err == nil && st.State == integration.StateIdle && st.Cursor.Pass > 0:
				walls[i], states[i] = time.Since(start), st
				done++
			case err == nil && st.State == integration.StateFailed:
				return nil, nil, fmt.Errorf("%s failed: %s", benchConnection(i), st.LastError)
			}
		}
		if progress {
			fmt.Println()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, nil, errors.New("not all integrations idle before the timeout")
		}
	}
	return walls, states, nil
}
