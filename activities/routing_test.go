package activities_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

// TestRowsAnImportWouldGetWrongGoOneByOne: in a batch large enough for
// an import, a member without email (an import row is known by its
// email), two members sharing a phone, and one with a national number
// go one by one; the rest is imported. All are counted once.
func TestRowsAnImportWouldGetWrongGoOneByOne(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ms := f.addMembers(t, 0, 60)
	h := f.sb.HubSpot()
	ms[0].Email = ""
	require.NoError(t, h.UpdateContact(ms[0].ID, map[string]string{"email": ""}))
	ms[2].Phone = ms[1].Phone
	require.NoError(t, h.UpdateContact(ms[2].ID, map[string]string{"phone": ms[2].Phone}))
	require.NoError(t, h.UpdateContact(ms[3].ID, map[string]string{"phone": "01512345678"}))

	res := f.mustSync(t, f.input(1, 1, members()))
	require.NotNil(t, res.Sent)
	// The member without email, the national number and at least the
	// second of the two sharing a phone go one by one.
	assert.LessOrEqual(t, res.Sent.Contacts, 57)
	assert.GreaterOrEqual(t, res.Written.Created, 3)
	assert.Equal(t, 60, res.Sent.Contacts+res.Written.Created)
	conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
	created, updated, failed := tally(res, conf)
	assert.Equal(t, 60, created)
	assert.Zero(t, updated)
	assert.Zero(t, failed)

	smsOnly, ok := f.sb.Brevo().ContactByExtID(ms[0].ID)
	require.True(t, ok)
	assert.Empty(t, smsOnly.Email)
	assert.Equal(t, ms[0].sms(), smsOnly.SMS)
	// One of the two sharing a phone holds it, the other is written
	// without it and says why.
	var holders int
	for _, m := range ms[1:3] {
		c, ok := f.sb.Brevo().ContactByExtID(m.ID)
		require.True(t, ok)
		assert.Equal(t, m.Email, c.Email)
		assert.Contains(t, c.ListIDs, brevoList)
		if c.SMS == m.sms() {
			holders++
		} else {
			assert.Empty(t, c.SMS)
			assert.Contains(t, reasons(problemsByID(res, conf)[m.ID]), mapping.ReasonDuplicateSMS)
		}
	}
	assert.Equal(t, 1, holders, "exactly one holds the shared number")
	national, ok := f.sb.Brevo().ContactByExtID(ms[3].ID)
	require.True(t, ok)
	assert.Equal(t, ms[3].Email, national.Email)
	for _, m := range ms[4:] {
		f.requireSynced(t, m)
	}
	assert.Len(t, f.sb.Brevo().Contacts(), 60)
}

// TestQuotaShortImport: granted 55 of 60, the batch imports 55, says
// QuotaShort, and commits 55 once they are confirmed; the next batch of
// the same page writes the other 5.
func TestQuotaShortImport(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	f.quota = newFakeQuota(55)
	f.acts.Quota = f.quota
	ms := f.addMembers(t, 0, 60)
	in := f.input(1, 1, members())
	res := f.mustSync(t, in)
	assert.True(t, res.QuotaShort)
	assert.False(t, res.Last)
	assert.Empty(t, res.Position)
	require.NotNil(t, res.Sent)
	assert.Equal(t, 55, res.Sent.Contacts)
	conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
	created, _, _ := tally(conf)
	assert.Equal(t, 55, created)
	spent, _ := f.quota.spent(in.Reservation)
	assert.EqualValues(t, 55, spent)

	f.quota.mu.Lock()
	f.quota.limit = 1000
	f.quota.mu.Unlock()
	rest := f.mustSync(t, f.input(1, 3, members()))
	assert.False(t, rest.QuotaShort)
	assert.Nil(t, rest.Sent)
	assert.Equal(t, 5, rest.Written.Created)
	for _, m := range ms {
		f.requireSynced(t, m)
	}
	assert.EqualValues(t, 60, f.quota.total())
}

// TestMembersPagesMoveThePosition: 300 members read one page (250) a
// batch: the first batch ends with a position and is not the last, the
// second goes on from it; every member is written once.
func TestMembersPagesMoveThePosition(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ms := f.addMembers(t, 0, 300)
	src := activities.Source{Phase: integration.PhaseMembers, Pages: 1}
	first := f.mustSync(t, f.input(1, 1, src))
	assert.Equal(t, activities.MembersPerPage, first.Members)
	assert.Equal(t, 300, first.ListSize)
	assert.False(t, first.Last)
	require.NotEmpty(t, first.Position)
	require.NotNil(t, first.Sent)

	src.Position = first.Position
	in := f.input(1, 2, src)
	in.Imports, in.MustConfirm = []integration.Import{*first.Sent}, 1
	second := f.mustSync(t, in)
	assert.Equal(t, 50, second.Members)
	assert.True(t, second.Last)
	require.Len(t, second.Confirmed, 1, "the second batch confirms the first's import")
	var imports []integration.Import
	if second.Sent != nil {
		imports = append(imports, *second.Sent)
	}
	conf := f.mustSync(t, f.confirming(1, 3, imports...))
	created, updated, failed := tally(first, second, conf)
	assert.Equal(t, 300, created)
	assert.Zero(t, updated)
	assert.Zero(t, failed)
	for _, m := range ms {
		f.requireSynced(t, m)
	}
	assert.Len(t, f.sb.Brevo().Contacts(), 300)
}

// TestRetryWithoutHeartbeatSendsTheImportAgain: the attempt that sent
// the import died without its heartbeat reaching Temporal. The retry
// cannot know that import: it drops its rows and imports again. Brevo
// ends with one contact per member, and the batch's reservation is
// charged 60, once.
func TestRetryWithoutHeartbeatSendsTheImportAgain(t *testing.T) {
	fw := &failWrites{}
	f := newFixture(t, fixtureConfig{wrap: fw.wrap})
	ms := f.addMembers(t, 0, 60)
	for i, m := range ms[:2] {
		_, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: fmt.Sprintf("holder%d@example.com", i), SMS: m.Phone})
		require.NoError(t, err)
	}
	in := f.input(1, 1, members())
	fw.armed.Store(true)
	_, err := f.sync(t, in)
	require.Error(t, err)
	fw.armed.Store(false)

	res := f.mustSync(t, in) // no heartbeat details
	require.NotNil(t, res.Sent)
	assert.Len(t, f.sb.Brevo().Processes(), 2, "a second import")
	conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
	created, updated, failed := tally(res, conf)
	assert.Equal(t, 60, created+updated)
	assert.Zero(t, failed)
	spent, _ := f.quota.spent(in.Reservation)
	assert.EqualValues(t, 60, spent)
	for _, m := range ms[2:] {
		f.requireSynced(t, m)
	}
	assert.Len(t, f.sb.Brevo().Contacts(), 62)
}

// TestFailedImportIsWrittenOneByOne: an import Brevo fails or cancels
// applies no row; once its process says so, the confirmation writes
// every row one by one and counts each once.
func TestFailedImportIsWrittenOneByOne(t *testing.T) {
	for _, outcome := range []string{sandbox.BrevoImportFailed, sandbox.BrevoImportCancelled} {
		t.Run(outcome, func(t *testing.T) {
			opts := fastOptions()
			opts.Brevo.ImportOutcome = outcome
			f := newFixture(t, fixtureConfig{opts: &opts})
			ms := f.addMembers(t, 0, 60)
			in := f.input(1, 1, members())
			res := f.mustSync(t, in)
			require.NotNil(t, res.Sent)
			conf := f.confirming(1, 2, *res.Sent)
			conf.ImportTimeout = time.Millisecond // ask the process at once
			cres := f.mustSync(t, conf)
			require.Len(t, cres.Confirmed, 1)
			assert.Equal(t, 60, cres.Confirmed[0].Created)
			assert.Zero(t, cres.Confirmed[0].Failed)
			assert.Contains(t, reasons(cres.Problems), activities.ReasonImportRepaired)
			spent, _ := f.quota.spent(in.Reservation)
			assert.EqualValues(t, 60, spent)
			for _, m := range ms {
				f.requireSynced(t, m)
			}
		})
	}
}
