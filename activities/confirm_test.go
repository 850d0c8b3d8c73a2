package activities_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

// TestConfirmRetriedAfterPartialRepairs: Brevo's import ignored EXT_ID
// (the sandbox's default), so the confirmation gives each contact its
// ext_id one by one. The attempt fails after 20 of them; the retry reads
// the contacts back again and counts each of the 60 once, as created.
func TestConfirmRetriedAfterPartialRepairs(t *testing.T) {
	// Whether the ext_ids are set one by one (PUT) or in batches, the
	// attempt fails part way.
	fw := &failWrites{after: 20, paths: []string{"PUT /v3/contacts/"}, always: []string{"POST /v3/contacts/batch"}}
	f := newFixture(t, fixtureConfig{wrap: fw.wrap})
	ms := f.addMembers(t, 0, 60)
	in := f.input(1, 1, members())
	res := f.mustSync(t, in)
	require.NotNil(t, res.Sent)

	fw.armed.Store(true)
	_, err := f.sync(t, f.confirming(1, 2, *res.Sent))
	require.Error(t, err, "the confirmation fails part way")
	_, committed := f.quota.spent(in.Reservation)
	assert.False(t, committed)

	fw.armed.Store(false)
	conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
	require.Len(t, conf.Confirmed, 1)
	assert.Equal(t, 60, conf.Confirmed[0].Created)
	assert.Zero(t, conf.Confirmed[0].Updated)
	assert.Zero(t, conf.Confirmed[0].Failed)
	spent, _ := f.quota.spent(in.Reservation)
	assert.EqualValues(t, 60, spent)
	for _, m := range ms {
		f.requireSynced(t, m)
	}
	assert.Len(t, f.sb.Brevo().Contacts(), 60)
}

// TestRowRefusedByTheImportIsWrittenOneByOne: a contact made in Brevo
// while the import was on its way takes the SMS of one row, which the
// import then refuses. Once the import has ended, the missing row is
// written one by one, without the SMS and with the reason.
func TestRowRefusedByTheImportIsWrittenOneByOne(t *testing.T) {
	var ms []member
	var once sync.Once
	f := newFixture(t, fixtureConfig{wrap: func(sb *sandbox.Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/v3/contacts/import" {
				once.Do(func() {
					if _, err := sb.Brevo().AddContact(sandbox.BrevoContact{Email: "racer@example.com", SMS: ms[10].Phone}); err != nil {
						t.Errorf("add racer: %v", err)
					}
				})
			}
			sb.ServeHTTP(w, r)
		})
	}})
	ms = f.addMembers(t, 0, 60)
	res := f.mustSync(t, f.input(1, 1, members()))
	require.NotNil(t, res.Sent)
	assert.Equal(t, 60, res.Sent.Contacts)

	in := f.confirming(1, 2, *res.Sent)
	in.ImportTimeout = time.Millisecond // ask the process at once whether it ended
	conf := f.mustSync(t, in)
	require.Len(t, conf.Confirmed, 1)
	assert.Equal(t, 60, conf.Confirmed[0].Created)
	assert.Zero(t, conf.Confirmed[0].Failed)
	for i, m := range ms {
		if i != 10 {
			f.requireSynced(t, m)
		}
	}
	c, ok := f.sb.Brevo().ContactByExtID(ms[10].ID)
	require.True(t, ok, "the refused row was written one by one")
	assert.Equal(t, ms[10].Email, c.Email)
	assert.Empty(t, c.SMS)
	assert.Contains(t, c.ListIDs, brevoList)
	racer, ok := f.sb.Brevo().ContactByEmail("racer@example.com")
	require.True(t, ok)
	assert.Equal(t, ms[10].sms(), racer.SMS)
	assert.Contains(t, reasons(problemsByID(conf)[ms[10].ID]), mapping.ReasonDuplicateSMS)
	assert.Contains(t, reasons(conf.Problems), activities.ReasonImportRepaired)
}

// TestImportInFlightIsNotWaitedFor: a batch carrying an import it need
// not confirm (MustConfirm 0) returns while Brevo still processes it;
// a later batch that must confirm it does, once Brevo applied it.
func TestImportInFlightIsNotWaitedFor(t *testing.T) {
	opts := fastOptions()
	opts.Brevo.ImportDelay = time.Hour
	f := newFixture(t, fixtureConfig{opts: &opts})
	ms := f.addMembers(t, 0, 60)
	res := f.mustSync(t, f.input(1, 1, members()))
	require.NotNil(t, res.Sent)

	in := f.input(1, 2, activities.Source{})
	in.Imports = []integration.Import{*res.Sent}
	mid := f.mustSync(t, in)
	assert.Empty(t, mid.Confirmed, "the import is still being processed")
	assert.Empty(t, f.sb.Brevo().Contacts())

	f.skew.Store(int64(2 * time.Hour)) // Brevo's import is done by now
	conf := f.mustSync(t, f.confirming(1, 3, *res.Sent))
	require.Len(t, conf.Confirmed, 1)
	assert.Equal(t, 60, conf.Confirmed[0].Created)
	for _, m := range ms {
		f.requireSynced(t, m)
	}
}

// TestTooFewForAnImportAfterRouting: of 51 contacts, 2 must go one by
// one (their ext_ids are on Brevo contacts with another email); the 49
// left are fewer than ImportMin, so all 51 go one by one.
func TestTooFewForAnImportAfterRouting(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ms := f.addMembers(t, 0, 51)
	for _, m := range ms[:2] {
		_, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: "holder-" + m.Email, ExtID: m.ID})
		require.NoError(t, err)
	}
	res := f.mustSync(t, f.input(1, 1, members()))
	assert.Nil(t, res.Sent)
	assert.Empty(t, f.sb.Brevo().Processes())
	assert.Equal(t, 49, res.Written.Created)
	assert.Equal(t, 2, res.Written.Updated)
	for _, m := range ms[2:] {
		f.requireSynced(t, m)
	}
}

// TestSkippedRecordsAreCountedWithTheirReason: members with neither
// email nor phone, or neither of them valid, are skipped, counted by
// reason, reported and kept in the store's outcomes.
func TestSkippedRecordsAreCountedWithTheirReason(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ms := f.addMembers(t, 0, 2)
	nobody, err := f.sb.HubSpot().CreateContact(map[string]string{"firstname": "Nobody"})
	require.NoError(t, err)
	require.NoError(t, f.sb.HubSpot().AddToList(f.listID, nobody))
	invalid, err := f.sb.HubSpot().CreateContact(map[string]string{"email": "not-an-email", "phone": "1234"})
	require.NoError(t, err)
	require.NoError(t, f.sb.HubSpot().AddToList(f.listID, invalid))

	res := f.mustSync(t, f.input(1, 1, members()))
	assert.Equal(t, 4, res.Members)
	assert.Equal(t, 2, res.Written.Created)
	assert.Equal(t, map[string]int{mapping.ReasonNoIdentifier: 2}, res.Written.Skipped)
	assert.Equal(t, []string{mapping.OutcomeSkipped}, kinds(problemsByID(res)[nobody]))
	bad := problemsByID(res)[invalid]
	require.Len(t, bad, 1)
	assert.Equal(t, mapping.ReasonNoIdentifier, bad[0].Reason)
	for _, p := range res.Problems {
		assert.Empty(t, p.Email, "no email goes into workflow history")
	}
	outs, err := f.st.FindOutcome(t.Context(), "t", invalid)
	require.NoError(t, err)
	require.Len(t, outs, 1)
	assert.Equal(t, "not-an-email", outs[0].Email, "the store keeps the email as HubSpot holds it")
	outs, err = f.st.FindOutcome(t.Context(), "t", nobody)
	require.NoError(t, err)
	require.Len(t, outs, 1)
	assert.Equal(t, mapping.ReasonNoIdentifier, outs[0].Reason)
	for _, m := range ms {
		f.requireSynced(t, m)
	}
	assert.Len(t, f.sb.Brevo().Contacts(), 2)
}

// TestAbandonedImportDoesNotBlockItsContacts: a batch sends its import
// and then fails for good (Brevo refuses the key while it writes the rows
// that go one by one), or the workflow is reset to before it. The
// workflow never learns of that import and goes on with the next batch
// key. Its contacts must not
// stay "being imported" for ever: the next batches write and count them.
func TestAbandonedImportDoesNotBlockItsContacts(t *testing.T) {
	fw := &failWrites{}
	f := newFixture(t, fixtureConfig{wrap: fw.wrap})
	ms := f.addMembers(t, 0, 60)
	for _, m := range ms[:2] {
		_, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: "holder-" + m.Email, SMS: m.Phone})
		require.NoError(t, err)
	}
	fw.armed.Store(true)
	// Whether this batch fails (writing its one-by-one contacts) or its
	// result is lost (a workflow reset), the workflow does not carry its
	// import.
	_, _ = f.sync(t, f.input(1, 1, members()))
	require.Len(t, f.sb.Brevo().Processes(), 1, "the import was sent")
	fw.armed.Store(false)

	res := f.mustSync(t, f.input(1, 2, members()))
	var confirmed []activities.BatchResult
	if res.Sent != nil {
		confirmed = append(confirmed, f.mustSync(t, f.confirming(1, 3, *res.Sent)))
	}
	created, updated, failed := tally(append(confirmed, res)...)
	assert.Equal(t, 60, created+updated, "every member is written and counted")
	assert.Zero(t, failed)
	for _, m := range ms[2:] {
		f.requireSynced(t, m)
	}
	// And a later pass finds them all written.
	next := f.mustSync(t, f.input(2, 1, members()))
	assert.Equal(t, 60, next.Written.Unchanged)
}

// TestConfirmRetriedAfterPartialOneByOneWrites: of a batch of 60, 10
// members have their ext_id on Brevo contacts with another email and go
// one by one. The attempt that writes them fails after 4; the retry
// writes the other 6 and every member is counted once.
func TestConfirmRetriedAfterPartialOneByOneWrites(t *testing.T) {
	fw := &failWrites{after: 4}
	f := newFixture(t, fixtureConfig{wrap: fw.wrap})
	ms := f.addMembers(t, 0, 60)
	for i, m := range ms[:10] {
		_, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: fmt.Sprintf("holder%d@example.com", i), ExtID: m.ID})
		require.NoError(t, err)
	}
	in := f.input(1, 1, members())
	fw.armed.Store(true)
	res, err := f.sync(t, in)
	if err == nil { // the one-by-one writes wait for the confirmation
		require.NotNil(t, res.Sent)
		_, err = f.sync(t, f.confirming(1, 2, *res.Sent))
		require.Error(t, err, "the confirmation fails part way")
		fw.armed.Store(false)
	} else { // the batch writes them itself
		fw.armed.Store(false)
		res = f.mustSync(t, in)
	}
	require.NotNil(t, res.Sent)
	conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
	created, updated, failed := tally(res, conf)
	assert.Equal(t, 50, created, "every new member counted once, as created")
	assert.Equal(t, 10, updated, "the ten held by ext_id counted once, as updated")
	assert.Zero(t, failed)
	for _, m := range ms[10:] {
		f.requireSynced(t, m)
	}
	spent, _ := f.quota.spent(in.Reservation)
	assert.EqualValues(t, 60, spent)
}

// TestConfirmationWaitsForASlowImport: Brevo takes a while to apply the
// import (queued, then processing); the batch that must confirm it polls
// until it has and counts every contact once.
func TestConfirmationWaitsForASlowImport(t *testing.T) {
	opts := fastOptions()
	opts.Brevo.ImportDelay = 300 * time.Millisecond
	f := newFixture(t, fixtureConfig{opts: &opts})
	ms := f.addMembers(t, 0, 60)
	res := f.mustSync(t, f.input(1, 1, members()))
	require.NotNil(t, res.Sent)
	conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
	require.Len(t, conf.Confirmed, 1)
	assert.Equal(t, 60, conf.Confirmed[0].Created)
	assert.Zero(t, conf.Confirmed[0].Failed)
	assert.NotContains(t, reasons(conf.Problems), activities.ReasonImportRepaired, "nothing was given up on")
	for _, m := range ms {
		f.requireSynced(t, m)
	}
}
