package activities_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/store"
)

// consentInput is the fixture's batch with the consent options.
func (f *fixture) consentInput(pass, seq int, c mapping.Consent) activities.BatchInput {
	in := f.input(pass, seq, members())
	in.Mapping.Consent = c
	return in
}

var optOuts = mapping.Consent{SyncOptOuts: true}

// unblocklists counts the Brevo writes that send emailBlacklisted false.
type unblocklists struct{ n atomic.Int64 }

func (u *unblocklists) wrap(sb *sandbox.Server) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Body != nil && strings.HasPrefix(r.URL.Path, "/v3/") {
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(bytes.ReplaceAll(body, []byte(" "), nil), []byte(`"emailBlacklisted":false`)) {
				u.n.Add(1)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		sb.ServeHTTP(rw, r)
	})
}

func (f *fixture) optOut(t *testing.T, m member, out bool) {
	t.Helper()
	require.NoError(t, f.sb.HubSpot().UpdateContact(m.ID, map[string]string{mapping.PropEmailOptOut: map[bool]string{true: "true", false: "false"}[out]}))
}

func (f *fixture) blocklistedAt(t *testing.T, ids ...string) map[string]store.Consent {
	t.Helper()
	got, err := f.st.Consents(t.Context(), "t", ids)
	require.NoError(t, err)
	return got
}

// TestContentHashCarriesTheBlocklistWish: an opt-out after the last
// write changes the hash (so it is written); without one the hash is the
// one stores hold from before the consent options.
func TestContentHashCarriesTheBlocklistWish(t *testing.T) {
	c := mapping.Contact{ExtID: "1", Email: "a@example.com", Attributes: map[string]any{"FIRSTNAME": "A"}}
	old, _ := json.Marshal(struct {
		E string         `json:"e"`
		A map[string]any `json:"a"`
	}{c.Email, c.Attributes})
	sum := sha256.Sum256(old)
	assert.Equal(t, hex.EncodeToString(sum[:16]), activities.ContentHash(c), "unchanged for contacts not to blocklist")
	blocked := c
	blocked.Blocklist = true
	assert.NotEqual(t, activities.ContentHash(c), activities.ContentHash(blocked))
}

// TestOptOutBlocklistsOneByOneAndNeverUnblocklists: a HubSpot opt-out
// blocklists the contact in Brevo, is stamped in the store and reported;
// lifting it sends nothing: the contact stays blocklisted.
func TestOptOutBlocklistsOneByOneAndNeverUnblocklists(t *testing.T) {
	u := &unblocklists{}
	f := newFixture(t, fixtureConfig{wrap: u.wrap})
	ms := f.addMembers(t, 0, 3)
	f.optOut(t, ms[1], true)
	res := f.mustSync(t, f.consentInput(1, 1, optOuts))
	assert.Equal(t, 3, res.Written.Created)
	assert.False(t, f.requireSynced(t, ms[0]).EmailBlacklisted)
	assert.True(t, f.requireSynced(t, ms[1]).EmailBlacklisted, "the opt-out is a Brevo blocklisting")
	assert.False(t, f.requireSynced(t, ms[2]).EmailBlacklisted)
	stamps := f.blocklistedAt(t, ms[0].ID, ms[1].ID, ms[2].ID)
	assert.False(t, stamps[ms[1].ID].BlocklistedAt.IsZero(), "the store knows the sync blocklisted it")
	assert.True(t, stamps[ms[0].ID].BlocklistedAt.IsZero())
	assert.True(t, stamps[ms[2].ID].BlocklistedAt.IsZero())
	reasons := problemsByID(res)[ms[1].ID]
	require.Len(t, reasons, 1)
	assert.Equal(t, mapping.ReasonBlocklisted, reasons[0].Reason)
	assert.Equal(t, mapping.OutcomeCreated, reasons[0].Kind)

	// Unchanged: not written again.
	res = f.mustSync(t, f.consentInput(2, 1, optOuts))
	assert.Equal(t, 3, res.Written.Unchanged)

	// A later opt-out is written; a lifted one leaves the blocklisting.
	f.optOut(t, ms[0], true)
	f.optOut(t, ms[1], false)
	res = f.mustSync(t, f.consentInput(3, 1, optOuts))
	assert.Equal(t, 2, res.Written.Updated)
	assert.True(t, f.requireSynced(t, ms[0]).EmailBlacklisted, "a later opt-out is written")
	assert.True(t, f.requireSynced(t, ms[1]).EmailBlacklisted, "never un-blocklisted")
	assert.Zero(t, u.n.Load(), "no write sent emailBlacklisted false")
}

// TestOptedOutEmailChangeStaysBlocklisted: Brevo un-blocklists a contact
// whose email changes unless the same call keeps it; the sync keeps it.
func TestOptedOutEmailChangeStaysBlocklisted(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	m := f.addMembers(t, 0, 1)[0]
	f.optOut(t, m, true)
	f.mustSync(t, f.consentInput(1, 1, optOuts))
	before := f.requireSynced(t, m)
	require.True(t, before.EmailBlacklisted)

	m.Email = "moved@example.com"
	require.NoError(t, f.sb.HubSpot().UpdateContact(m.ID, map[string]string{"email": m.Email}))
	res := f.mustSync(t, f.consentInput(2, 1, optOuts))
	assert.Equal(t, 1, res.Written.Updated)
	after := f.requireSynced(t, m)
	assert.Equal(t, before.ID, after.ID)
	assert.True(t, after.EmailBlacklisted, "still blocklisted under the new email")
}

// TestOptOutsInAnImport: an import row cannot carry a blocklisting, so
// the read-back requires it and sets it in batches (not as a repair);
// contacts to blocklist that the import would create go one by one,
// never in Brevo unblocked. Under every Brevo variant.
func TestOptOutsInAnImport(t *testing.T) {
	for _, v := range sandbox.BrevoVariants() {
		t.Run(v.Name, func(t *testing.T) {
			opts := fastOptions()
			opts.Brevo = v.Apply(opts.Brevo)
			u := &unblocklists{}
			f := newFixture(t, fixtureConfig{opts: &opts, wrap: u.wrap})
			ms := f.addMembers(t, 0, 60)
			in := f.consentInput(1, 1, optOuts)
			in.ImportMin = 1000 // written one by one first
			require.Equal(t, 60, f.mustSync(t, in).Written.Created)

			// 55 opt out later and 60 new members join, 5 of them opted out.
			for _, m := range ms[:55] {
				f.optOut(t, m, true)
			}
			joiners := f.addMembers(t, 60, 60)
			for _, m := range joiners[:5] {
				f.optOut(t, m, true)
			}
			res := f.mustSync(t, f.consentInput(2, 1, optOuts))
			require.NotNil(t, res.Sent, "an import")
			for _, m := range joiners[:5] {
				_, inBrevo := f.sb.Brevo().ContactByExtID(m.ID)
				assert.False(t, inBrevo, "a new contact to blocklist waits to be created one by one")
			}
			conf := f.mustSync(t, f.confirming(2, 2, *res.Sent))
			created, updated, failed := tally(res, conf)
			assert.Equal(t, 60, created)
			assert.Equal(t, 55, updated)
			assert.Zero(t, failed)

			var want []string
			for i, m := range append(ms, joiners...) {
				c := f.requireSynced(t, m)
				block := i < 55 || i >= 60 && i < 65
				assert.Equal(t, block, c.EmailBlacklisted, "member %d blocklisted", i)
				if block {
					want = append(want, m.ID)
				}
			}
			stamps := f.blocklistedAt(t, want...)
			assert.Len(t, stamps, len(want))
			for id, s := range stamps {
				assert.False(t, s.BlocklistedAt.IsZero(), "record %s stamped", id)
			}
			for _, o := range append(res.Problems, conf.Problems...) {
				assert.NotEqual(t, activities.ReasonImportRepaired, o.Reason, "a missing blocklisting is patched, not repaired: %s", o.Text)
			}

			// Every name changes: one import updates the blocklisted
			// contacts too, and they are still blocklisted after it, even
			// where Brevo's import un-blocklists what it updates.
			all := append(ms, joiners...)
			for _, m := range all {
				require.NoError(t, f.sb.HubSpot().UpdateContact(m.ID, map[string]string{"firstname": m.First + "!"}))
			}
			res = f.mustSync(t, f.consentInput(3, 1, optOuts))
			require.NotNil(t, res.Sent)
			f.mustSync(t, f.confirming(3, 2, *res.Sent))
			for i, m := range all {
				c, _ := f.sb.Brevo().ContactByExtID(m.ID)
				assert.Equal(t, i < 55 || i >= 60 && i < 65, c.EmailBlacklisted, "member %d blocklisted after the second import", i)
			}
			assert.Zero(t, u.n.Load())
		})
	}
}

// TestNonMarketingContactsAreSkippedAndUnlinked: a contact that was never
// a marketing contact is skipped; one the sync wrote that stops being one
// leaves the Brevo list (or stays, with --on-leave keep) and comes back
// when it is one again.
func TestNonMarketingContactsAreSkippedAndUnlinked(t *testing.T) {
	marketing := mapping.Consent{OnlyMarketingContacts: true}
	for _, onLeave := range []string{activities.OnLeaveUnlink, activities.OnLeaveKeep} {
		t.Run(onLeave, func(t *testing.T) {
			f := newFixture(t, fixtureConfig{})
			ms := f.addMembers(t, 0, 3)
			setStatus := func(m member, v string) {
				require.NoError(t, f.sb.HubSpot().UpdateContact(m.ID, map[string]string{mapping.PropMarketableStatus: v}))
			}
			setStatus(ms[0], "true")
			setStatus(ms[2], "false")
			in := f.consentInput(1, 1, marketing)
			in.OnLeave = onLeave
			res := f.mustSync(t, in)
			assert.Equal(t, 2, res.Written.Created)
			assert.Equal(t, map[string]int{mapping.ReasonNotMarketingContact: 1}, res.Written.Skipped)
			_, written := f.sb.Brevo().ContactByExtID(ms[2].ID)
			assert.False(t, written, "a non-marketing contact is not written")

			setStatus(ms[0], "false")
			in = f.consentInput(2, 1, marketing)
			in.OnLeave = onLeave
			res = f.mustSync(t, in)
			assert.Equal(t, 2, res.Written.Skipped[mapping.ReasonNotMarketingContact])
			c, ok := f.sb.Brevo().ContactByExtID(ms[0].ID)
			require.True(t, ok, "never deleted")
			recs, err := f.st.Records(t.Context(), "t", []string{ms[0].ID})
			require.NoError(t, err)
			if onLeave == activities.OnLeaveKeep {
				assert.Contains(t, c.ListIDs, brevoList, "kept")
				assert.Zero(t, res.Unlinked)
				assert.NotEqual(t, store.HashUnlinked, recs[ms[0].ID].Hash)
				return
			}
			assert.NotContains(t, c.ListIDs, brevoList, "unlinked like a leaver")
			assert.Equal(t, 1, res.Unlinked)
			assert.Equal(t, store.HashUnlinked, recs[ms[0].ID].Hash)
			outcomes, err := f.st.FindOutcome(t.Context(), "t", ms[0].ID)
			require.NoError(t, err)
			require.Len(t, outcomes, 1)
			assert.Equal(t, mapping.ReasonNotMarketingContact, outcomes[0].Reason)
			assert.Contains(t, outcomes[0].Detail, "removed from the Brevo list")

			setStatus(ms[0], "true")
			in = f.consentInput(3, 1, marketing)
			res = f.mustSync(t, in)
			assert.Equal(t, 1, res.Written.Updated)
			f.requireSynced(t, ms[0])
		})
	}
}

// TestRetriedBatchCountsItsUnlinks: an attempt removes a contact that
// stopped being a marketing contact from the Brevo list, then fails on
// a write; the retry finds it unlinked and still counts it, once.
func TestRetriedBatchCountsItsUnlinks(t *testing.T) {
	fw := &failWrites{}
	f := newFixture(t, fixtureConfig{wrap: fw.wrap})
	ms := f.addMembers(t, 0, 3)
	marketing := mapping.Consent{OnlyMarketingContacts: true}
	f.mustSync(t, f.consentInput(1, 1, marketing))
	require.NoError(t, f.sb.HubSpot().UpdateContact(ms[0].ID, map[string]string{mapping.PropMarketableStatus: "false"}))
	require.NoError(t, f.sb.HubSpot().UpdateContact(ms[1].ID, map[string]string{"firstname": "Renamed"}))

	in := f.consentInput(2, 1, marketing)
	fw.armed.Store(true)
	_, err := f.sync(t, in)
	require.Error(t, err, "the write fails")
	c, _ := f.sb.Brevo().ContactByExtID(ms[0].ID)
	require.NotContains(t, c.ListIDs, brevoList, "the first attempt unlinked it")

	fw.armed.Store(false)
	res := f.mustSync(t, in)
	assert.Equal(t, 1, res.Unlinked, "counted by the attempt that reports")
	assert.Equal(t, 1, res.Written.Updated)
}

// TestRetriedBatchStampsEveryBlocklisting: an attempt fails after 2 of 4
// opted-out contacts were blocklisted; the retry blocklists the others
// and every one is stamped once Brevo confirmed it, none before.
func TestRetriedBatchStampsEveryBlocklisting(t *testing.T) {
	fw := &failWrites{after: 2}
	f := newFixture(t, fixtureConfig{wrap: fw.wrap})
	ms := f.addMembers(t, 0, 4)
	ids := make([]string, len(ms))
	for i, m := range ms {
		f.optOut(t, m, true)
		ids[i] = m.ID
	}
	in := f.consentInput(1, 1, optOuts)

	fw.armed.Store(true)
	_, err := f.sync(t, in)
	require.Error(t, err)
	stamps := f.blocklistedAt(t, ids...)
	written := 0
	for _, m := range ms {
		c, inBrevo := f.sb.Brevo().ContactByExtID(m.ID)
		assert.Equal(t, inBrevo, !stamps[m.ID].BlocklistedAt.IsZero(), "member %s stamped exactly when written", m.ID)
		if inBrevo {
			written++
			assert.True(t, c.EmailBlacklisted)
		}
	}
	require.Equal(t, 2, written, "the first attempt wrote 2")

	fw.armed.Store(false)
	res := f.mustSync(t, in)
	assert.Equal(t, 4, res.Written.Created)
	for _, m := range ms {
		assert.True(t, f.requireSynced(t, m).EmailBlacklisted)
	}
	for id, s := range f.blocklistedAt(t, ids...) {
		assert.False(t, s.BlocklistedAt.IsZero(), "record %s stamped", id)
	}
}

// TestBrevoUnsubscribesSurviveImports: contacts who unsubscribed in Brevo
// are updated one by one, never by an import (which might clear their
// blocklisting: undocumented), whether or not the sync syncs opt-outs, and
// under both import behaviours.
func TestBrevoUnsubscribesSurviveImports(t *testing.T) {
	for _, clears := range []bool{false, true} {
		t.Run(fmt.Sprintf("import-unblocklists=%v", clears), func(t *testing.T) {
			opts := fastOptions()
			opts.Brevo.ImportUnblocklists = clears
			f := newFixture(t, fixtureConfig{opts: &opts})
			ms := f.addMembers(t, 0, 80)
			in := f.input(1, 1, members())
			in.ImportMin = 1000 // written one by one first
			require.Equal(t, 80, f.mustSync(t, in).Written.Created)
			for _, m := range ms[:3] {
				f.blacklist(t, m.ID) // unsubscribed through a campaign link
			}
			for _, m := range ms {
				require.NoError(t, f.sb.HubSpot().UpdateContact(m.ID, map[string]string{"firstname": "Renamed " + m.First}))
			}
			res := f.mustSync(t, f.input(2, 1, members()))
			require.NotNil(t, res.Sent, "the 77 others go in an import")
			conf := f.mustSync(t, f.confirming(2, 2, *res.Sent))
			_, updated, failed := tally(res, conf)
			assert.Equal(t, 80, updated)
			assert.Zero(t, failed)
			for i, m := range ms {
				c, ok := f.sb.Brevo().ContactByExtID(m.ID)
				require.True(t, ok)
				assert.Equal(t, "Renamed "+m.First, c.Attributes["FIRSTNAME"], "member %s", m.ID)
				assert.Equal(t, i < 3, c.EmailBlacklisted, "member %s blocklisted only if it unsubscribed", m.ID)
			}
		})
	}
}
